// Launching the two "devices" of an end-to-end test: a desktop Chromium with the built extension loaded,
// and a phone-sized Chromium with its own profile that shares nothing with the desktop.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page, type Worker } from '@playwright/test';
import { scratchDir } from './scratch';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const EXTENSION_DIR = resolve('.output/chrome-mv3');
export const PHONE_USER_AGENT =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36';

// Without the background-networking flags Chromium keeps dialling hosts this network cannot reach.
const COMMON_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // DIRECTDROP_E2E_LOGS=1 copies every page's console (offscreen document included) to the browser's
  // stderr, which Playwright shows with DEBUG=pw:browser.
  ...(process.env.DIRECTDROP_E2E_LOGS ? ['--enable-logging=stderr', '--v=0'] : []),
];

export function newProfileDir(name: string): string {
  return scratchDir(name);
}

export interface Desktop {
  context: BrowserContext;
  worker: Worker;
  extensionId: string;
  profileDir: string;
  /** The browser's own Downloads folder (Playwright's download interception is switched off). */
  downloadsDir: string;
}

export async function launchDesktop(
  profileDir = newProfileDir('desktop'),
  extraArgs: string[] = [],
): Promise<Desktop> {
  // Downloads must behave as for a user (the extension's chosen folder and name), so they go to a folder of
  // this profile and Playwright's own download handling, which renames files, is turned off below.
  const downloadsDir = join(profileDir, 'Downloads');
  mkdirSync(join(profileDir, 'Default'), { recursive: true });
  writeFileSync(
    join(profileDir, 'Default', 'Preferences'),
    JSON.stringify({ download: { default_directory: downloadsDir, prompt_for_download: false } }),
  );
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ignoreDefaultArgs: ['--disable-extensions'],
    viewport: { width: 1280, height: 800 },
    args: [
      ...COMMON_ARGS,
      `--disable-extensions-except=${EXTENSION_DIR}`,
      `--load-extension=${EXTENSION_DIR}`,
      ...extraArgs,
    ],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'default' });
  await cdp.detach();
  return { context, worker, extensionId: new URL(worker.url()).host, profileDir, downloadsDir };
}

export async function launchPhone(
  profileDir = newProfileDir('phone'),
  extraArgs: string[] = [],
): Promise<{ context: BrowserContext; page: Page; profileDir: string }> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    userAgent: PHONE_USER_AGENT,
    args: [...COMMON_ARGS, ...extraArgs],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, profileDir };
}

/** Points the extension at the test's signalling server, as a user would in Options. */
export async function configureExtension(desktop: Desktop, serverUrl: string): Promise<void> {
  await desktop.worker.evaluate(async (url) => {
    await chrome.storage.local.set({
      settings: { serverUrl: url, iceServers: [], notifyOnReceive: true, offerToSendDownloads: true },
    });
  }, serverUrl);
}

export async function openPopup(desktop: Desktop): Promise<Page> {
  const page = await desktop.context.newPage();
  await page.setViewportSize({ width: 400, height: 600 });
  await page.goto(`chrome-extension://${desktop.extensionId}/popup.html`);
  return page;
}

declare const chrome: {
  storage: { local: { set(items: Record<string, unknown>): Promise<void> } };
  runtime: { sendMessage(message: unknown): Promise<unknown> };
};
