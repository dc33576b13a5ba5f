// The companion app in Firefox, end to end: the Chrome extension in Chromium, the companion app in a
// phone-sized Firefox ESR (driven over WebDriver BiDi, with Firefox for Android's user agent), the real
// server on loopback. They pair by the popup's link and exchange a link and a file both ways, files
// checked by SHA-256 where the user gets them (Firefox's Save link, Chromium's Downloads/DirectDrop).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, openPopup } from '../e2e/support/browsers';
import { askEngineFrom, clickContextMenu } from '../e2e/support/extension';
import { sendFilesFrom } from '../e2e/support/faults';
import { scratchDir } from '../e2e/support/scratch';
import { startServer } from '../e2e/support/server';
import { randomFile, sha256Hex } from '../e2e/support/test-site';
import {
  attributeOf,
  expectAttribute,
  type FirefoxPhone,
  fillInput,
  launchFirefoxPhone,
  pickFiles,
  textsOf,
} from './support/firefox';

test.describe.configure({ mode: 'serial' });

let server: DirectDropServer;
let desktop: Desktop;
let phone: FirefoxPhone;
let popup: Page;
let phoneDeviceId = '';
const workDir = scratchDir('firefox-companion');

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchFirefoxPhone();
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.browser.close();
  await server?.close();
});

test('the companion app in Firefox pairs with the Chrome extension through the popup link', async () => {
  popup = await openPopup(desktop);
  await expect(popup.getByTestId('server-status')).toHaveAttribute('data-status', 'online');
  const linkElement = popup.getByTestId('pairing-link');
  await expect(linkElement).toContainText('#pair=1.');
  await phone.page.goto((await linkElement.textContent())?.trim() ?? '');
  await expectAttribute(phone.page, '[data-testid="pairing-status"]', 'data-state', 'paired');
  // The secret must not linger in Firefox's address bar or history either.
  expect(await phone.page.evaluate(() => location.hash)).toBe('');
  await expectAttribute(phone.page, '[data-testid="device-row"]', 'data-status', 'online');
  expect(await textsOf(phone.page, '[data-testid="device-name"]')).toEqual(['Chrome on Linux']);

  const phoneRow = popup.getByTestId('device-row');
  await expect(phoneRow).toHaveAttribute('data-status', 'online');
  await expect(phoneRow.getByTestId('device-name')).toHaveText('Android phone');
  phoneDeviceId = (await phoneRow.getAttribute('data-device-id')) ?? '';
  expect(phoneDeviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
});

test('exchanges a link both ways', async () => {
  const result = await clickContextMenu(desktop, `send:link:${phoneDeviceId}`, {
    info: { linkUrl: 'https://example.com/to-firefox', pageUrl: 'https://example.com/' },
    tab: { url: 'https://example.com/', title: 'Example' },
  });
  expect(result).toEqual({ ok: true, value: { delivered: true } });
  await expectAttribute(phone.page, '[data-testid="inbox-item"]', 'data-kind', 'link');
  expect(await attributeOf(phone.page, '[data-testid="open-link"]', 'href')).toBe(
    'https://example.com/to-firefox',
  );

  await fillInput(phone.page, '[data-testid="send-text"]', 'https://example.org/from-firefox');
  await phone.page.click('[data-testid="send-button"]');
  await expectAttribute(phone.page, '[data-testid="send-result"]', 'data-state', 'sent');
  await expect
    .poll(async () => (await askEngineFrom(popup, { type: 'get-inbox' })).map((entry) => entry.item))
    .toContainEqual({ kind: 'link', url: 'https://example.org/from-firefox' });
});

test('sends a file desktop -> Firefox, verified by SHA-256 where Firefox saves it', async () => {
  const path = join(workDir, 'to firefox.bin');
  const data = randomFile(4_000_000);
  writeFileSync(path, data);
  await sendFilesFrom(popup, phoneDeviceId, [path]);
  const entry = '[data-testid="inbox-item"][data-kind="file"]';
  await expect
    .poll(() => textsOf(phone.page, entry), { timeout: 60_000 })
    .toContainEqual(expect.stringContaining('to firefox.bin'));
  const href = (await attributeOf(phone.page, `${entry} [data-testid="file-save"]`, 'href')) ?? '';
  const digest = await phone.page.evaluate(async (url) => {
    const bytes = await (await fetch(url)).arrayBuffer();
    const hash = await crypto.subtle.digest('SHA-256', bytes);
    return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, href);
  expect(digest).toBe(sha256Hex(data));
  await expect(popup.getByTestId('outbox-row').first()).toHaveAttribute('data-state', 'delivered');
});

test('sends a file Firefox -> desktop, which lands in Downloads/DirectDrop verified', async () => {
  const path = join(workDir, 'from firefox phone.bin');
  const data = randomFile(3_000_000);
  writeFileSync(path, data);
  await pickFiles(phone.page, '[data-testid="send-files-input"]', [path]);
  if (await phone.page.$('[data-testid="send-files-button"]')) {
    await phone.page.click('[data-testid="send-files-button"]');
  }
  const savedPath = () =>
    desktop.worker.evaluate(async () => {
      const items = await chrome.downloads.search({ filenameRegex: 'from firefox phone', state: 'complete' });
      return items[0]?.filename ?? '';
    });
  await expect
    .poll(savedPath, { timeout: 60_000 })
    .toBe(join(desktop.downloadsDir, 'DirectDrop', 'from firefox phone.bin'));
  expect(sha256Hex(readFileSync(await savedPath()))).toBe(sha256Hex(data));
});

declare const chrome: {
  downloads: { search(query: Record<string, unknown>): Promise<Array<{ filename: string }>> };
};
