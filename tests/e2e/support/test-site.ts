// Websites for end-to-end tests: a page with an image served from another origin, and files to download.
// Both allow cross-origin reads (as CDNs usually do) unless a path says otherwise.

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Site {
  origin: string;
  close(): Promise<void>;
}

export interface SiteFile {
  body: Buffer;
  type: string;
  /** Send Access-Control-Allow-Origin: * (default) so extension pages may read it. */
  cors?: boolean;
  disposition?: string;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function randomFile(size: number): Buffer {
  return randomBytes(size);
}

/** Serves `files` (path -> file) on 127.0.0.1 or localhost, which are different origins to a browser. */
export async function startSite(
  files: Record<string, SiteFile>,
  host: '127.0.0.1' | 'localhost',
): Promise<Site> {
  const server: Server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0] ?? '/'];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': file.type,
      'Content-Length': String(file.body.length),
      ...(file.cors === false ? {} : { 'Access-Control-Allow-Origin': '*' }),
      ...(file.disposition ? { 'Content-Disposition': file.disposition } : {}),
    });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
