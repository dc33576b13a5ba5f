// When a test fails, what the user would have seen on the other screens: a failed expectation names one
// page, but the reason is often shown on another (a send that failed says why in the popup). The visible
// text of each page is printed, so a failure on a machine nobody can look at still explains itself.

import type { Page, TestInfo } from '@playwright/test';

const MAX_CHARS = 2_000;

export async function printPagesOnFailure(testInfo: TestInfo, pages: Record<string, Page | undefined>) {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const [name, page] of Object.entries(pages)) {
    if (!page || page.isClosed()) continue;
    const text = await page
      .locator('body')
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the user saw.
      .innerText({ timeout: 2_000 })
      .catch((error: unknown) => `(could not be read: ${String(error)})`);
    console.log(`--- ${name} (${page.url()}) at the failure ---\n${text.slice(0, MAX_CHARS)}`);
  }
}
