import { defineConfig } from '@playwright/test';

// End-to-end tests on stock Firefox ESR (Debian's firefox-esr): the add-on in Firefox with the companion
// app in Chromium, and the companion app in Firefox with the extension in Chromium. Playwright runs the
// tests and drives Chromium; Firefox is driven inside each test by puppeteer-core over WebDriver BiDi,
// since Playwright's own Firefox needs a patched build. One test at a time, as for the Chromium suite.
export default defineConfig({
  testDir: 'tests/e2e-firefox',
  globalSetup: './tests/support/cpu-load.ts',
  outputDir: 'artifacts/test-results-firefox',
  timeout: 180_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { trace: 'off' },
});
