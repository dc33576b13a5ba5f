// The popup at its real size (400 px wide) and the phone app at 390 x 844, in the light and the dark
// colour scheme, with a paired phone and things in the inbox and activity, long addresses included:
// nothing is wider than the window (no sideways scrolling, no element sticking out), and both schemes are
// captured as screenshots to look at.

import { expect, type Page, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone } from './support/browsers';
import { clickContextMenu } from './support/extension';
import { printPagesOnFailure } from './support/failure-report';
import { pairThroughPopup } from './support/pairing';
import { startServer } from './support/server';

test.describe.configure({ mode: 'serial' });

const SHOTS = 'artifacts/screenshots';
const LONG_URL = `https://example.com/a/very/long/path/that/keeps/going/${'segment-'.repeat(12)}end?query=${'x'.repeat(60)}`;
let server: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;
let popup: Page;

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchPhone();
  const paired = await pairThroughPopup(desktop, phone);
  popup = paired.popup;
  const tab = { url: 'https://example.com/', title: 'Example' };
  for (const linkUrl of [LONG_URL, 'https://example.com/short']) {
    const sent = await clickContextMenu(desktop, `send:link:${paired.phoneDeviceId}`, {
      info: { linkUrl, pageUrl: tab.url },
      tab,
    });
    expect(sent).toEqual({ ok: true, value: { delivered: true } });
  }
  const text = await clickContextMenu(desktop, `send:text:${paired.phoneDeviceId}`, {
    info: { selectionText: `A selection with a long word: ${'unbreakable'.repeat(8)}`, pageUrl: tab.url },
    tab,
  });
  expect(text).toEqual({ ok: true, value: { delivered: true } });
  await expect(phone.page.getByTestId('inbox-item')).toHaveCount(3);
  await phone.page.getByTestId('send-text').fill(`From the phone: ${LONG_URL}`);
  await phone.page.getByTestId('send-button').click();
  await expect(popup.getByTestId('inbox-item').first()).toBeVisible();
});

// biome-ignore lint/correctness/noEmptyPattern: Playwright requires a destructuring pattern, and no fixture is used.
test.afterEach(async ({}, testInfo) => {
  await printPagesOnFailure(testInfo, { popup, phone: phone?.page });
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await server?.close();
});

/** Elements whose right edge is past the window's, and whether the page scrolls sideways. */
function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const sticking = [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((element) => {
        const box = element.getBoundingClientRect();
        return box.width > 0 && box.right > width + 0.5;
      })
      .map(
        (element) =>
          `${element.tagName.toLowerCase()}.${element.className} (right ${Math.round(element.getBoundingClientRect().right)})`,
      )
      .slice(0, 10);
    return { scrollsSideways: document.documentElement.scrollWidth > width, sticking };
  });
}

for (const scheme of ['light', 'dark'] as const) {
  test(`the popup and the phone app fit their width in the ${scheme} scheme`, async () => {
    await popup.emulateMedia({ colorScheme: scheme });
    await phone.page.emulateMedia({ colorScheme: scheme });
    expect(await overflow(popup)).toEqual({ scrollsSideways: false, sticking: [] });
    expect(await overflow(phone.page)).toEqual({ scrollsSideways: false, sticking: [] });
    await popup.screenshot({ path: `${SHOTS}/popup-${scheme}.png` });
    await phone.page.screenshot({ path: `${SHOTS}/companion-phone-${scheme}.png` });
  });
}
