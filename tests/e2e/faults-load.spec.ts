// Load that must lose nothing, end to end: two phones (separate browsers) paired with one desktop both
// receive a file sent to "All devices" at once; fifty sends in a row (links, text and small files) all
// arrive; and a thousand items queued in the outbox while the phone is away are all delivered when it
// comes back, each exactly once and in the order they were queued.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone } from './support/browsers';
import { askEngineFrom, clickContextMenu } from './support/extension';
import {
  fileSha256,
  receivedSha256,
  recordStoredItems,
  sendFilesFrom,
  storedItems,
  transferRow,
} from './support/faults';
import { type Paired, pairAnotherThroughPopup, pairThroughPopup } from './support/pairing';
import { scratchDir } from './support/scratch';
import { startServer } from './support/server';
import { randomFile, sha256Hex } from './support/test-site';

test.describe.configure({ mode: 'serial' });

const MB = 1024 * 1024;
const BOTH_MB = Number(process.env.DIRECTDROP_E2E_FAULT_MB ?? 200) >= 200 ? 40 : 10;
const IN_A_ROW = 50;
const QUEUED = 1000;

let server: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let secondPhone: Awaited<ReturnType<typeof launchPhone>>;
let paired: Paired;
let secondPhoneId = '';
const workDir = scratchDir('load');

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchPhone();
  paired = await pairThroughPopup(desktop, phone);
  secondPhone = await launchPhone();
  secondPhoneId = await pairAnotherThroughPopup(desktop, secondPhone);
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await secondPhone?.context.close();
  await server?.close();
});

test('two phones receive one file sent to "All devices" at the same time, both verified', async () => {
  test.setTimeout(5 * 60_000);
  const name = 'for-everyone.bin';
  const path = join(workDir, name);
  writeFileSync(path, randomFile(BOTH_MB * MB));
  await sendFilesFrom(paired.popup, 'all', [path]);
  // One outbox entry per phone, each drained on its own: both phones receive at once.
  await expect(transferRow(phone.page, name)).toHaveAttribute('data-state', /receiving|done/);
  await expect(transferRow(secondPhone.page, name)).toHaveAttribute('data-state', /receiving|done/);
  const expected = await fileSha256(path);
  expect(await receivedSha256(phone.page, name)).toBe(expected);
  expect(await receivedSha256(secondPhone.page, name)).toBe(expected);
  const sent = paired.popup.getByTestId('transfer-row').filter({ hasText: name });
  await expect(sent).toHaveCount(2);
  for (const row of await sent.all()) await expect(row).toHaveAttribute('data-state', 'done');
  // Both entries delivered.
  const { snapshot } = await askEngineFrom(paired.popup, { type: 'get-state' });
  const entries = snapshot.outbox.filter((entry) => entry.summary.startsWith(name));
  expect(entries.map((entry) => [entry.deviceId, entry.state]).sort()).toEqual(
    [
      [paired.phoneDeviceId, 'delivered'],
      [secondPhoneId, 'delivered'],
    ].sort(),
  );
});

test(`${IN_A_ROW} sends in a row all arrive`, async () => {
  test.setTimeout(5 * 60_000);
  const files: Array<{ name: string; sha256: string }> = [];
  const texts: string[] = [];
  for (let i = 1; i <= IN_A_ROW; i++) {
    const label = String(i).padStart(2, '0');
    if (i % 5 === 0) {
      // Every fifth send is a small file, through the popup.
      const name = `in-a-row-${label}.bin`;
      const data = randomFile(20_000 + i * 1_000);
      writeFileSync(join(workDir, name), data);
      await sendFilesFrom(paired.popup, paired.phoneDeviceId, [join(workDir, name)]);
      files.push({ name, sha256: sha256Hex(data) });
    } else {
      const text = `send in a row ${label}`;
      const result = await clickContextMenu(desktop, `send:text:${paired.phoneDeviceId}`, {
        info: { selectionText: text, pageUrl: 'https://example.com/' },
        tab: { url: 'https://example.com/', title: 'Example' },
      });
      expect(result).toEqual({ ok: true, value: { delivered: true } });
      texts.push(text);
    }
  }
  const inbox = phone.page.getByTestId('inbox-item');
  for (const text of texts) await expect(inbox.filter({ hasText: text })).toHaveCount(1);
  for (const file of files) expect(await receivedSha256(phone.page, file.name)).toBe(file.sha256);
  await expect(inbox.filter({ hasText: /in.a.row/ })).toHaveCount(IN_A_ROW);
});

test(`${QUEUED} items queued while the phone is away are all delivered, once each, in order`, async () => {
  test.setTimeout(6 * 60_000);
  const profileDir = phone.profileDir;
  await phone.context.close();
  const phoneRow = paired.popup.locator(
    `[data-testid="device-row"][data-device-id="${paired.phoneDeviceId}"]`,
  );
  await expect(phoneRow).toHaveAttribute('data-status', 'offline', { timeout: 60_000 });

  // Queued from the popup the way the UI asks the engine; the phone is offline, so each one waits.
  const texts = Array.from({ length: QUEUED }, (_, i) => `queued item ${String(i + 1).padStart(4, '0')}`);
  const outcomes = await paired.popup.evaluate(
    ({ deviceId, texts }) =>
      Promise.all(
        texts.map((text) =>
          (
            globalThis as unknown as {
              chrome: { runtime: { sendMessage(message: unknown): Promise<unknown> } };
            }
          ).chrome.runtime.sendMessage({
            to: 'background',
            request: { type: 'send-item', deviceId, item: { kind: 'text', text } },
          }),
        ),
      ),
    { deviceId: paired.phoneDeviceId, texts },
  );
  expect(outcomes).toHaveLength(QUEUED);
  for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: true, value: { queued: true } });
  // The order the outbox holds them in is the order they must arrive in.
  const { snapshot } = await askEngineFrom(paired.popup, { type: 'get-state' });
  const waiting = snapshot.outbox
    .filter((entry) => entry.deviceId === paired.phoneDeviceId && entry.state === 'queued')
    .map((entry) => entry.summary);
  expect(waiting).toHaveLength(QUEUED);
  expect([...waiting].sort()).toEqual(texts);

  phone = await launchPhone(profileDir);
  await recordStoredItems(phone.context);
  await phone.page.goto(server.publicUrl);
  // Every entry acknowledged: the phone stored each one, and nothing is in flight any more that could
  // still arrive (a sender never sends again what was acknowledged), so what is stored now is final.
  await expect
    .poll(
      async () => {
        const state = await askEngineFrom(paired.popup, { type: 'get-state' });
        return state.snapshot.outbox.filter((e) => e.state === 'queued' || e.state === 'sending').length;
      },
      { timeout: 4 * 60_000, intervals: [1_000] },
    )
    .toBe(0);
  const stored = await storedItems(phone.page);
  expect(stored.map((item) => item.text)).toEqual(waiting);
  expect(new Set(stored.map((item) => item.id)).size).toBe(QUEUED);
  await expect(phone.page.getByTestId('inbox-item').first()).toContainText(texts[QUEUED - 1] ?? '');
});
