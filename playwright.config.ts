import { defineConfig } from '@playwright/test';

// End-to-end tests drive the built extension in Debian Chromium and the companion app in a second,
// separate Chromium. Each test launches its own browsers, so they run one at a time on small machines.
export default defineConfig({
  testDir: 'tests/e2e',
  // DIRECTDROP_TEST_LOAD=1 runs the suite with one core kept busy (tests/support/cpu-load.ts).
  globalSetup: './tests/support/cpu-load.ts',
  outputDir: 'artifacts/test-results',
  timeout: 180_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { trace: 'off' },
});
