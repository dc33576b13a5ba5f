// The keyboard shortcut: a manifest command (rebindable in the browser's shortcut settings) that sends the
// current tab to the device last sent to, or to the only paired device when nothing was sent yet.

import { expect, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone } from './support/browsers';
import { clickContextMenu, pressShortcut } from './support/extension';
import { pairAnotherThroughPopup, pairThroughPopup } from './support/pairing';
import { startServer } from './support/server';

test.describe.configure({ mode: 'serial' });

let server: DirectDropServer;
let desktop: Desktop;
let first: Awaited<ReturnType<typeof launchPhone>>;
let second: Awaited<ReturnType<typeof launchPhone>>;
let firstId = '';

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  [first, second] = await Promise.all([launchPhone(), launchPhone()]);
  await Promise.all([first.page.goto(server.httpUrl), second.page.goto(server.httpUrl)]);
});

test.afterAll(async () => {
  await desktop?.context.close();
  await first?.context.close();
  await second?.context.close();
  await server?.close();
});

function inboxOf(phone: typeof first) {
  return phone.page.getByTestId('inbox-item');
}

test('the manifest declares the shortcut with a suggested key', async () => {
  const commands = await desktop.worker.evaluate(() =>
    (
      globalThis as unknown as {
        chrome: {
          commands: { getAll(): Promise<{ name?: string; shortcut?: string; description?: string }[]> };
        };
      }
    ).chrome.commands.getAll(),
  );
  expect(commands).toContainEqual(
    expect.objectContaining({
      name: 'send-tab',
      shortcut: 'Alt+Shift+D',
      description: 'Send the current tab to the device you last sent to',
    }),
  );
});

test('with nothing paired it sends nothing and says what to do', async () => {
  const result = await pressShortcut(desktop, 'send-tab', { url: 'https://example.com/', title: 'Example' });
  expect(result).toEqual({ ok: false, error: expect.stringContaining('Pair a device first') });
});

test('with one paired phone and nothing sent yet, it sends the tab to that phone', async () => {
  const paired = await pairThroughPopup(desktop, first);
  firstId = paired.phoneDeviceId;
  await paired.popup.close();
  const result = await pressShortcut(desktop, 'send-tab', {
    url: 'https://example.com/article',
    title: 'An article',
  });
  expect(result).toEqual({ ok: true, value: { delivered: true } });
  await expect(inboxOf(first).filter({ hasText: 'https://example.com/article' })).toHaveCount(1);
});

test('with two phones it sends to the one last sent to, from a menu or the shortcut', async () => {
  const secondId = await pairAnotherThroughPopup(desktop, second);
  // The last send went to the first phone.
  expect(await pressShortcut(desktop, 'send-tab', { url: 'https://example.com/one', title: 'One' })).toEqual({
    ok: true,
    value: { delivered: true },
  });
  await expect(inboxOf(first).filter({ hasText: 'https://example.com/one' })).toHaveCount(1);

  const viaMenu = await clickContextMenu(desktop, `send:link:${secondId}`, {
    info: { linkUrl: 'https://example.com/linked', pageUrl: 'https://example.com/' },
    tab: { url: 'https://example.com/', title: 'Example' },
  });
  expect(viaMenu).toEqual({ ok: true, value: { delivered: true } });
  expect(await pressShortcut(desktop, 'send-tab', { url: 'https://example.com/two', title: 'Two' })).toEqual({
    ok: true,
    value: { delivered: true },
  });
  await expect(inboxOf(second).filter({ hasText: 'https://example.com/two' })).toHaveCount(1);
  await expect(inboxOf(first).filter({ hasText: 'https://example.com/two' })).toHaveCount(0);
  expect(firstId).not.toBe(secondId);
});
