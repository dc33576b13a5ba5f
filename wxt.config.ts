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

export default defineConfig({
  modules: ['@wxt-dev/webextension-polyfill'],
  imports: false,
  vite: () => ({ plugins: [preact()] }),
  manifest: ({ browser }) => ({
    name: 'DirectDrop',
    description:
      'Send pages, links, text and files straight to your own devices, peer to peer and end-to-end encrypted.',
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
