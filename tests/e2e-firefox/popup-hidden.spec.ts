// The popup (and the send page) in a Firefox tab the user does not see: reloaded right after Options were
// saved, while Options is in front, it must show the engine's state at once and follow its changes, not
// sit on "Starting…". Firefox gives hidden documents about one animation frame a second and throttled
// timers, and far fewer once they have been in the background a while; this Firefox stretches that to
// no frames and one-minute timers, so a page that waits for a frame or a timer before asking the
// engine (as Preact's passive effects do) visibly stays on "Starting…", while one that asks as it mounts
// is unaffected. Only hidden documents are affected: the add-on's background page and Options run as usual.

import { expect, test } from '@playwright/test';
import type { Page } from 'puppeteer-core';
import type { DirectDropServer } from '../../server/app';
import { startServer } from '../e2e/support/server';
import {
  attributeOf,
  configureAddon,
  expectAttribute,
  type FirefoxDesktop,
  fillInput,
  launchFirefoxDesktop,
  openAddonPage,
  reloadAddonPage,
  textsOf,
} from './support/firefox';

test.describe.configure({ mode: 'serial' });

const HIDDEN_DOCUMENTS_STARVED = {
  'layout.throttled_frame_rate': 0,
  'dom.min_background_timeout_value': 60_000,
  'dom.min_background_timeout_value_without_budget_throttling': 60_000,
  'dom.timeout.throttling_delay': 0,
};

let server: DirectDropServer;
let firefox: FirefoxDesktop;

test.beforeAll(async () => {
  server = await startServer();
  firefox = await launchFirefoxDesktop({ prefs: HIDDEN_DOCUMENTS_STARVED });
  const setup = await openAddonPage(firefox, 'options.html');
  await configureAddon(setup, server.httpUrl);
  await setup.close();
});

test.afterAll(async () => {
  await firefox?.browser.close();
  await server?.close();
});

function isStarting(page: Page): Promise<boolean> {
  return page.evaluate(() => document.querySelector('.popup__loading') !== null);
}

/** Saves Options with the server address written differently, so the engine really reconnects. */
async function saveOptionsWithServer(options: Page, url: string): Promise<void> {
  await fillInput(options, '[data-testid="settings-server-url"]', url);
  await options.click('[data-testid="settings-save"]');
}

test('a popup tab reloaded behind Options, right after saving, shows the state and follows it', async () => {
  const popup = await openAddonPage(firefox, 'popup.html');
  await expectAttribute(popup, '[data-testid="server-status"]', 'data-status', 'online');
  const options = await openAddonPage(firefox, 'options.html');
  const otherSpelling = server.httpUrl.replace('127.0.0.1', 'localhost');
  await saveOptionsWithServer(options, otherSpelling);
  await reloadAddonPage(popup);
  expect(await popup.evaluate(() => document.visibilityState)).toBe('hidden');

  // The engine answers at once; the page must have asked.
  await expect.poll(() => isStarting(popup), { timeout: 10_000 }).toBe(false);
  // The reconnect to the new address finishes after the reload: the page heard about it.
  await expectAttribute(popup, '[data-testid="server-status"]', 'data-status', 'online', 10_000);
  await expect
    .poll(async () => (await textsOf(options, '[data-testid="settings-status"]'))[0] ?? '')
    .toContain('Saved');
});

test('the send page, reloaded behind Options right after saving, shows the state too', async () => {
  const sendPage = await openAddonPage(firefox, 'send.html');
  await expect.poll(() => isStarting(sendPage)).toBe(false);
  const options = await openAddonPage(firefox, 'options.html');
  await saveOptionsWithServer(options, server.httpUrl);
  await reloadAddonPage(sendPage);
  expect(await sendPage.evaluate(() => document.visibilityState)).toBe('hidden');
  await expect.poll(() => isStarting(sendPage), { timeout: 10_000 }).toBe(false);
  expect(await attributeOf(sendPage, '.send-page', 'class')).toContain('send-page');
});
