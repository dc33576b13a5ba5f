import preact from '@preact/preset-vite';
import { defineConfig } from 'wxt';

// Chrome gets MV3 with an offscreen document hosting WebRTC; Firefox gets MV2 with a persistent background
// page hosting the same engine, so nothing Chrome-only may leak into its manifest.
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
      ...(browser === 'firefox' ? [] : ['offscreen']),
    ],
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: { id: 'directdrop@directdrop.dev', strict_min_version: '115.0' },
          },
        }
      : {}),
  }),
});
