// Nearby devices, end to end: the extension and the companion app on the same network see each other
// without pairing; a file sent to the phone waits until it is accepted (with the same code on both
// screens) and arrives intact; a declined send tells the sender; hiding the phone removes it from the
// desktop's list; and "Pair" with matching codes on both screens makes the two paired devices.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone, openPopup } from './support/browsers';
import { printPagesOnFailure } from './support/failure-report';
import { scratchDir } from './support/scratch';
import { startServer } from './support/server';
import { randomFile, sha256Hex } from './support/test-site';

test.describe.configure({ mode: 'serial' });

const SHOTS = 'artifacts/screenshots';
let server: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let popup: Page;
const workDir = scratchDir('nearby');

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchPhone();
  popup = await openPopup(desktop);
  await expect(popup.getByTestId('server-status')).toHaveAttribute('data-status', 'online');
  await phone.page.goto(server.httpUrl);
});

// biome-ignore lint/correctness/noEmptyPattern: Playwright requires a destructuring pattern, and no fixture is used.
test.afterEach(async ({}, testInfo) => {
  await printPagesOnFailure(testInfo, { popup, phone: phone?.page });
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await server?.close();
});

function nearbyRow(page: Page) {
  return page.getByTestId('nearby-row').first();
}

test('the desktop and the phone see each other as nearby without pairing', async () => {
  await expect(nearbyRow(popup)).toBeVisible({ timeout: 10_000 });
  await expect(nearbyRow(popup).getByTestId('nearby-name')).toHaveText('Android phone');
  await expect(nearbyRow(phone.page).getByTestId('nearby-name')).toHaveText('Chrome on Linux');
  await expect(popup.getByTestId('device-row')).toHaveCount(0);
  await expect(nearbyRow(popup).getByTestId('device-avatar')).toBeVisible();
});

test('a file sent to a nearby phone waits for Accept, shows the same code on both screens, and arrives intact', async () => {
  const data = randomFile(3_000_000);
  const path = join(workDir, 'holiday.bin');
  writeFileSync(path, data);
  await nearbyRow(popup).getByTestId('nearby-send-input').setInputFiles(path);

  const offer = phone.page.getByTestId('transfer-row').filter({ hasText: 'holiday.bin' });
  await expect(offer).toHaveAttribute('data-state', 'offered', { timeout: 20_000 });
  const code = (await offer.getByTestId('transfer-code').textContent())?.trim() ?? '';
  expect(code).toMatch(/^\d{3} \d{3}$/);
  await expect(nearbyRow(popup).getByTestId('nearby-code')).toHaveText(code);
  await expect(nearbyRow(phone.page).getByTestId('nearby-code')).toHaveText(code);
  // Nothing is received before the user accepts.
  await expect(phone.page.getByTestId('inbox-item')).toHaveCount(0);
  await popup.screenshot({ path: `${SHOTS}/popup-nearby.png`, fullPage: true });
  await phone.page.screenshot({ path: `${SHOTS}/companion-phone-nearby-offer.png`, fullPage: true });

  await offer.getByTestId('transfer-accept').click();
  await expect(offer).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  const entry = phone.page.getByTestId('inbox-item').filter({ hasText: 'holiday.bin' }).first();
  const href = (await entry.getByTestId('file-save').getAttribute('href')) ?? '';
  const received = await phone.page.evaluate(async (url) => {
    const digest = await crypto.subtle.digest('SHA-256', await (await fetch(url)).arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, href);
  expect(received).toBe(sha256Hex(data));
  await expect(popup.getByTestId('transfer-row').filter({ hasText: 'holiday.bin' })).toHaveAttribute(
    'data-state',
    'done',
  );
});

test('a send the phone declines tells the desktop', async () => {
  const path = join(workDir, 'unwanted.bin');
  writeFileSync(path, randomFile(50_000));
  await nearbyRow(popup).getByTestId('nearby-send-input').setInputFiles(path);
  const offer = phone.page.getByTestId('transfer-row').filter({ hasText: 'unwanted.bin' });
  await expect(offer).toHaveAttribute('data-state', 'offered', { timeout: 20_000 });
  await offer.getByTestId('transfer-decline').click();
  await expect(popup.getByTestId('outbox-row').filter({ hasText: 'unwanted.bin' })).toContainText(
    'declined',
    { timeout: 10_000 },
  );
  await expect(phone.page.getByTestId('inbox-item').filter({ hasText: 'unwanted.bin' })).toHaveCount(0);
});

test('a phone that hides itself disappears from the desktop, and comes back when visible again', async () => {
  await phone.page.getByTestId('nearby-visible').uncheck();
  await expect(popup.getByTestId('nearby-row')).toHaveCount(0, { timeout: 10_000 });
  await phone.page.getByTestId('nearby-visible').check();
  await expect(popup.getByTestId('nearby-row')).toHaveCount(1, { timeout: 10_000 });
});

test('pairing from nearby needs both users to confirm the same code', async () => {
  const row = nearbyRow(popup);
  await row.getByTestId('nearby-connect').or(row.getByTestId('nearby-pair')).first().click();
  await expect(row.getByTestId('nearby-pair')).toBeVisible({ timeout: 15_000 });
  await row.getByTestId('nearby-pair').click();
  const code = (await row.getByTestId('nearby-code').textContent())?.trim() ?? '';
  await expect(row.getByTestId('nearby-pairing-confirm')).toContainText(code);
  await row.getByTestId('nearby-pair-confirm').click();
  await expect(row.getByTestId('nearby-pairing-waiting')).toBeVisible();

  const phoneRow = nearbyRow(phone.page);
  await expect(phoneRow.getByTestId('nearby-pairing-confirm')).toContainText('wants to pair');
  await expect(phoneRow.getByTestId('nearby-pairing-confirm')).toContainText(code);
  await phone.page.screenshot({ path: `${SHOTS}/companion-phone-nearby-pair.png`, fullPage: true });
  await phoneRow.getByTestId('nearby-pair-confirm').click();

  await expect(popup.getByTestId('device-row')).toHaveAttribute('data-status', 'online', { timeout: 15_000 });
  await expect(phone.page.getByTestId('device-row')).toHaveAttribute('data-status', 'online');
  await expect(popup.getByTestId('nearby-row')).toHaveCount(0);
});
