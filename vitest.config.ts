import { defineConfig } from 'vitest/config';

// Two layers: fast pure unit tests of core/, and integration tests that start a real PeerServer and real
// WebRTC (node-datachannel) in Node. End-to-end tests in real Chromium live under tests/e2e (Playwright).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          setupFiles: ['tests/integration/setup-webrtc.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
