// What a companion build publishes: integrity on what index.html loads, a manifest of every file with its
// digest inside the service worker, and a build digest that changes with any byte of any file.

import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addIntegrity,
  type BuildManifest,
  buildDigest,
  integrityOf,
  publishBuild,
} from '../../companion/build/companion-build';

const TEMPLATE = '// worker\nconst BUILD = null;\nself.x = BUILD;\n';
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function buildDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'directdrop-build-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

function workerBuild(source: string): BuildManifest & { digest: string } {
  const json = /const BUILD = (\{.*\});/.exec(source)?.[1];
  if (!json) throw new Error('no BUILD in the worker');
  return JSON.parse(json) as BuildManifest & { digest: string };
}

describe('addIntegrity', () => {
  it('gives every script and stylesheet from /assets/ the SHA-256 of its bytes', () => {
    const html =
      '<script type="module" src="/assets/a.js"></script><link rel="stylesheet" href="/assets/b.css"><link rel="icon" href="/favicon.svg">';
    const out = addIntegrity(html, (path) => ({ '/assets/a.js': 'A', '/assets/b.css': 'B' })[path]);
    const sha = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;
    expect(out).toContain(`<script integrity="${sha('A')}" type="module" src="/assets/a.js">`);
    expect(out).toContain(`<link integrity="${sha('B')}" rel="stylesheet" href="/assets/b.css">`);
    expect(out).toContain('<link rel="icon" href="/favicon.svg">');
  });

  it('refuses a reference to a file the build did not make', () => {
    expect(() => addIntegrity('<script src="/assets/gone.js"></script>', () => undefined)).toThrow(
      /gone\.js/,
    );
  });
});

describe('publishBuild', () => {
  it('puts every file and its digest into the worker, and the build digest into build.json', async () => {
    const dir = await buildDir({ 'index.html': '<p>hi</p>', 'assets/app.js': 'app', 'sw.js': TEMPLATE });
    const info = await publishBuild(dir, '1.2.3', TEMPLATE);
    const worker = workerBuild(await readFile(join(dir, 'sw.js'), 'utf8'));
    expect(worker.files).toEqual({
      '/assets/app.js': integrityOf('app'),
      '/index.html': integrityOf('<p>hi</p>'),
    });
    expect(worker.worker).toBe(integrityOf(TEMPLATE));
    expect(worker.digest).toBe(buildDigest(worker));
    expect(info).toEqual({ version: '1.2.3', digest: worker.digest });
    expect(JSON.parse(await readFile(join(dir, 'build.json'), 'utf8'))).toEqual(info);
  });

  it('gives another digest for one changed byte, another version or another worker, and the same for the same build', async () => {
    const files = { 'index.html': '<p>hi</p>', 'assets/app.js': 'app' };
    const base = (await publishBuild(await buildDir(files), '1.0.0', TEMPLATE)).digest;
    expect((await publishBuild(await buildDir(files), '1.0.0', TEMPLATE)).digest).toBe(base);
    const changed = { ...files, 'assets/app.js': 'apq' };
    expect((await publishBuild(await buildDir(changed), '1.0.0', TEMPLATE)).digest).not.toBe(base);
    expect((await publishBuild(await buildDir(files), '1.0.1', TEMPLATE)).digest).not.toBe(base);
    const otherWorker = `${TEMPLATE}// changed\n`;
    expect((await publishBuild(await buildDir(files), '1.0.0', otherWorker)).digest).not.toBe(base);
  });

  it('refuses a worker template without its placeholder', async () => {
    const dir = await buildDir({ 'index.html': 'x' });
    await expect(publishBuild(dir, '1.0.0', 'const BUILD = {};')).rejects.toThrow(/placeholder/);
  });
});
