// A pairing attempt whose proof fails spends the code (whoever sent it, a man in the middle included,
// cannot try again), so the popup says so plainly and offers a new code at once; the new code pairs.
// Along the way, the built companion app is checked to configure every connection it negotiates with no
// ICE server at all, never PeerJS's default Google and PeerJS servers.

import { mkdirSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { DirectDropServer } from '../../server/app';
import { configureExtension, type Desktop, launchDesktop, launchPhone, openPopup } from './support/browsers';
import { startServer } from './support/server';

const SHOTS = 'artifacts/screenshots';
mkdirSync(SHOTS, { recursive: true });

let server: DirectDropServer;
let desktop: Desktop;
let phone: Awaited<ReturnType<typeof launchPhone>>;

test.beforeAll(async () => {
  server = await startServer();
  desktop = await launchDesktop();
  await configureExtension(desktop, server.httpUrl);
  phone = await launchPhone();
  // Records every RTCPeerConnection the companion app makes, to read its configuration afterwards.
  await phone.context.addInitScript(() => {
    const Original = window.RTCPeerConnection;
    const made: RTCPeerConnection[] = [];
    (window as unknown as { __made: RTCPeerConnection[] }).__made = made;
    window.RTCPeerConnection = new Proxy(Original, {
      construct(target, args: [RTCConfiguration?]) {
        const pc = Reflect.construct(target, args) as RTCPeerConnection;
        made.push(pc);
        return pc;
      },
    });
  });
});

test.afterAll(async () => {
  await desktop?.context.close();
  await phone?.context.close();
  await server?.close();
});

/** The same link with one character of its secret changed: the phone then cannot prove it has the code. */
function withWrongSecret(link: string): string {
  const [base, fragment = ''] = link.split('#');
  const fields = fragment.split('.');
  const secret = fields[4] ?? '';
  fields[4] = (secret.startsWith('A') ? 'B' : 'A') + secret.slice(1);
  return `${base}#${fields.join('.')}`;
}

test('a failed pairing attempt says the code is used up and offers a new one, which pairs', async () => {
  const popup = await openPopup(desktop);
  await expect(popup.getByTestId('server-status')).toHaveAttribute('data-status', 'online');
  const linkElement = popup.getByTestId('pairing-link');
  await expect(linkElement).toContainText('#pair=1.');
  const first = (await linkElement.textContent())?.trim() ?? '';

  await phone.page.goto(withWrongSecret(first));
  await expect(phone.page.getByTestId('pairing-status')).toHaveAttribute('data-state', 'failed');

  const result = popup.getByTestId('pairing-result');
  await expect(result).toHaveText('Pairing failed. That code is used up.');
  await expect(popup.getByText('The connection could not be verified', { exact: false })).toBeVisible();
  await expect(popup.getByText('A code works once, even when the attempt fails')).toBeVisible();
  const newCode = popup.getByTestId('new-pairing-code');
  await expect(newCode).toBeVisible();
  await expect(popup.getByTestId('pairing-qr')).toHaveCount(0);
  await popup.screenshot({ path: `${SHOTS}/popup-pairing-failed.png` });

  await newCode.click();
  await expect(popup.getByTestId('pairing-qr')).toBeVisible();
  const second = (await linkElement.textContent())?.trim() ?? '';
  expect(second).toContain('#pair=1.');
  expect(second).not.toBe(first);

  await phone.page.goto(second);
  await expect(phone.page.getByTestId('pairing-status')).toHaveAttribute('data-state', 'paired');
  await expect(popup.getByTestId('device-row')).toHaveAttribute('data-status', 'online');

  // Every connection the built companion negotiated had an empty ICE server list. (PeerJS also makes one
  // connection with its defaults when it loads, to probe the browser, and closes it without negotiating.)
  const iceServers = await phone.page.evaluate(() =>
    (window as unknown as { __made: RTCPeerConnection[] }).__made
      .filter((pc) => pc.localDescription !== null)
      .map((pc) => pc.getConfiguration().iceServers ?? null),
  );
  expect(iceServers.length).toBeGreaterThan(0);
  expect(iceServers).toEqual(iceServers.map(() => []));
});
