import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';

// Chrome gets MV3 with an offscreen document hosting WebRTC; Firefox gets MV2 with a persistent background
// page hosting the same engine, so nothing Chrome-only may leak into its manifest.
//
// Host access is optional and asked for per site, at the moment it is needed (sending an image or a
// download from that site), so installing DirectDrop grants no access to any website.
const OPTIONAL_SITES = ['http://*/*', 'https://*/*'];
// The default extension policy, stated so it cannot loosen by accident.
const EXTENSION_PAGES_CSP = "script-src 'self'; object-src 'self';";

// The companion build this extension ships with (written by `npm run build:companion`, which `npm run build`
// runs first): the popup tells whether a paired phone runs exactly this build.
const COMPANION_BUILD_INFO = resolve(dirname(fileURLToPath(import.meta.url)), 'dist/companion/build.json');

function shippedCompanionBuild(command: string): { version: string; digest: string } | null {
  try {
    const { version, digest } = JSON.parse(readFileSync(COMPANION_BUILD_INFO, 'utf8'));
    if (typeof version === 'string' && typeof digest === 'string' && /^[0-9a-f]{64}$/.test(digest)) {
      return { version, digest };
    }
  } catch {
    // Handled below.
  }
  // `wxt prepare` (run by npm install, before anything is built) loads this config as a build too.
  if (command === 'build' && !process.argv.includes('prepare')) {
    throw new Error(`${COMPANION_BUILD_INFO} is missing or damaged: run \`npm run build:companion\` first.`);
  }
  return null;
}

export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  imports: false,
  vite: (env) => ({
    plugins: [preact()],
    define: { __DIRECTDROP_COMPANION_BUILD__: JSON.stringify(shippedCompanionBuild(env.command)) },
  }),
  manifest: ({ browser }) => ({
    name: 'DirectDrop',
    description:
      'Send pages, links, text and files straight to your own devices, peer to peer and end-to-end encrypted.',
    commands: {
      // Rebindable in the browser's shortcut settings (chrome://extensions/shortcuts, about:addons).
      'send-tab': {
        suggested_key: { default: 'Alt+Shift+D' },
        description: 'Send the current tab to the device you last sent to',
      },
    },
    permissions: [
      'contextMenus',
      'notifications',
      'storage',
      'clipboardWrite',
      'downloads',
      'activeTab',
      'scripting',
      ...(browser === 'firefox' ? [] : ['offscreen']),
    ],
    ...(browser === 'firefox'
      ? {
          content_security_policy: EXTENSION_PAGES_CSP,
          optional_permissions: OPTIONAL_SITES,
          browser_specific_settings: {
            gecko: { id: 'directdrop@directdrop.dev', strict_min_version: '115.0' },
          },
        }
      : {
          content_security_policy: { extension_pages: EXTENSION_PAGES_CSP },
          optional_host_permissions: OPTIONAL_SITES,
        }),
  }),
});
