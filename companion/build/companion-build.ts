// What a companion build publishes about itself, so that a phone can pin it and an extension can name it:
// a manifest of every file the app is made of with its SHA-256 digest, and the build digest, one SHA-256
// over that manifest. The service worker carries the manifest (it checks every file it caches against it),
// so the build digest fixes every byte the app runs, the worker included (its template's digest is in the
// manifest and the rest of it is the manifest). build.json names the build for the extension's build.
//
// Used by companion/vite.config.ts after each build, and by tests that publish a changed build.

import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export const SERVICE_WORKER_FILE = 'sw.js';
export const BUILD_INFO_FILE = 'build.json';
const BUILD_PLACEHOLDER = 'const BUILD = null;';

export interface BuildManifest {
  version: string;
  /** SHA-256 of the service worker's source before the build fills in this manifest. */
  worker: string;
  /** URL path ("/index.html", "/assets/…") -> "sha256-<base64>" of the file's bytes. */
  files: Record<string, string>;
}

export interface BuildInfo {
  version: string;
  digest: string;
}

/** A Subresource Integrity value (and the manifest's per-file digest) for these bytes. */
export function integrityOf(bytes: Uint8Array | string): string {
  return `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
}

/** The build digest: hex SHA-256 of the manifest's canonical JSON (keys in a fixed order). */
export function buildDigest(manifest: BuildManifest): string {
  return createHash('sha256').update(canonicalManifest(manifest)).digest('hex');
}

export function canonicalManifest(manifest: BuildManifest): string {
  const files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify({ version: manifest.version, worker: manifest.worker, files });
}

/**
 * Gives every script and stylesheet that index.html loads from /assets/ an integrity attribute, from the
 * bytes the build wrote. A reference to a file the build did not make is an error, not a silent skip.
 */
export function addIntegrity(
  html: string,
  assetBytes: (path: string) => Uint8Array | string | undefined,
): string {
  return html.replace(/<(script|link)\b[^>]*>/g, (tag) => {
    const ref = /\s(?:src|href)="(\/assets\/[^"]+)"/.exec(tag)?.[1];
    if (!ref || /\sintegrity=/.test(tag)) return tag;
    const bytes = assetBytes(ref);
    if (bytes === undefined) throw new Error(`index.html refers to ${ref}, which the build did not make`);
    return tag.replace(/^<(script|link)/, `<$1 integrity="${integrityOf(bytes)}"`);
  });
}

/**
 * Writes the manifest into the service worker (from its template) and build.json, from the files now in
 * `dir`. Returns the build's version and digest.
 */
export async function publishBuild(dir: string, version: string, workerTemplate: string): Promise<BuildInfo> {
  if (!workerTemplate.includes(BUILD_PLACEHOLDER)) {
    throw new Error(`the service worker template lost its "${BUILD_PLACEHOLDER}" placeholder`);
  }
  const files: Record<string, string> = {};
  for (const path of await listFiles(dir)) {
    if (path === `/${SERVICE_WORKER_FILE}` || path === `/${BUILD_INFO_FILE}`) continue;
    files[path] = integrityOf(await readFile(join(dir, path)));
  }
  const manifest: BuildManifest = { version, worker: integrityOf(workerTemplate), files };
  const digest = buildDigest(manifest);
  const build = { ...JSON.parse(canonicalManifest(manifest)), digest };
  await writeFile(
    join(dir, SERVICE_WORKER_FILE),
    workerTemplate.replace(BUILD_PLACEHOLDER, `const BUILD = ${JSON.stringify(build)};`),
  );
  const info: BuildInfo = { version, digest };
  await writeFile(join(dir, BUILD_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => `/${relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/')}`)
    .sort();
}
