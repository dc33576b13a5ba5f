// Breaking things on purpose, for the fault end-to-end tests: stopping the extension's service worker and
// closing its offscreen document through the DevTools protocol, watching the worker come back, reading
// transfers as the popup and the companion show them, checking received files by SHA-256 where the user
// gets them, and listing what the phone keeps in its Origin Private File System.

import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import {
  type BrowserContext,
  type CDPSession,
  expect,
  type Locator,
  type Page,
  type Worker,
} from '@playwright/test';
import type { Desktop } from './browsers';

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
}

async function withBrowserSession<T>(desktop: Desktop, run: (cdp: CDPSession) => Promise<T>): Promise<T> {
  const browser = desktop.context.browser();
  if (!browser) throw new Error('The desktop browser has no browser-level DevTools session.');
  const cdp = await browser.newBrowserCDPSession();
  try {
    return await run(cdp);
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/** The extension's DevTools targets (service worker, offscreen document, its pages). */
export async function extensionTargets(desktop: Desktop): Promise<TargetInfo[]> {
  return withBrowserSession(desktop, async (cdp) => {
    const { targetInfos } = await cdp.send('Target.getTargets');
    return targetInfos.filter((t) => t.url.startsWith(`chrome-extension://${desktop.extensionId}/`));
  });
}

export async function serviceWorkerRunning(desktop: Desktop): Promise<boolean> {
  return (await extensionTargets(desktop)).some((t) => t.type === 'service_worker');
}

/** The offscreen document's target id, or undefined while there is none. */
export async function offscreenTargetId(desktop: Desktop): Promise<string | undefined> {
  const targets = await extensionTargets(desktop);
  return targets.find((t) => t.type === 'background_page' && t.url.endsWith('/offscreen.html'))?.targetId;
}

/** The extension's service workers as Playwright has seen them, newest last (stopped ones included). */
function extensionWorkers(desktop: Desktop): Worker[] {
  return desktop.context.serviceWorkers().filter((w) => w.url().includes(desktop.extensionId));
}

/** Evaluates in a worker, or resolves `fallback` if it has gone or does not answer in time. */
function askWorker<T>(worker: Worker, run: () => T, fallback: T): Promise<T> {
  return Promise.race([
    worker.evaluate(run).catch(() => fallback),
    new Promise<T>((resolve) => setTimeout(() => resolve(fallback), 2_000)),
  ]);
}

/**
 * Stops the extension's service worker the way Chrome does when it is idle. In Chromium 156 the browser
 * target has no ServiceWorker domain; a page's session does, and `stopAllWorkers` stops every worker of
 * the profile. The engine's broadcasts wake the worker again within moments during a transfer, so the
 * stop is proven by a mark set in the running instance: afterwards there is either no worker, or one
 * without the mark.
 */
export async function stopServiceWorker(desktop: Desktop, page: Page): Promise<void> {
  const mark = `stopped-${Date.now()}`;
  const before = await currentWorker(desktop);
  await before.evaluate((value) => Object.assign(globalThis, { directDropTestMark: value }), mark);
  const cdp = await desktop.context.newCDPSession(page);
  try {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
  } finally {
    await cdp.detach().catch(() => {});
  }
  const readMark = () =>
    (globalThis as unknown as { directDropTestMark?: string }).directDropTestMark ?? 'fresh';
  await expect
    .poll(
      async () => {
        if (!(await serviceWorkerRunning(desktop))) return 'stopped';
        const marks = await Promise.all(extensionWorkers(desktop).map((w) => askWorker(w, readMark, 'gone')));
        if (marks.includes(mark)) return 'still running';
        return marks.includes('fresh') ? 'stopped' : 'starting';
      },
      { timeout: 10_000 },
    )
    .toBe('stopped');
}

/**
 * The running service worker, as Playwright knows it. After a stop, Playwright keeps the old handle, so
 * this waits for a worker whose target is live and whose evaluate answers, and stores it in the desktop.
 */
export async function currentWorker(desktop: Desktop): Promise<Worker> {
  await expect.poll(() => serviceWorkerRunning(desktop), { timeout: 20_000 }).toBe(true);
  let found: Worker | undefined;
  await expect
    .poll(
      async () => {
        for (const worker of [...extensionWorkers(desktop)].reverse()) {
          if (await askWorker(worker, () => true, false)) {
            found = worker;
            return true;
          }
        }
        return false;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  if (!found) throw new Error('No live service worker.');
  desktop.worker = found;
  return found;
}

/** Bytes done as a transfer row shows them (its progress element), 0 while it has none. */
export async function rowBytesDone(row: Locator): Promise<number> {
  const progress = row.getByTestId('transfer-progress');
  if ((await progress.count()) === 0) return 0;
  return Number((await progress.first().getAttribute('data-bytes-done', { timeout: 5_000 })) ?? 0);
}

/** The transfer row for a file name, newest first. */
export function transferRow(page: Page, fileName: string): Locator {
  return page.getByTestId('transfer-row').filter({ hasText: fileName }).first();
}

/** SHA-256 (hex) of a received file, read through the companion's Save link as the user gets it. */
export async function receivedSha256(page: Page, name: string, timeout = 180_000): Promise<string> {
  const entry = page.getByTestId('inbox-item').filter({ hasText: name }).first();
  await expect(entry).toHaveAttribute('data-kind', 'file', { timeout });
  const save = entry.getByTestId('file-save');
  await expect(save).toHaveAttribute('href', /^blob:/, { timeout: 30_000 });
  const href = (await save.getAttribute('href')) ?? '';
  return page.evaluate(async (url) => {
    const digest = await crypto.subtle.digest('SHA-256', await (await fetch(url)).arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, href);
}

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Every file in the page's Origin Private File System, with its size. Entries the app deletes while they
 * are being listed are left out rather than failing the listing.
 */
export async function opfsListing(page: Page): Promise<Array<{ path: string; size: number }>> {
  return page.evaluate(async () => {
    const found: Array<{ path: string; size: number }> = [];
    type Entry = { kind: 'file' | 'directory'; name: string };
    const gone = (error: unknown) => error instanceof DOMException && error.name === 'NotFoundError';
    const walk = async (directory: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
      const entries = (directory as unknown as { values(): AsyncIterable<Entry> }).values();
      try {
        for await (const entry of entries) {
          const path = `${prefix}/${entry.name}`;
          try {
            if (entry.kind === 'directory') {
              await walk(await directory.getDirectoryHandle(entry.name), path);
            } else {
              const handle = await directory.getFileHandle(entry.name);
              // A file being written may be locked for reading: it is listed, size unknown (-1).
              const size = await handle.getFile().then(
                (file) => file.size,
                (error: unknown) => {
                  if (gone(error)) throw error;
                  return -1;
                },
              );
              found.push({ path, size });
            }
          } catch (error) {
            if (!gone(error)) throw error;
          }
        }
      } catch (error) {
        if (!gone(error)) throw error;
      }
    };
    await walk(await navigator.storage.getDirectory(), '');
    return found;
  });
}

/** Picks files in a page's send panel for one target (a device id or "all"), as a user does. */
export async function sendFilesFrom(page: Page, target: string, files: string[]): Promise<void> {
  const picker = page.getByTestId('send-files-target');
  if (await picker.count()) await picker.selectOption(target);
  await page.getByTestId('send-files-input').setInputFiles(files);
  const confirm = page.getByTestId('send-files-button');
  if (await confirm.count()) await confirm.click();
  await expect(page.getByTestId('send-files-result')).toHaveAttribute('data-state', /queued|sent/);
}

/**
 * The processes of the browser that runs on `profileDir`: its main process (the only one whose command
 * line names the profile) and everything it started. Found by id in /proc, so nothing else is touched.
 */
function browserProcessIds(profileDir: string): number[] {
  const parents = new Map<number, number>();
  let main: number | undefined;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The parent id follows the command name, which is in parentheses and may contain spaces.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(pid, parent);
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes(`--user-data-dir=${profileDir}`) && !args.some((a) => a.startsWith('--type='))) {
        main = pid;
      }
    } catch {
      // The process ended while we looked.
    }
  }
  if (main === undefined) return [];
  const family = [main];
  for (let i = 0; i < family.length; i++) {
    for (const [pid, parent] of parents) if (parent === family[i]) family.push(pid);
  }
  return family;
}

/** Kills a browser at once, as a phone's system kills a tab: no page gets to close its connections. */
export async function killBrowser(context: BrowserContext, profileDir: string): Promise<void> {
  const ids = browserProcessIds(profileDir);
  if (ids.length === 0) throw new Error(`No browser runs on ${profileDir}.`);
  for (const pid of ids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone with its parent.
    }
  }
  await context.close().catch(() => {});
}

export interface RecordedItem {
  id: string;
  kind: string;
  text?: string;
  url?: string;
}

/**
 * Makes the companion pages of a phone record every item as it is stored. The companion's inbox keeps
 * only its latest 100 entries, so counting a thousand arrivals cannot be done from the screen; instead
 * every write of the inbox to IndexedDB is watched, each of which puts the newest item first. An item
 * stored twice shows up twice (same id, a new receivedAt).
 */
export async function recordStoredItems(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const recorded: Array<{ id: string; kind: string; text?: string; url?: string }> = [];
    let last = '';
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      const first = key === 'inbox' && Array.isArray(value) ? value[0] : undefined;
      if (first && typeof first === 'object') {
        const entry = first as {
          id: string;
          receivedAt: number;
          item: { kind: string; text?: string; url?: string };
        };
        const mark = `${entry.id}@${entry.receivedAt}`;
        if (mark !== last) {
          last = mark;
          recorded.push({ id: entry.id, kind: entry.item.kind, text: entry.item.text, url: entry.item.url });
        }
      }
      return put.call(this, value, key);
    } as typeof put;
    Object.assign(globalThis, { directDropStoredItems: recorded });
  });
}

export function storedItems(page: Page): Promise<RecordedItem[]> {
  return page.evaluate(
    () => (globalThis as unknown as { directDropStoredItems?: RecordedItem[] }).directDropStoredItems ?? [],
  );
}

/**
 * Takes connections on `port` and never answers them, as a hung server or a half-dead proxy does:
 * clients wait on their sockets instead of being refused at once.
 */
export async function startUnresponsiveServer(port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RowSample {
  state: string;
  bytes: number;
}

/** Samples a transfer row's state and bytes until stopped, to check what happened in between. */
export function sampleRow(row: Locator, everyMs = 200): { stop(): Promise<RowSample[]> } {
  const samples: RowSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        if ((await row.count()) > 0) {
          const state = (await row.getAttribute('data-state', { timeout: 1_000 })) ?? '';
          samples.push({ state, bytes: await rowBytesDone(row) });
        }
      } catch {
        // The page navigated or re-rendered between two reads.
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

/**
 * Records every state a page's server indicator takes from now on (status and the problem it names), so
 * a test can wait for a passing state such as "gave up on a server that never answered" without polling
 * fast enough to catch it.
 */
export async function recordServerStatus(page: Page): Promise<{ seen(): Promise<string[]> }> {
  await page.evaluate(() => {
    const seen: string[] = [];
    const record = () => {
      const status = document.querySelector('[data-testid="server-status"]');
      if (!status) return;
      const entry = `${status.getAttribute('data-status')}|${status.getAttribute('title') ?? ''}`;
      if (seen[seen.length - 1] !== entry) seen.push(entry);
    };
    record();
    new MutationObserver(record).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-status', 'title'],
    });
    Object.assign(globalThis, { directDropServerStatuses: seen });
  });
  return {
    seen: () =>
      page.evaluate(
        () => (globalThis as unknown as { directDropServerStatuses: string[] }).directDropServerStatuses,
      ),
  };
}
