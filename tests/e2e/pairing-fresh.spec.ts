// The pairing code in the popup is never stale: it names the server in use now. Changing the server in
// Options while the code is showing replaces it, in the open popup, with a code for the new server; while
// the server cannot be reached the popup says so instead of showing a code a phone could not open; and the
// code shown when it is back pairs the phone.

import { expect, type Page, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone, openPopup } from './support/browsers';
import { printPagesOnFailure } from './support/failure-report';
import { startServer } from './support/server';

test.describe.configure({ mode: 'serial' });

const SHOTS = 'artifacts/screenshots';
let first: DirectDropServer;
let second: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let popup: Page;

test.beforeAll(async () => {
  [first, second] = await Promise.all([startServer(), startServer()]);
  desktop = await launchDesktop();
  await configureExtension(desktop, first.httpUrl);
  phone = await launchPhone();
  popup = await openPopup(desktop);
});

// biome-ignore lint/correctness/noEmptyPattern: Playwright requires a destructuring pattern, and no fixture is used.
test.afterEach(async ({}, testInfo) => {
  await printPagesOnFailure(testInfo, { popup, phone: phone?.page });
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await Promise.all([first?.close(), second?.close()]);
});

test('changing the server in Options replaces the code in the open popup with one for the new server', async () => {
  const link = popup.getByTestId('pairing-link');
  await expect(link).toContainText(`${first.publicUrl}/#pair=1.`);

  const options = await desktop.context.newPage();
  await options.goto(`chrome-extension://${desktop.extensionId}/options.html`);
  await options.getByTestId('settings-server-url').fill(second.httpUrl);
  await options.getByTestId('settings-save').click();
  await expect(options.getByTestId('settings-status')).toContainText('Saved');
  await options.close();

  await expect(link).toContainText(`${second.publicUrl}/#pair=1.`, { timeout: 10_000 });
  await expect(popup.getByTestId('server-status')).toHaveAttribute('data-status', 'online');
});

test('while the server cannot be reached the popup says so instead of showing a code', async () => {
  const port = second.httpPort;
  await second.close();
  await expect(popup.getByTestId('pairing-server-away')).toBeVisible({ timeout: 15_000 });
  await expect(popup.getByTestId('pairing-qr')).toHaveCount(0);
  await expect(popup.getByTestId('pairing-link')).toHaveCount(0);
  await popup.screenshot({ path: `${SHOTS}/popup-pairing-server-away.png` });

  second = await startServer(port);
  const link = popup.getByTestId('pairing-link');
  await expect(link).toContainText(`${second.publicUrl}/#pair=1.`, { timeout: 30_000 });
  await phone.page.goto((await link.textContent())?.trim() ?? '');
  await expect(phone.page.getByTestId('pairing-status')).toHaveAttribute('data-state', 'paired');
  await expect(popup.getByTestId('device-row')).toHaveAttribute('data-status', 'online');
});
