// Builds the companion PWA into <repo>/dist/companion, where the DirectDrop server serves it. The app
// imports ../core and ../utils from outside this root. After the bundle is written, the service worker
// gets the list of hashed assets to precache and a build id that names its cache, so every build
// installs a fresh worker and drops the previous cache.

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig, type Plugin } from 'vite';

const companionDir = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(companionDir, '..');
const outDir = resolve(repoDir, 'dist/companion');

const BUILD_ID_PLACEHOLDER = "const BUILD_ID = 'dev';";
const ASSETS_PLACEHOLDER = 'const BUILD_ASSETS = [];';

function serviceWorkerPrecache(): Plugin {
  let assets: string[] = [];
  let buildId = 'dev';
  return {
    name: 'directdrop:service-worker-precache',
    apply: 'build',
    generateBundle(_options, bundle) {
      assets = Object.keys(bundle)
        .filter((file) => file.startsWith('assets/'))
        .sort()
        .map((file) => `/${file}`);
      const hash = createHash('sha256');
      for (const file of Object.keys(bundle).sort()) {
        const output = bundle[file];
        hash.update(file);
        if (output?.type === 'asset') hash.update(output.source);
      }
      buildId = hash.digest('hex').slice(0, 16);
    },
    async writeBundle() {
      const workerPath = resolve(outDir, 'sw.js');
      const source = await readFile(workerPath, 'utf8');
      if (!source.includes(BUILD_ID_PLACEHOLDER) || !source.includes(ASSETS_PLACEHOLDER)) {
        this.error('companion/public/sw.js lost its BUILD_ID / BUILD_ASSETS placeholders.');
      }
      await writeFile(
        workerPath,
        source
          .replace(BUILD_ID_PLACEHOLDER, `const BUILD_ID = '${buildId}';`)
          .replace(ASSETS_PLACEHOLDER, `const BUILD_ASSETS = ${JSON.stringify(assets)};`),
      );
    },
  };
}

export default defineConfig({
  root: companionDir,
  base: '/',
  plugins: [preact(), serviceWorkerPrecache()],
  server: { fs: { allow: [repoDir] } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
  },
});
