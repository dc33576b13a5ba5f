// The user's finished downloads as something to send on: the recent ones for the popup, reading one back
// (the file itself when the browser allows file access, else its address again), and the offer to send a
// download right after it completes.

import { type Browser, browser } from 'wxt/browser';
import type { EngineAccess } from './engine-access';
import type { FilesQueued, RecentDownload, RpcResult } from './extension-messages';

const RECENT_LIMIT = 10;

function baseName(path: string): string {
  return path.split(/[/\\]/).pop() || path;
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

export function describeDownload(item: Browser.downloads.DownloadItem): RecentDownload {
  const origin = originOf(item.finalUrl || item.url);
  return {
    id: item.id,
    name: baseName(item.filename),
    size: item.fileSize > 0 ? item.fileSize : item.totalBytes,
    mime: item.mime ?? '',
    ...(item.endTime ? { endTime: item.endTime } : {}),
    exists: item.exists !== false,
    ...(origin ? { origin } : {}),
  };
}

export async function recentDownloads(): Promise<RecentDownload[]> {
  const items = await browser.downloads.search({
    state: 'complete',
    orderBy: ['-endTime'],
    limit: RECENT_LIMIT,
  });
  return items.filter((item) => item.exists !== false && !isOurOwn(item)).map(describeDownload);
}

/** Files DirectDrop itself saved are received files, not something to send back. */
function isOurOwn(item: Browser.downloads.DownloadItem): boolean {
  return item.byExtensionId === browser.runtime.id;
}

/**
 * Sends a finished download: the engine reads the file itself (its file:// path when the user allowed file
 * access, else the address it came from) and queues it for each device.
 */
export async function sendDownload(
  access: EngineAccess,
  downloadId: number,
  deviceIds: string[],
): Promise<RpcResult<FilesQueued>> {
  const [item] = await browser.downloads.search({ id: downloadId });
  if (!item) return { ok: false, error: 'That download is no longer in the browser’s list.' };
  if (item.exists === false) {
    return {
      ok: false,
      error: `${baseName(item.filename)} was moved or deleted. Choose it with the file picker.`,
    };
  }
  const name = baseName(item.filename);
  const candidates: string[] = [];
  if (await browser.extension.isAllowedFileSchemeAccess()) candidates.push(fileUrl(item.filename));
  const url = item.finalUrl || item.url;
  if (originOf(url)) candidates.push(url);
  if (candidates.length === 0) {
    return {
      ok: false,
      error: `${name} came from an address DirectDrop cannot read again. Choose it with the file picker.`,
    };
  }
  let last: RpcResult<FilesQueued> = { ok: false, error: 'The file could not be read.' };
  for (const candidate of candidates) {
    last = await access.request({ type: 'send-url-as-file', deviceIds, url: candidate, name });
    if (last.ok) return last;
  }
  return {
    ok: false,
    error: `${last.ok ? '' : last.error} Choose ${name} with the file picker instead.`.trim(),
  };
}

function fileUrl(path: string): string {
  const normalized = path.replace(/\\/g, '/');
  return encodeURI(`file://${normalized.startsWith('/') ? '' : '/'}${normalized}`);
}
