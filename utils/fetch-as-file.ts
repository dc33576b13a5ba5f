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
    response = await fetch(url, { credentials: 'include', cache: 'force-cache' });
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

function hostOf(url: string): string | undefined {
  try {
    const { protocol, host } = new URL(url);
    return protocol === 'http:' || protocol === 'https:' ? host : undefined;
  } catch {
    return undefined;
  }
}
