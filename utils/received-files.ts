// Files received on the desktop go to the browser's Downloads, under a DirectDrop folder, with the name
// the transfer already sanitised. Once Downloads has the file, the engine's copy is released. The link
// between a download and its received file is kept in session storage, because the service worker may be
// stopped while a large file is being written.

import { browser } from 'wxt/browser';
import type { ReceivedFile } from '../core/engine/state-store';
import type { EngineAccess } from './engine-access';

const PENDING_KEY = 'receivedDownloads';
const SAVED_KEY = 'savedReceivedFiles';

interface PendingDownload {
  transferId: string;
  file: number;
  url: string;
}

async function pending(): Promise<Record<string, PendingDownload>> {
  const stored = await browser.storage.session.get(PENDING_KEY);
  return (stored[PENDING_KEY] as Record<string, PendingDownload> | undefined) ?? {};
}

async function setPending(map: Record<string, PendingDownload>): Promise<void> {
  await browser.storage.session.set({ [PENDING_KEY]: map });
}

/** Starts saving a received file to Downloads/DirectDrop; resolves with the download id. */
export async function saveReceivedFile(access: EngineAccess, file: ReceivedFile): Promise<number> {
  const url = await access.request({
    type: 'received-file-url',
    transferId: file.transferId,
    file: file.file,
  });
  if (!url.ok) throw new Error(url.error);
  const downloadId = await browser.downloads.download({
    url: url.value,
    filename: `DirectDrop/${file.name}`,
    conflictAction: 'uniquify',
    saveAs: false,
  });
  const map = await pending();
  map[String(downloadId)] = { transferId: file.transferId, file: file.file, url: url.value };
  await setPending(map);
  const saved = ((await browser.storage.session.get(SAVED_KEY))[SAVED_KEY] as Record<string, number>) ?? {};
  saved[`${file.transferId}/${file.file}`] = downloadId;
  await browser.storage.session.set({ [SAVED_KEY]: saved });
  return downloadId;
}

/** The download a received file became, to show it in the file manager. */
export async function downloadOf(transferId: string, file: number): Promise<number | undefined> {
  const saved = ((await browser.storage.session.get(SAVED_KEY))[SAVED_KEY] as Record<string, number>) ?? {};
  return saved[`${transferId}/${file}`];
}

/**
 * Shows a received file in the file manager, or says why it cannot: Downloads no longer has it (moved or
 * deleted), or the browser restarted since and the record of which download it was is gone.
 */
export async function showReceivedFile(transferId: string, file: number): Promise<void> {
  const downloadId = await downloadOf(transferId, file);
  const [download] = downloadId === undefined ? [] : await browser.downloads.search({ id: downloadId });
  if (downloadId === undefined || !download) {
    throw new Error('DirectDrop no longer knows where this file was saved: look in Downloads/DirectDrop.');
  }
  if (!download.exists || download.state !== 'complete') {
    throw new Error('This file is no longer in Downloads: it was moved or deleted.');
  }
  browser.downloads.show(downloadId);
}

/** When Downloads finished (or failed) writing one of our files, the engine's copy can go. */
export async function onReceivedDownloadChanged(
  access: EngineAccess,
  delta: { id: number; state?: { current?: string } },
): Promise<void> {
  const state = delta.state?.current;
  if (state !== 'complete' && state !== 'interrupted') return;
  const map = await pending();
  const entry = map[String(delta.id)];
  if (!entry) return;
  delete map[String(delta.id)];
  await setPending(map);
  // On interruption the file stays with the engine, so nothing is lost; only the URL is released.
  if (state === 'complete') {
    await access.request({
      type: 'release-received-file',
      transferId: entry.transferId,
      file: entry.file,
      url: entry.url,
    });
  }
}
