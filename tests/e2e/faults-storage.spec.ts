// The receiver runs out of storage, end to end: the phone's storage quota is exhausted before a transfer
// or while it runs (DevTools' quota override, which the browser enforces on every write), or the phone
// says up front that it has too little space. Each time the phone shows a clear error, keeps no partial
// file (its Origin Private File System is listed), does not bring the transfer back after a reload, and
// the sender's transfer and outbox say why it failed. Once there is room again, the next file arrives.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CDPSession, expect, type Page, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone } from './support/browsers';
import {
  fileSha256,
  opfsListing,
  receivedSha256,
  rowBytesDone,
  sendFilesFrom,
  transferRow,
} from './support/faults';
import { type Paired, pairThroughPopup } from './support/pairing';
import { scratchDir } from './support/scratch';
import { startServer } from './support/server';
import { randomFile } from './support/test-site';

test.describe.configure({ mode: 'serial' });

const MB = 1024 * 1024;
const FILE_MB = 40;

let server: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let paired: Paired;
let cdp: CDPSession;
const workDir = scratchDir('storage');

function writeRandom(name: string, size: number): string {
  const path = join(workDir, name);
  writeFileSync(path, randomFile(size));
  return path;
}

function companionOrigin(): string {
  return new URL(server.publicUrl).origin;
}

/** Leaves the companion `room` bytes beyond what it already uses; the browser refuses writes past that. */
async function limitStorage(room: number): Promise<void> {
  const usage = await phone.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: companionOrigin(), quotaSize: usage + room });
}

async function restoreStorage(): Promise<void> {
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: companionOrigin() });
}

/** Received or partial files the phone still stores (finished ones stay until the user removes them). */
async function storedFiles(page: Page, except: readonly string[] = []) {
  return (await opfsListing(page)).filter((f) => !except.includes(f.path));
}

/** What the failure looks like on both sides; the phone keeps nothing of it, even after a reload. */
async function expectCleanFailure(
  name: string,
  phoneError: RegExp,
  senderError: RegExp,
  before: readonly string[],
): Promise<void> {
  const row = transferRow(phone.page, name);
  await expect(row).toHaveAttribute('data-state', 'failed', { timeout: 60_000 });
  await expect(row.getByTestId('transfer-error')).toHaveText(phoneError);
  await expect(row.getByTestId('transfer-error')).toBeVisible();
  await expect.poll(() => storedFiles(phone.page, before)).toEqual([]);

  const sent = transferRow(paired.popup, name);
  await expect(sent).toHaveAttribute('data-state', /failed|declined/, { timeout: 30_000 });
  await expect(sent.getByTestId('transfer-error')).toHaveText(senderError);
  const outboxRow = paired.popup.getByTestId('outbox-row').filter({ hasText: name });
  await expect(outboxRow).toHaveAttribute('data-state', 'failed');
  await expect(outboxRow.getByRole('alert')).toHaveText(senderError);

  // A failed transfer is not kept for resuming: after a reload the phone neither lists nor stores it.
  await phone.page.reload();
  await expect(phone.page.getByTestId('device-row')).toHaveAttribute('data-status', 'online');
  await expect(transferRow(phone.page, name)).toHaveCount(0);
  expect(await storedFiles(phone.page, before)).toEqual([]);
}

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchPhone();
  paired = await pairThroughPopup(desktop, phone);
  cdp = await phone.context.newCDPSession(phone.page);
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await server?.close();
});

test('storage already exhausted: a file bigger than the space fails cleanly and the sender is told', async () => {
  const name = 'bigger-than-the-space.bin';
  const path = writeRandom(name, FILE_MB * MB);
  const before = (await opfsListing(phone.page)).map((f) => f.path);
  await limitStorage(8 * MB);
  try {
    await sendFilesFrom(paired.popup, paired.phoneDeviceId, [path]);
    await expectCleanFailure(
      name,
      /ran out of storage space; the partial file was removed/i,
      /other device ran out of space/i,
      before,
    );
  } finally {
    await restoreStorage();
  }
});

test('storage runs out during a transfer: the partial file is removed and the sender is told', async () => {
  const name = 'space-ran-out.bin';
  const path = writeRandom(name, FILE_MB * MB);
  const before = (await opfsListing(phone.page)).map((f) => f.path);
  await sendFilesFrom(paired.popup, paired.phoneDeviceId, [path]);
  const row = transferRow(phone.page, name);
  await expect.poll(() => rowBytesDone(row)).toBeGreaterThan(2 * MB);
  // Part of the file is on disk now; another app takes the rest of the space.
  expect((await storedFiles(phone.page, before)).some((f) => f.path.endsWith('.partial'))).toBe(true);
  await limitStorage(4 * MB);
  try {
    await expectCleanFailure(
      name,
      /ran out of storage space; the partial file was removed/i,
      /other device ran out of space/i,
      before,
    );
  } finally {
    await restoreStorage();
  }
});

test('a phone that reports too little free space declines up front, and says how much it needs', async () => {
  const name = 'declined-for-space.bin';
  const path = writeRandom(name, FILE_MB * MB);
  const before = (await opfsListing(phone.page)).map((f) => f.path);
  // DevTools' quota override governs writes but not what navigator.storage.estimate() reports in this
  // Chromium, so the phone is made to report a nearly full disk the way such a phone would.
  await phone.context.addInitScript(() => {
    const estimate = StorageManager.prototype.estimate;
    StorageManager.prototype.estimate = async function (this: StorageManager) {
      const real = await estimate.call(this);
      return { ...real, quota: (real.usage ?? 0) + 3 * 1024 * 1024 };
    };
  });
  await phone.page.reload();
  await expect(phone.page.getByTestId('device-row')).toHaveAttribute('data-status', 'online');
  await sendFilesFrom(paired.popup, paired.phoneDeviceId, [path]);
  await expectCleanFailure(
    name,
    /not enough free space: 42 MB needed, 3\.\d MB free/i,
    /other device does not have enough free space/i,
    before,
  );
});

test('with room again, the next file arrives intact', async () => {
  // A fresh page without the nearly-full report; the quota override is gone already.
  const profileDir = phone.profileDir;
  await phone.context.close();
  phone = await launchPhone(profileDir);
  await phone.page.goto(server.publicUrl);
  cdp = await phone.context.newCDPSession(phone.page);
  const name = 'after-making-room.bin';
  const path = writeRandom(name, FILE_MB * MB);
  await sendFilesFrom(paired.popup, paired.phoneDeviceId, [path]);
  expect(await receivedSha256(phone.page, name)).toBe(await fileSha256(path));
});
