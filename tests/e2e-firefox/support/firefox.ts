// Stock Firefox ESR (Debian's firefox-esr) driven over WebDriver BiDi by puppeteer-core, for the Firefox
// end-to-end tests: a desktop with the built MV2 add-on installed through BiDi `webExtension.install`, or a
// phone-sized Firefox for the companion app, each on a profile of its own that shares nothing.
//
// Two things differ from driving Chromium, and are handled here once:
// - Firefox 153 lets WebDriver navigate only to http(s), file, blob and about:blank unless the browser is
//   started with `--remote-allow-system-access` (geckodriver's documented "allow system access" flag);
//   without it, opening `moz-extension://…/popup.html` fails with "is not allowed in this context".
// - Firefox sends no BiDi `load` / `domContentLoaded` events for moz-extension documents, so Puppeteer's
//   `goto` never sees the navigation finish. Extension pages are therefore opened by starting the
//   navigation and waiting for the document itself to be there, complete, at that address.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from '@playwright/test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { EngineRequest, EngineResponses, RpcResult } from '../../../utils/extension-messages';
import { browserTab, type MenuClick } from '../../e2e/support/extension';
import { scratchDir } from '../../e2e/support/scratch';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const ADDON_DIR = resolve('.output/firefox-mv2');
/** The add-on's id (browser_specific_settings.gecko.id in wxt.config.ts). */
const ADDON_ID = 'directdrop@directdrop.dev';
/** Firefox gives each add-on a random internal UUID per profile; the pref below fixes it for a test. */
const ADDON_UUID = '5d1f3c2a-7b8e-4f60-9a41-d1d0c0ffee15';
export const ADDON_BASE = `moz-extension://${ADDON_UUID}`;
/** Firefox for Android, so the desktop names the companion app's device as a phone. */
export const FIREFOX_PHONE_USER_AGENT =
  'Mozilla/5.0 (Android 14; Mobile; rv:153.0) Gecko/153.0 Firefox/153.0';

export interface FirefoxDesktop {
  browser: Browser;
  profileDir: string;
  /** Where Firefox saves downloads (no dialog): received files land in DirectDrop/ below it. */
  downloadsDir: string;
}

export interface FirefoxPhone {
  browser: Browser;
  page: Page;
  profileDir: string;
}

function launch(profileDir: string, prefs: Record<string, unknown>): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    userDataDir: profileDir,
    args: ['--remote-allow-system-access'],
    // In CI, what Firefox prints goes to the log: a start that stalls (seen once, not explained) then
    // shows where it stopped.
    dumpio: process.env.CI === 'true',
    extraPrefsFirefox: {
      // Nothing this machine cannot reach: no captive-portal probe, no connectivity checks, no telemetry pings.
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'browser.ping-centre.telemetry': false,
      ...prefs,
    },
  });
}

/** Firefox with the built add-on installed, as a user would after "Load Temporary Add-on". */
export async function launchFirefoxDesktop(
  options: { profileDir?: string; prefs?: Record<string, unknown> } = {},
): Promise<FirefoxDesktop> {
  const profileDir = options.profileDir ?? scratchDir('firefox-desktop');
  const downloadsDir = join(profileDir, 'Downloads');
  mkdirSync(downloadsDir, { recursive: true });
  const browser = await launch(profileDir, {
    'extensions.webextensions.uuids': JSON.stringify({ [ADDON_ID]: ADDON_UUID }),
    // Downloads go straight to this folder, as with Firefox's default "Save files to Downloads".
    'browser.download.folderList': 2,
    'browser.download.dir': downloadsDir,
    'browser.download.useDownloadDir': true,
    'browser.download.always_ask_before_handling_new_types': false,
    ...options.prefs,
  });
  const id = await browser.installExtension(ADDON_DIR);
  if (id !== ADDON_ID) throw new Error(`Installed add-on has id ${id}, expected ${ADDON_ID}.`);
  return { browser, profileDir, downloadsDir };
}

/** A phone-sized Firefox that opens the companion app like Firefox for Android would. */
export async function launchFirefoxPhone(profileDir = scratchDir('firefox-phone')): Promise<FirefoxPhone> {
  const browser = await launch(profileDir, { 'general.useragent.override': FIREFOX_PHONE_USER_AGENT });
  const page = (await browser.pages())[0] ?? (await browser.newPage());
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  return { browser, page, profileDir };
}

/**
 * Opens one of the add-on's pages (popup.html, options.html, send.html) in a new tab. Puppeteer's own
 * wait for the navigation never ends for extension pages (see the header), so it is cancelled once the
 * document reports itself complete at the requested address.
 */
export async function openAddonPage(desktop: FirefoxDesktop, path: string): Promise<Page> {
  const page = await desktop.browser.newPage();
  await navigateAddonPage(page, path);
  await page.setViewport({ width: 400, height: 600 });
  return page;
}

/** Navigates an existing tab to an add-on page, or reloads it when it is already there. */
export async function navigateAddonPage(page: Page, path: string): Promise<void> {
  const url = `${ADDON_BASE}/${path}`;
  const stop = new AbortController();
  const navigation = page.goto(url, { signal: stop.signal, timeout: 0 }).catch(() => undefined);
  await waitForDocument(page, url);
  stop.abort();
  await navigation;
}

/** Reloads an add-on page as F5 would, and waits for the new document. */
export async function reloadAddonPage(page: Page): Promise<void> {
  const url = await page.evaluate(() => {
    const marked = location.href;
    (window as unknown as { directDropOldDocument: boolean }).directDropOldDocument = true;
    location.reload();
    return marked;
  });
  await waitForDocument(page, url);
}

async function waitForDocument(page: Page, url: string): Promise<void> {
  await expect
    .poll(
      () =>
        page
          .evaluate(
            () =>
              `${location.href} ${document.readyState} ${'directDropOldDocument' in window ? 'old' : 'new'}`,
          )
          // While the documents change, the old realm is gone and the new one not there yet.
          .catch(() => ''),
      { message: `waiting for ${url} to load`, timeout: 30_000 },
    )
    .toBe(`${url} complete new`);
}

/** Sends an engine request from an add-on page, exactly as the popup does. */
export async function askAddonEngine<T extends EngineRequest['type']>(
  page: Page,
  request: Extract<EngineRequest, { type: T }>,
): Promise<EngineResponses[T]> {
  const result = (await page.evaluate(
    (req) =>
      (globalThis as unknown as { browser: FirefoxBrowserApi }).browser.runtime.sendMessage({
        to: 'background',
        request: req,
      }),
    request,
  )) as RpcResult<EngineResponses[T]>;
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** Points the add-on at the test's server, as saving Options does. */
export async function configureAddon(page: Page, serverUrl: string): Promise<void> {
  await page.evaluate(
    (url) =>
      (globalThis as unknown as { browser: FirefoxBrowserApi }).browser.storage.local.set({
        settings: { serverUrl: url, iceServers: [], notifyOnReceive: true, offerToSendDownloads: true },
      }),
    serverUrl,
  );
}

/**
 * Calls the background page's contextMenus.onClicked handler with Firefox's info/tab shapes. Firefox's
 * MV2 background page lives in the same process as the add-on's tabs, so a tab reaches it directly.
 */
export async function clickAddonContextMenu(
  page: Page,
  menuItemId: string,
  click: MenuClick,
): Promise<RpcResult<unknown>> {
  return page.evaluate(
    async ({ id, info, tab }) => {
      const background = (await (
        globalThis as unknown as { browser: FirefoxBrowserApi }
      ).browser.runtime.getBackgroundPage()) as unknown as {
        directDrop: { onContextMenuClicked(info: unknown, tab: unknown): Promise<RpcResult<unknown>> };
      };
      const result = await background.directDrop.onContextMenuClicked(
        { menuItemId: id, editable: false, frameId: 0, ...info },
        tab,
      );
      // A plain copy: the object belongs to the background page's compartment.
      return JSON.parse(JSON.stringify(result)) as RpcResult<unknown>;
    },
    { id: menuItemId, info: click.info, tab: browserTab(click.tab) },
  );
}

/** An add-on page's `browser` global (Firefox's own WebExtension API), typed for what the tests use. */
interface FirefoxBrowserApi {
  runtime: { sendMessage(message: unknown): Promise<unknown>; getBackgroundPage(): Promise<Window> };
  storage: { local: { set(items: Record<string, unknown>): Promise<void> } };
}

/** The value of an attribute of the first element matching `selector`, or undefined while there is none. */
export function attributeOf(page: Page, selector: string, name: string): Promise<string | undefined> {
  return page
    .$eval(selector, (element, attribute) => element.getAttribute(attribute) ?? undefined, name)
    .catch(() => undefined);
}

/** Waits until the first element matching `selector` has the attribute value. */
export async function expectAttribute(
  page: Page,
  selector: string,
  name: string,
  expected: string | RegExp,
  timeout?: number,
): Promise<void> {
  const poll = expect.poll(() => attributeOf(page, selector, name), {
    message: `${selector} [${name}]`,
    ...(timeout ? { timeout } : {}),
  });
  if (typeof expected === 'string') await poll.toBe(expected);
  else await poll.toMatch(expected);
}

/** The trimmed text of every element matching `selector`, in document order. */
export function textsOf(page: Page, selector: string): Promise<string[]> {
  return page
    .$$eval(selector, (elements) => elements.map((element) => element.textContent?.trim() ?? ''))
    .catch(() => []);
}

/** Types into an input the way a user does, so Preact's onInput sees it. */
export async function fillInput(page: Page, selector: string, value: string): Promise<void> {
  await page.waitForSelector(selector);
  await page.$eval(
    selector,
    (element, text) => {
      const input = element as HTMLInputElement | HTMLTextAreaElement;
      input.focus();
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
    value,
  );
}

/** Picks files in a file input, as the browser's file dialog would. */
export async function pickFiles(page: Page, selector: string, paths: string[]): Promise<void> {
  const input = await page.waitForSelector(selector);
  if (!input) throw new Error(`No ${selector} on the page.`);
  await (input as unknown as { uploadFile(...paths: string[]): Promise<void> }).uploadFile(...paths);
}
