import { defineConfig } from 'vitest/config';

// Two layers: fast pure unit tests of core/, and integration tests that start a real PeerServer and real
// WebRTC (node-datachannel) in Node. End-to-end tests in real Chromium live under tests/e2e (Playwright).
export default defineConfig({
  test: {
    // DIRECTDROP_TEST_LOAD=1 runs the suites with one core kept busy (tests/support/cpu-load.ts).
    globalSetup: ['tests/support/cpu-load.ts'],
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
