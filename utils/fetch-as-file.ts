// Reads a URL the browser can fetch (a page image, a video source, a linked file, a finished download)
// into a File with a sensible name and type, for sending. The bytes stay local: Chrome keeps large Blobs
// on disk, not in memory.

import { fileNameForUrl } from './file-naming';

export class FetchFileError extends Error {
  override name = 'FetchFileError';
}

export async function fetchAsFile(url: string, preferredName?: string): Promise<File> {
  let response: Response;
  try {
    response = await fetchWithOrWithoutCookies(url);
  } catch (error) {
    const host = hostOf(url);
    throw new FetchFileError(
      host
        ? `The file could not be read from ${host}. DirectDrop may need permission to read from that site, or the file is gone.`
        : `The file could not be read (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  if (!response.ok) {
    throw new FetchFileError(
      `The file could not be read from ${hostOf(url) ?? 'its site'} (HTTP ${response.status}).`,
    );
  }
  const blob = await response.blob();
  const type = (response.headers.get('Content-Type') ?? blob.type ?? '').split(';')[0]?.trim() ?? '';
  const name = fileNameForUrl(url, {
    ...(preferredName ? { preferred: preferredName } : {}),
    disposition: response.headers.get('Content-Disposition'),
    type,
  });
  return new File([blob], name, { type });
}

/**
 * With the site's permission, cookies go along (the file may need the user's session). Without it, a site
 * that allows any origin to read (Access-Control-Allow-Origin: *) only answers requests without cookies.
 */
async function fetchWithOrWithoutCookies(url: string): Promise<Response> {
  try {
    return await fetch(url, { credentials: 'include', cache: 'force-cache' });
  } catch {
    return await fetch(url, { credentials: 'omit', cache: 'force-cache' });
  }
}

function hostOf(url: string): string | undefined {
  try {
    const { protocol, host } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? host : undefined;
  } catch {
    return undefined;
  }
}
