// blob: URLs belong to the page that made them, so only that page can read them. With the tab access a
// context-menu click grants, the bytes are read in the page and handed back as a data: URL.

import { browser } from 'wxt/browser';
import type { RpcResult } from './extension-messages';

/** Larger blobs would not fit a message; they can be saved and sent with the file picker instead. */
const MAX_BLOB_BYTES = 64 * 1024 * 1024;

export async function readBlobUrlInTab(tabId: number | undefined, url: string): Promise<RpcResult<string>> {
  if (tabId === undefined) return { ok: false, error: 'The page that shows this file is not available.' };
  try {
    const [result] = await browser.scripting.executeScript({
      target: { tabId },
      args: [url, MAX_BLOB_BYTES],
      func: async (blobUrl: string, limit: number) => {
        const blob = await (await fetch(blobUrl)).blob();
        if (blob.size > limit) return { error: 'too-large' };
        return await new Promise<{ dataUrl: string } | { error: string }>((resolve) => {
          const reader = new FileReader();
          reader.onload = () => resolve({ dataUrl: String(reader.result) });
          reader.onerror = () => resolve({ error: 'unreadable' });
          reader.readAsDataURL(blob);
        });
      },
    });
    const value = result?.result as { dataUrl: string } | { error: string } | undefined;
    if (value && 'dataUrl' in value) return { ok: true, value: value.dataUrl };
    return {
      ok: false,
      error:
        value?.error === 'too-large'
          ? 'This file is too large to read from the page. Save it, then send it with the file picker.'
          : 'The page would not let DirectDrop read this file.',
    };
  } catch {
    return { ok: false, error: 'The page would not let DirectDrop read this file.' };
  }
}
