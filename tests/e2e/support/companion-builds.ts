// Companion builds a test serves in place of the real one: a copy of dist/companion, the same copy with a
// script added to index.html (as a compromised server would add it), either left as it is or published
// as a new build (its manifest and worker made by the same code as `npm run build:companion`), and a
// swap of what the running server serves, done on disk.

import { cp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type BrowserContext, expect, type Page } from '@playwright/test';
import {
  addIntegrity,
  BUILD_INFO_FILE,
  type BuildInfo,
  publishBuild,
} from '../../../companion/build/companion-build';
import { scratchDir } from './scratch';

export const BUILT_COMPANION = resolve('dist/companion');
const WORKER_TEMPLATE = resolve('companion/public/sw.js');
/** Set by the added script, in the page's localStorage: the proof that it ran. */
export const INJECTED_MARKER = 'directdrop-test-injected';
const INJECTED_PATH = '/assets/injected-test.js';

export async function copyOfBuild(from = BUILT_COMPANION): Promise<string> {
  const dir = join(scratchDir('companion'), 'build');
  await cp(from, dir, { recursive: true });
  return dir;
}

export async function buildInfo(dir: string): Promise<BuildInfo> {
  return JSON.parse(await readFile(join(dir, BUILD_INFO_FILE), 'utf8')) as BuildInfo;
}

/** Adds a same-origin script to index.html (with its integrity, as a careful attacker would). */
export async function injectScript(dir: string): Promise<void> {
  const script = `localStorage.setItem(${JSON.stringify(INJECTED_MARKER)}, location.href);\n`;
  await writeFile(join(dir, INJECTED_PATH), script);
  const indexPath = join(dir, 'index.html');
  const html = await readFile(indexPath, 'utf8');
  const changed = html.replace(
    '</head>',
    `  <script type="module" src="${INJECTED_PATH}"></script>\n  </head>`,
  );
  await writeFile(
    indexPath,
    addIntegrity(changed, (path) => (path === INJECTED_PATH ? script : undefined)),
  );
}

/** A new build as its publisher would make it: the copy's files, a new version, manifest and worker. */
export async function publishAs(dir: string, version: string): Promise<BuildInfo> {
  return publishBuild(dir, version, await readFile(WORKER_TEMPLATE, 'utf8'));
}

/** Makes the server serve `next` from now on: `served` (its COMPANION_DIR) is replaced on disk. */
export async function serveInstead(served: string, next: string): Promise<void> {
  const old = `${served}.old`;
  await rename(served, old);
  await cp(next, served, { recursive: true });
  await rm(old, { recursive: true, force: true });
}

/**
 * A service worker as a hostile server would write it: it activates itself at once, takes over every open
 * page and leaves every request to the network, that is to the server.
 */
export async function replaceWorkerWithHostileOne(dir: string): Promise<void> {
  await writeFile(
    join(dir, 'sw.js'),
    [
      "self.addEventListener('install', () => self.skipWaiting());",
      "self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));",
      '',
    ].join('\n'),
  );
}

/**
 * Closes the app's page and waits until the browser activates the newest service worker by itself, as
 * it does once no page of the app is open (when the old worker is idle); then opens the app again in a
 * fresh page. The browser decides the moment, so this watches the workers through DevTools.
 */
export async function reopenOnceNewWorkerActive(
  context: BrowserContext,
  page: Page,
  url: string,
): Promise<Page> {
  const next = await context.newPage();
  const cdp = await context.newCDPSession(next);
  const versions = new Map<number, string>();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: updated }) => {
    for (const version of updated) versions.set(Number(version.versionId), version.status);
  });
  await cdp.send('ServiceWorker.enable');
  await page.close();
  // Chromium 156 here: about 2.3 s after the page closed.
  await expect.poll(() => versions.get(Math.max(...versions.keys()))).toBe('activated');
  await cdp.detach();
  await next.goto(url);
  return next;
}
