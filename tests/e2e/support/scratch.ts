// Temporary directories of a test run (browser profiles, generated files), removed when the process exits:
// a full run writes gigabytes, since every file a browser receives stays in its profile.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `directdrop-${name}-`));
  made.push(dir);
  return dir;
}
