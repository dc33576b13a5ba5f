// The foundation, end to end: the built extension in one Chromium, the companion app in a second,
// phone-sized Chromium, the real server on loopback. Pair by the link from the popup, send link, text and
// page through the context-menu handler exactly as Chrome calls it, send text back, survive a server
// restart, and refuse the phone once it has been unpaired.

import { mkdirSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone, openPopup } from './support/browsers';
import { askEngineFrom, clickContextMenu } from './support/extension';
import { startServer } from './support/server';

const SHOTS = 'artifacts/screenshots';
mkdirSync(SHOTS, { recursive: true });

test.describe.configure({ mode: 'serial' });

let server: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let popup: Page;
let phoneDeviceId = '';

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchPhone();
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await server?.close();
});

test('pairs a phone through the link shown in the popup', async () => {
  popup = await openPopup(desktop);
  await expect(popup.getByTestId('server-status')).toHaveAttribute('data-status', 'online');
  // With no paired device the pairing panel opens by itself.
  const linkElement = popup.getByTestId('pairing-link');
  await expect(linkElement).toContainText('#pair=1.');
  await expect(popup.getByTestId('pairing-qr')).toBeVisible();
  await popup.screenshot({ path: `${SHOTS}/popup-pairing-qr.png` });
  const link = (await linkElement.textContent())?.trim() ?? '';
  expect(new URL(link).origin).toBe(new URL(server.publicUrl).origin);

  await phone.page.goto(link);
  await expect(phone.page.getByTestId('pairing-status')).toHaveAttribute('data-state', 'paired');
  await expect(phone.page.getByTestId('pairing-status')).toContainText('Chrome on Linux');
  // The secret must not linger in the address bar or history.
  expect(new URL(phone.page.url()).hash).toBe('');

  const phoneRow = popup.getByTestId('device-row');
  await expect(phoneRow).toHaveCount(1);
  await expect(phoneRow).toHaveAttribute('data-status', 'online');
  await expect(phoneRow.getByTestId('device-name')).toHaveText('Android phone');
  phoneDeviceId = (await phoneRow.getAttribute('data-device-id')) ?? '';
  expect(phoneDeviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);

  const desktopRow = phone.page.getByTestId('device-row');
  await expect(desktopRow).toHaveAttribute('data-status', 'online');
  await expect(desktopRow.getByTestId('device-name')).toHaveText('Chrome on Linux');
  await popup.screenshot({ path: `${SHOTS}/popup-paired.png` });
  // "Paired with …" is news for a moment: it folds away by itself.
  await expect(phone.page.getByTestId('pairing-status')).toHaveCount(0, { timeout: 15_000 });
});

test('sends a link, selected text and the page through the context menu', async () => {
  const inbox = phone.page.getByTestId('inbox-item');

  const link = await clickContextMenu(desktop, `send:link:${phoneDeviceId}`, {
    info: { linkUrl: 'https://example.com/article?id=7', pageUrl: 'https://example.com/' },
    tab: { url: 'https://example.com/', title: 'Example home' },
  });
  expect(link).toEqual({ ok: true, value: { delivered: true } });
  await expect(inbox.first()).toHaveAttribute('data-kind', 'link');
  await expect(inbox.first().getByTestId('item-text')).toContainText('https://example.com/article?id=7');
  await expect(inbox.first().getByTestId('open-link')).toHaveAttribute(
    'href',
    'https://example.com/article?id=7',
  );

  const text = await clickContextMenu(desktop, `send:text:${phoneDeviceId}`, {
    info: { selectionText: 'Peer to peer, <b>no</b> server copy.', pageUrl: 'https://example.com/post' },
    tab: { url: 'https://example.com/post', title: 'A post' },
  });
  expect(text.ok).toBe(true);
  await expect(inbox.first()).toHaveAttribute('data-kind', 'text');
  // Markup arrives as inert text.
  await expect(inbox.first().getByTestId('item-text')).toContainText('Peer to peer, <b>no</b> server copy.');
  await expect(inbox.first().locator('b')).toHaveCount(0);

  const page = await clickContextMenu(desktop, `send:page:${phoneDeviceId}`, {
    info: { pageUrl: 'https://example.com/docs' },
    tab: { url: 'https://example.com/docs', title: 'The documentation' },
  });
  expect(page.ok).toBe(true);
  await expect(inbox.first()).toHaveAttribute('data-kind', 'page');
  await expect(inbox.first().getByTestId('item-text')).toContainText('The documentation');
  await expect(inbox).toHaveCount(3);
  await phone.page.screenshot({ path: `${SHOTS}/companion-phone-inbox.png` });
});

test('sends text from the phone back to the desktop', async () => {
  await phone.page.getByTestId('send-text').fill('Sent from the phone');
  await phone.page.getByTestId('send-button').click();
  await expect(phone.page.getByTestId('send-result')).toHaveAttribute('data-state', 'sent');
  await expect
    .poll(async () => (await askEngineFrom(popup, { type: 'get-inbox' })).map((entry) => entry.item))
    .toContainEqual({ kind: 'text', text: 'Sent from the phone' });
});

test('reconnects by itself after a server restart, and the next send works', async () => {
  const port = server.httpPort;
  await server.close();
  await expect(popup.getByTestId('server-status')).not.toHaveAttribute('data-status', 'online');
  await expect(phone.page.getByTestId('server-status')).not.toHaveAttribute('data-status', 'online');
  server = await startServer(port);
  await expect(popup.getByTestId('server-status')).toHaveAttribute('data-status', 'online', {
    timeout: 30_000,
  });
  await expect(phone.page.getByTestId('server-status')).toHaveAttribute('data-status', 'online', {
    timeout: 30_000,
  });
  const result = await clickContextMenu(desktop, `send:link:${phoneDeviceId}`, {
    info: { linkUrl: 'https://example.com/after-restart', pageUrl: 'https://example.com/' },
    tab: { url: 'https://example.com/', title: 'Example' },
  });
  expect(result).toEqual({ ok: true, value: { delivered: true } });
  await expect(phone.page.getByTestId('inbox-item').first().getByTestId('item-text')).toContainText(
    'https://example.com/after-restart',
  );
});

test('says clearly when the device is offline, and keeps the item for later', async () => {
  const profileDir = phone.profileDir;
  await phone.context.close();
  await expect(popup.getByTestId('device-row')).toHaveAttribute('data-status', 'offline', {
    timeout: 60_000,
  });
  const result = await clickContextMenu(desktop, `send:text:${phoneDeviceId}`, {
    info: { selectionText: 'nobody home', pageUrl: 'https://example.com/' },
    tab: { url: 'https://example.com/', title: 'Example' },
  });
  expect(result).toEqual({ ok: true, value: { queued: true, reason: 'Android phone is offline.' } });
  phone = await launchPhone(profileDir);
  await phone.page.goto(server.publicUrl);
  // The outbox delivers it by itself once the phone is back.
  await expect(phone.page.getByTestId('inbox-item').first().getByTestId('item-text')).toContainText(
    'nobody home',
  );
});

test('after unpairing, the phone can no longer connect as paired', async () => {
  await phone.page.goto(server.publicUrl);
  await expect(popup.getByTestId('device-row')).toHaveAttribute('data-status', 'online');
  // Unpair while the phone is away, so it is not told and tries to connect as paired.
  const profileDir = phone.profileDir;
  await phone.context.close();
  await expect(popup.getByTestId('device-row')).toHaveAttribute('data-status', 'offline', {
    timeout: 60_000,
  });
  await popup.getByTestId('unpair').click();
  await popup.getByTestId('confirm-unpair').click();
  await expect(popup.getByTestId('device-row')).toHaveCount(0);

  phone = await launchPhone(profileDir);
  await phone.page.goto(server.publicUrl);
  await expect(phone.page.getByTestId('device-row')).toHaveAttribute('data-status', 'unpaired');
  await expect(popup.getByTestId('device-row')).toHaveCount(0);
  // The phone says so at the top, instead of a send form with nobody to send to.
  const state = phone.page.getByTestId('unpaired-state');
  await expect(state).toContainText('Not paired any more');
  await expect(state).toContainText('Chrome on Linux unpaired this device');
  expect((await state.boundingBox())?.y ?? Number.POSITIVE_INFINITY).toBeLessThan(400);
  await expect(phone.page.getByTestId('send-button')).toHaveCount(0);
  await phone.page.screenshot({ path: `${SHOTS}/companion-phone-unpaired.png` });
});
