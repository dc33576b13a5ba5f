// The Firefox add-on, end to end: the built MV2 add-on in Debian's Firefox ESR (driven over WebDriver
// BiDi), the companion app in a phone-sized Chromium, the real server on loopback. The popup's first open
// pairs the phone; a link, a text and a file go Firefox -> phone and phone -> Firefox, files checked by
// SHA-256 where the user gets them (the phone's Save link, Firefox's Downloads/DirectDrop folder); and
// what Firefox shows as notifications on the way.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page as PlaywrightPage, test } from '@playwright/test';
import type { Page } from 'puppeteer-core';
import type { DirectDropServer } from '../../server/app';
import { launchPhone } from '../e2e/support/browsers';
import { scratchDir } from '../e2e/support/scratch';
import { startServer } from '../e2e/support/server';
import { randomFile, sha256Hex, startSite } from '../e2e/support/test-site';
import {
  askAddonEngine,
  attributeOf,
  clickAddonContextMenu,
  configureAddon,
  expectAttribute,
  type FirefoxDesktop,
  launchFirefoxDesktop,
  openAddonPage,
  pickFiles,
  textsOf,
} from './support/firefox';

test.describe.configure({ mode: 'serial' });

let server: DirectDropServer;
let firefox: FirefoxDesktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let popup: Page;
let phoneDeviceId = '';
const workDir = scratchDir('firefox-files');

test.beforeAll(async () => {
  server = await startServer();
  firefox = await launchFirefoxDesktop();
  // Set as saving Options would, from an add-on page, before the popup is first opened.
  const setup = await openAddonPage(firefox, 'options.html');
  await configureAddon(setup, server.httpUrl);
  await setup.close();
  phone = await launchPhone();
});

test.afterAll(async () => {
  await firefox?.browser.close();
  await phone?.context.close();
  await server?.close();
});

/**
 * Records the ids of the add-on's notifications as Firefox reports them to an add-on page. Headless
 * Firefox has no notification area: it takes each notification (it is listed by getAll) and reports it
 * closed at once, so `onClosed` is what shows one was posted; `onShown` counts too where it fires.
 */
async function watchNotifications(page: Page): Promise<void> {
  await page.evaluate(() => {
    const api = (globalThis as unknown as { browser: NotificationsApi }).browser.notifications;
    const seen: string[] = [];
    Object.assign(globalThis, { directDropSeenNotifications: seen });
    const note = (id: string) => {
      if (!seen.includes(id)) seen.push(id);
    };
    api.onShown.addListener(note);
    api.onClosed.addListener(note);
  });
}

function shownNotifications(page: Page): Promise<string[]> {
  return page.evaluate(() => [
    ...(globalThis as unknown as { directDropSeenNotifications: string[] }).directDropSeenNotifications,
  ]);
}

interface NotificationsApi {
  notifications: {
    onShown: { addListener(listener: (id: string) => void): void };
    onClosed: { addListener(listener: (id: string) => void): void };
  };
}

/** SHA-256 of a received file as the companion hands it to the user (its Save link). */
async function phoneFileSha256(page: PlaywrightPage, name: string): Promise<string> {
  const entry = page.getByTestId('inbox-item').filter({ hasText: name }).first();
  await expect(entry).toHaveAttribute('data-kind', 'file', { timeout: 60_000 });
  const href = (await entry.getByTestId('file-save').getAttribute('href')) ?? '';
  return page.evaluate(async (url) => {
    const digest = await crypto.subtle.digest('SHA-256', await (await fetch(url)).arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, href);
}

test("the popup's first open shows a pairing code for the configured server, and pairs the phone", async () => {
  popup = await openAddonPage(firefox, 'popup.html');
  await expectAttribute(popup, '[data-testid="server-status"]', 'data-status', 'online');
  // With nothing paired the pairing panel opens by itself, with a link to this server's companion app.
  await expect
    .poll(async () => (await textsOf(popup, '[data-testid="pairing-link"]'))[0] ?? '')
    .toContain('#pair=1.');
  expect(await popup.$('[data-testid="pairing-qr"]')).not.toBeNull();
  const link = (await textsOf(popup, '[data-testid="pairing-link"]'))[0] ?? '';
  expect(new URL(link).origin).toBe(new URL(server.publicUrl).origin);
  await watchNotifications(popup);

  await phone.page.goto(link);
  await expect(phone.page.getByTestId('pairing-status')).toHaveAttribute('data-state', 'paired');
  await expect(phone.page.getByTestId('pairing-status')).toContainText('Firefox on Linux');
  const desktopRow = phone.page.getByTestId('device-row');
  await expect(desktopRow).toHaveAttribute('data-status', 'online');

  await expectAttribute(popup, '[data-testid="device-row"]', 'data-status', 'online');
  expect(await textsOf(popup, '[data-testid="device-name"]')).toEqual(['Android phone']);
  phoneDeviceId = (await attributeOf(popup, '[data-testid="device-row"]', 'data-device-id')) ?? '';
  expect(phoneDeviceId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  // Firefox announces the pairing like Chrome does.
  await expect.poll(() => shownNotifications(popup)).toContain(`paired:${phoneDeviceId}`);
});

test('sends a link, a text and a file from Firefox to the phone', async () => {
  const inbox = phone.page.getByTestId('inbox-item');
  const link = await clickAddonContextMenu(popup, `send:link:${phoneDeviceId}`, {
    info: { linkUrl: 'https://example.com/from-firefox?id=7', pageUrl: 'https://example.com/' },
    tab: { url: 'https://example.com/', title: 'Example home' },
  });
  expect(link).toEqual({ ok: true, value: { delivered: true } });
  await expect(inbox.first()).toHaveAttribute('data-kind', 'link');
  await expect(inbox.first().getByTestId('open-link')).toHaveAttribute(
    'href',
    'https://example.com/from-firefox?id=7',
  );

  const text = await clickAddonContextMenu(popup, `send:text:${phoneDeviceId}`, {
    info: { selectionText: 'Selected in Firefox, <b>inert</b>.', pageUrl: 'https://example.com/post' },
    tab: { url: 'https://example.com/post', title: 'A post' },
  });
  expect(text).toEqual({ ok: true, value: { delivered: true } });
  await expect(inbox.first()).toHaveAttribute('data-kind', 'text');
  await expect(inbox.first().getByTestId('item-text')).toContainText('Selected in Firefox, <b>inert</b>.');
  // Each send says how it went, as a notification (the only place a menu click can answer).
  await expect
    .poll(async () => (await shownNotifications(popup)).filter((id) => id.startsWith('send:')).length)
    .toBe(2);

  // Firefox closes the popup when a file dialog opens, so files are picked on the send page.
  const path = join(workDir, 'from firefox.bin');
  const data = randomFile(2_000_000);
  writeFileSync(path, data);
  const sendPage = await openAddonPage(firefox, 'send.html');
  await pickFiles(sendPage, '[data-testid="send-files-input"]', [path]);
  if (await sendPage.$('[data-testid="send-files-button"]'))
    await sendPage.click('[data-testid="send-files-button"]');
  await expectAttribute(sendPage, '[data-testid="send-files-result"]', 'data-state', /queued|sent/);
  expect(await phoneFileSha256(phone.page, 'from firefox.bin')).toBe(sha256Hex(data));
  await expectAttribute(sendPage, '[data-testid="outbox-row"]', 'data-state', 'delivered');
  await sendPage.close();
});

test('receives a link, a text and a file from the phone; the file lands in Downloads/DirectDrop', async () => {
  const sendFromPhone = async (value: string) => {
    await phone.page.getByTestId('send-text').fill(value);
    await phone.page.getByTestId('send-button').click();
    await expect(phone.page.getByTestId('send-result')).toHaveAttribute('data-state', 'sent');
  };
  const inboxItems = async () =>
    (await askAddonEngine(popup, { type: 'get-inbox' })).map((entry) => entry.item);
  await sendFromPhone('https://example.org/from-the-phone');
  await expect.poll(inboxItems).toContainEqual({ kind: 'link', url: 'https://example.org/from-the-phone' });
  await sendFromPhone('Typed on the phone');
  await expect.poll(inboxItems).toContainEqual({ kind: 'text', text: 'Typed on the phone' });
  // What arrives is announced; the popup lists it.
  await expect
    .poll(async () => (await shownNotifications(popup)).filter((id) => id.startsWith('item:')).length)
    .toBe(2);
  await expect
    .poll(() => textsOf(popup, '[data-testid="inbox-item"] [data-testid="item-text"]'))
    .toEqual(expect.arrayContaining([expect.stringContaining('Typed on the phone')]));

  const path = join(workDir, 'from phone.bin');
  const data = randomFile(3_000_000);
  writeFileSync(path, data);
  await phone.page.getByTestId('send-files-input').setInputFiles(path);
  const confirm = phone.page.getByTestId('send-files-button');
  if (await confirm.count()) await confirm.click();
  const savedPath = () =>
    popup.evaluate(async () => {
      const api = (globalThis as unknown as { browser: DownloadsApi }).browser;
      const [item] = await api.downloads.search({ filenameRegex: 'from phone', state: 'complete' });
      return item?.filename ?? '';
    });
  await expect
    .poll(savedPath, { timeout: 60_000 })
    .toBe(join(firefox.downloadsDir, 'DirectDrop', 'from phone.bin'));
  expect(sha256Hex(readFileSync(await savedPath()))).toBe(sha256Hex(data));
  // The inbox lists it as well, as a file.
  await expect
    .poll(inboxItems)
    .toContainEqual(expect.objectContaining({ kind: 'file', name: 'from phone.bin' }));
});

test('clicking a notification: an arrived link opens in a tab; a download offer opens the popup', async () => {
  const url = `${server.httpUrl}/?opened-from=notification`;
  await phone.page.getByTestId('send-text').fill(url);
  await phone.page.getByTestId('send-button').click();
  await expect(phone.page.getByTestId('send-result')).toHaveAttribute('data-state', 'sent');
  await expect
    .poll(async () => (await askAddonEngine(popup, { type: 'get-inbox' })).map((entry) => entry.item))
    .toContainEqual({ kind: 'link', url });
  const arrived = (await askAddonEngine(popup, { type: 'get-inbox' })).find(
    (entry) => entry.item.kind === 'link' && entry.item.url === url,
  );
  const arrivedId = `item:${arrived?.fromDeviceId}:${arrived?.id}`;
  await expect.poll(() => shownNotifications(popup)).toContain(arrivedId);
  // Firefox passes no button index: a click on the notification itself.
  await clickAddonNotification(popup, arrivedId);
  // The add-on has no "tabs" permission, so it cannot read web pages' addresses; the driver can.
  await expect
    .poll(async () => Promise.all((await firefox.browser.pages()).map((tab) => tab.url())))
    .toContain(url);

  // A download the user makes in Firefox is offered for sending once it completes.
  const site = await startSite(
    {
      '/page.html': {
        body: Buffer.from('<!doctype html><a id="report" href="/report.bin" download>Report</a>'),
        type: 'text/html',
      },
      '/report.bin': {
        body: randomFile(200_000),
        type: 'application/octet-stream',
        disposition: 'attachment; filename="firefox report.bin"',
      },
    },
    '127.0.0.1',
  );
  try {
    const page = await firefox.browser.newPage();
    await page.goto(`${site.origin}/page.html`);
    await page.click('#report');
    const downloadId = () =>
      popup.evaluate(async () => {
        const api = (globalThis as unknown as { browser: DownloadsApi }).browser;
        const [item] = await api.downloads.search({ filenameRegex: 'firefox report', state: 'complete' });
        return item?.id ?? -1;
      });
    await expect.poll(downloadId).toBeGreaterThan(-1);
    const offer = `download:${await downloadId()}`;
    await expect.poll(() => shownNotifications(popup)).toContain(offer);
    await clickAddonNotification(popup, offer);
    await expect
      .poll(async () => (await openTabUrls(popup)).filter((tab) => tab.endsWith('/popup.html')).length)
      .toBe(2);
    await page.close();
  } finally {
    await site.close();
  }
});

/** Calls the background page's notifications.onClicked handler, as Firefox does on a click. */
async function clickAddonNotification(page: Page, id: string): Promise<void> {
  await page.evaluate(async (notificationId) => {
    const api = (globalThis as unknown as { browser: { runtime: { getBackgroundPage(): Promise<Window> } } })
      .browser;
    const background = (await api.runtime.getBackgroundPage()) as unknown as {
      directDrop: { onNotificationClicked(id: string): Promise<void> };
    };
    await background.directDrop.onNotificationClicked(notificationId);
  }, id);
}

/** The add-on's own pages open in tabs (the only addresses it may read without the "tabs" permission). */
function openTabUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const api = (globalThis as unknown as { browser: TabsApi }).browser;
    return (await api.tabs.query({})).map((tab) => tab.url ?? '');
  });
}

interface TabsApi {
  tabs: { query(query: Record<string, unknown>): Promise<Array<{ url?: string }>> };
}

interface DownloadsApi {
  downloads: {
    search(query: Record<string, unknown>): Promise<Array<{ id: number; filename: string }>>;
  };
}
