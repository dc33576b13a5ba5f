// Files, end to end: a page image from another origin, a finished download, a 300 MB file desktop -> phone
// and a file phone -> desktop, each verified by SHA-256 on the receiving side; a transfer that survives the
// receiving page being reloaded mid-way; and a file queued for an offline phone that goes out when the
// phone comes back.

import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone } from './support/browsers';
import { clickContextMenu } from './support/extension';
import { sendFilesFrom } from './support/faults';
import { type Paired, pairThroughPopup } from './support/pairing';
import { scratchDir } from './support/scratch';
import { startServer } from './support/server';
import { randomFile, type Site, sha256Hex, startSite } from './support/test-site';

test.describe.configure({ mode: 'serial' });

const SHOTS = 'artifacts/screenshots';
const BIG_MB = Number(process.env.DIRECTDROP_E2E_BIG_MB ?? 300);

let server: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let paired: Paired;
let pageSite: Site;
let imageSite: Site;
const picture = randomFile(180_000);
const report = randomFile(2_500_000);
const privateImage = randomFile(5_000);
const workDir = scratchDir('files');

test.beforeAll(async () => {
  imageSite = await startSite(
    {
      '/picture.png': { body: picture, type: 'image/png' },
      '/private.png': { body: privateImage, type: 'image/png', cors: false },
    },
    'localhost',
  );
  pageSite = await startSite(
    {
      '/page.html': {
        body: Buffer.from(`<!doctype html><title>Gallery</title><img src="${imageSite.origin}/picture.png" alt="">
          <a id="report" href="/files/report.bin" download>Quarterly report</a>`),
        type: 'text/html',
      },
      '/files/report.bin': {
        body: report,
        type: 'application/octet-stream',
        disposition: 'attachment; filename="quarterly report.bin"',
      },
    },
    '127.0.0.1',
  );
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchPhone();
  paired = await pairThroughPopup(desktop, phone);
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await server?.close();
  await pageSite?.close();
  await imageSite?.close();
});

/** SHA-256 of a received file as the companion hands it to the user (its Save link). */
async function receivedSha256(page: Page, name: string): Promise<string> {
  const entry = page.getByTestId('inbox-item').filter({ hasText: name }).first();
  await expect(entry).toHaveAttribute('data-kind', 'file', { timeout: 120_000 });
  const href = (await entry.getByTestId('file-save').getAttribute('href')) ?? '';
  return page.evaluate(async (url) => {
    const digest = await crypto.subtle.digest('SHA-256', await (await fetch(url)).arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, href);
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sendFromPopup(files: string[]): Promise<void> {
  await sendFilesFrom(paired.popup, paired.phoneDeviceId, files);
}

test('sends a page image from another origin: the real bytes, with a sensible name', async () => {
  const page = await desktop.context.newPage();
  await page.goto(`${pageSite.origin}/page.html`);
  const result = await clickContextMenu(desktop, `send:image:${paired.phoneDeviceId}`, {
    info: { srcUrl: `${imageSite.origin}/picture.png`, pageUrl: page.url(), mediaType: 'image' },
    tab: { url: page.url(), title: 'Gallery' },
  });
  expect(result).toMatchObject({ ok: true });
  expect(await receivedSha256(phone.page, 'picture.png')).toBe(sha256Hex(picture));
  await page.close();
});

test('explains why an image from a site that forbids reading cannot be sent', async () => {
  const result = await clickContextMenu(desktop, `send:image:${paired.phoneDeviceId}`, {
    info: {
      srcUrl: `${imageSite.origin}/private.png`,
      pageUrl: `${pageSite.origin}/page.html`,
      mediaType: 'image',
    },
    tab: { url: `${pageSite.origin}/page.html`, title: 'Gallery' },
  });
  expect(result.ok).toBe(false);
  expect(result.ok ? '' : result.error).toMatch(/permission to read|could not be read/);
});

test('sends a finished download, from the notification offered when it completes', async () => {
  const page = await desktop.context.newPage();
  await page.goto(`${pageSite.origin}/page.html`);
  await page.locator('#report').click();
  const findDownload = () =>
    desktop.worker.evaluate(async () => {
      const [item] = await chrome.downloads.search({ filenameRegex: 'quarterly', state: 'complete' });
      return item?.id ?? -1;
    });
  await expect.poll(findDownload).toBeGreaterThan(-1);
  const downloadId = await findDownload();
  await desktop.worker.evaluate(
    (id) =>
      (
        globalThis as unknown as {
          directDrop: { onNotificationClicked(id: string, button?: number): Promise<void> };
        }
      ).directDrop.onNotificationClicked(`download:${id}`, 0),
    downloadId,
  );
  expect(await receivedSha256(phone.page, 'quarterly report.bin')).toBe(sha256Hex(report));
  await paired.popup.reload();
  await expect(paired.popup.getByTestId('download-row').first()).toBeVisible();
  await paired.popup.screenshot({ path: `${SHOTS}/popup-files.png`, fullPage: true });
  await page.close();
});

test(`sends a ${BIG_MB} MB file desktop -> phone, verified by SHA-256 on the phone`, async () => {
  test.setTimeout(15 * 60_000);
  const path = join(workDir, `big-${BIG_MB}mb.bin`);
  writeFileSync(path, randomFile(BIG_MB * 1024 * 1024));
  await sendFromPopup([path]);
  // Progress is visible while it runs, with the path the bytes take.
  const row = phone.page.getByTestId('transfer-row').first();
  await expect(row).toHaveAttribute('data-state', /receiving|done/);
  await expect(phone.page.getByTestId('transfer-path').first()).toHaveAttribute(
    'data-path',
    /lan|internet|relay|unknown/,
  );
  // Far enough in for the bar, the speed and the time left to mean something on the screenshot.
  const progress = row.getByTestId('transfer-progress');
  await expect
    .poll(async () => Number(await progress.getAttribute('data-bytes-done')), { timeout: 60_000 })
    .toBeGreaterThan(BIG_MB * 1024 * 1024 * 0.1);
  await phone.page.screenshot({ path: `${SHOTS}/companion-phone-transfer.png` });
  expect(await receivedSha256(phone.page, `big-${BIG_MB}mb.bin`)).toBe(await fileSha256(path));
});

test('sends a file phone -> desktop, which lands in Downloads/DirectDrop verified', async () => {
  const path = join(workDir, 'from phone.bin');
  const data = randomFile(3_000_000);
  writeFileSync(path, data);
  await phone.page.getByTestId('send-files-input').setInputFiles(path);
  const confirm = phone.page.getByTestId('send-files-button');
  if (await confirm.count()) await confirm.click();
  const saved = await expect
    .poll(
      () =>
        desktop.worker.evaluate(async () => {
          const items = await chrome.downloads.search({ filenameRegex: 'from phone', state: 'complete' });
          return items[0]?.filename ?? '';
        }),
      { timeout: 120_000 },
    )
    .toMatch(/DirectDrop[/\\]from phone\.bin$/)
    .then(() =>
      desktop.worker.evaluate(async () => {
        const items = await chrome.downloads.search({ filenameRegex: 'from phone', state: 'complete' });
        return items[0]?.filename ?? '';
      }),
    );
  expect(sha256Hex(readFileSync(saved))).toBe(sha256Hex(data));

  // The popup lists it, and shows it where Downloads put it. Headless Chromium has no file manager to
  // open, so the call is recorded instead of made.
  const downloadId = await desktop.worker.evaluate(async () => {
    const [item] = await chrome.downloads.search({ filenameRegex: 'from phone', state: 'complete' });
    const shown: number[] = [];
    Object.assign(globalThis, { shownDownloads: shown });
    chrome.downloads.show = (id: number) => {
      shown.push(id);
    };
    return item?.id;
  });
  const card = paired.popup.getByTestId('inbox-item').filter({ hasText: 'from phone.bin' });
  await card.getByTestId('file-show').click();
  await expect
    .poll(() =>
      desktop.worker.evaluate(() => (globalThis as unknown as { shownDownloads: number[] }).shownDownloads),
    )
    .toEqual([downloadId]);
  await expect(card.locator('.item-card__note')).toHaveCount(0);
  await paired.popup.screenshot({ path: 'artifacts/screenshots/popup-received-file.png' });
});

test('resumes a transfer after the receiving page was reloaded mid-way, and verifies it', async () => {
  test.setTimeout(10 * 60_000);
  const path = join(workDir, 'resumed.bin');
  writeFileSync(path, randomFile(120 * 1024 * 1024));
  await sendFromPopup([path]);
  const row = phone.page.getByTestId('transfer-row').filter({ hasText: 'resumed.bin' }).first();
  await expect
    .poll(async () =>
      Number((await row.getByTestId('transfer-progress').getAttribute('data-bytes-done')) ?? 0),
    )
    .toBeGreaterThan(20 * 1024 * 1024);
  await phone.page.reload();
  expect(await receivedSha256(phone.page, 'resumed.bin')).toBe(await fileSha256(path));
  // The desktop has the phone's verdict too, before the next test takes the phone away.
  await expect(paired.popup.getByTestId('outbox-row').first()).toHaveAttribute('data-state', 'delivered', {
    timeout: 30_000,
  });
});

test('queues a file for an offline phone and delivers it when the phone comes back', async () => {
  const profileDir = phone.profileDir;
  await phone.context.close();
  await expect(paired.popup.getByTestId('device-row')).toHaveAttribute('data-status', 'offline', {
    timeout: 60_000,
  });
  const path = join(workDir, 'while away.txt');
  const data = randomFile(50_000);
  writeFileSync(path, data);
  await sendFromPopup([path]);
  await expect(paired.popup.getByTestId('outbox-row').first()).toHaveAttribute('data-state', 'queued');
  phone = await launchPhone(profileDir);
  await phone.page.goto(server.publicUrl);
  expect(await receivedSha256(phone.page, 'while away.txt')).toBe(sha256Hex(data));
  await expect(paired.popup.getByTestId('outbox-row').first()).toHaveAttribute('data-state', 'delivered');
});

declare const chrome: {
  downloads: {
    search(query: Record<string, unknown>): Promise<Array<{ id: number; filename: string }>>;
    show(id: number): void;
  };
};
