// Builds the companion PWA into <repo>/dist/companion, where the DirectDrop server serves it. The app
// imports ../core and ../utils from outside this root. Two steps make the build pinnable:
// - every script and stylesheet index.html loads gets a Subresource Integrity attribute;
// - once the files are written, the service worker gets the build manifest (every file and its digest)
//   and build.json the build digest, which the extension's build embeds (companion/build/companion-build.ts).

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig, type Plugin } from 'vite';
import packageJson from '../package.json' with { type: 'json' };
import { addIntegrity, publishBuild } from './build/companion-build';

const companionDir = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(companionDir, '..');
const outDir = resolve(repoDir, 'dist/companion');
const workerTemplatePath = resolve(companionDir, 'public/sw.js');

function subresourceIntegrity(): Plugin {
  return {
    name: 'directdrop:subresource-integrity',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = bundle['index.html'];
      if (html?.type !== 'asset') this.error('the build made no index.html');
      const bytesOf = (path: string) => {
        const output = bundle[path.replace(/^\//, '')];
        if (!output) return undefined;
        return output.type === 'asset' ? output.source : output.code;
      };
      html.source = addIntegrity(String(html.source), bytesOf);
    },
  };
}

function publishBuildManifest(): Plugin {
  return {
    name: 'directdrop:build-manifest',
    apply: 'build',
    async writeBundle() {
      const template = await readFile(workerTemplatePath, 'utf8');
      const { version, digest } = await publishBuild(outDir, packageJson.version, template);
      this.info(`companion ${version}, build digest ${digest}`);
    },
  };
}

export default defineConfig({
  root: companionDir,
  base: '/',
  define: { __COMPANION_VERSION__: JSON.stringify(packageJson.version) },
  plugins: [preact(), subresourceIntegrity(), publishBuildManifest()],
  server: { fs: { allow: [repoDir] } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
  },
});
