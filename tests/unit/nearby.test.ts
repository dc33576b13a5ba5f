// Nearby devices that are not paired: listed by network and visibility, reachable only when visible,
// files from them always wait for the user's accept (nothing is written before), both sides show the same
// verification code (and different ones when someone relays in the middle), items are refused, and
// "Pair" upgrades the session to a pairing once both sides confirm; rooms then find the device again.

import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock';
import { ACK_TIMEOUT_MS } from '../../core/engine/session';
import {
  DESKTOP_UA,
  MemoryHub,
  macrotask,
  openDevice,
  PHONE_UA,
  type TestDevice,
  until,
  waitFor,
} from '../helpers/engine-fixture';
import { MemoryPresenceHub } from '../helpers/memory-presence';
import { ManualClock } from '../helpers/node-env';
import { relayInTheMiddle } from '../helpers/relay';
import { bytesOf, memoryFiles, sha256 } from '../helpers/transfer-harness';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function world(
  networks: { desktop: string; phone: string } = { desktop: 'home', phone: 'home' },
  clock?: Clock,
) {
  const hub = new MemoryHub();
  const presence = new MemoryPresenceHub();
  const desktopFiles = memoryFiles();
  const phoneFiles = memoryFiles();
  const desktop = await openDevice(hub, DESKTOP_UA, {
    files: desktopFiles,
    presence: { hub: presence, network: networks.desktop },
    ...(clock ? { clock } : {}),
  });
  const phone = await openDevice(hub, PHONE_UA, {
    files: phoneFiles,
    presence: { hub: presence, network: networks.phone },
    ...(clock ? { clock } : {}),
  });
  opened.push(desktop, phone);
  return { hub, presence, desktop, phone, desktopFiles, phoneFiles };
}

function peerIdOf(device: TestDevice): string {
  return device.network().localPeerId;
}

describe('nearby devices', { timeout: 20_000 }, () => {
  it('lists devices on the same network with name, type and avatar, and not those elsewhere', async () => {
    const { desktop, phone } = await world();
    const seen = await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    expect(seen.nearby[0]).toMatchObject({
      peerId: peerIdOf(phone),
      name: phone.engine.snapshot().self.name,
      type: 'phone',
      avatar: phone.engine.snapshot().self.avatar,
      status: 'available',
    });
    expect(phone.engine.snapshot().self.avatar).toMatch(/^[A-Za-z0-9_-]{8,32}$/);

    const apart = await world({ desktop: 'office', phone: 'cafe' });
    // Both have announced themselves and the presence service has told each what it sees.
    await until(() => [...apart.presence.channels].every((c) => c.announced?.visible));
    await macrotask();
    expect(apart.desktop.engine.snapshot().nearby).toEqual([]);
    expect(apart.phone.engine.snapshot().nearby).toEqual([]);
  });

  it('hides a device that turned visibility off, and it refuses connections from unpaired devices', async () => {
    const { desktop, phone } = await world();
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    await phone.engine.setVisible(false);
    await waitFor(desktop.engine, (s) => s.nearby.length === 0);
    expect(phone.engine.snapshot().self.visible).toBe(false);
    // The phone still sees the desktop: being hidden does not blind it.
    expect(phone.engine.snapshot().nearby).toHaveLength(1);
    await expect(desktop.engine.connectNearby(peerIdOf(phone))).rejects.toThrow(
      'does not take connections from devices it is not paired with',
    );
  });

  it('shows the same verification code on both sides, and the receiver must accept before anything is written', async () => {
    const { desktop, phone, phoneFiles } = await world();
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    const data = bytesOf(70_000, 3);
    await desktop.engine.sendFilesNearby(peerIdOf(phone), [
      { name: 'hello.txt', type: 'text/plain', size: data.length, data },
    ]);
    const offered = await waitFor(phone.engine, (s) => s.transfers[0]?.state === 'offered');
    const desktopSide = desktop.engine.snapshot().nearby[0];
    const phoneSide = offered.nearby[0];
    expect(desktopSide?.verificationCode).toMatch(/^\d{3} \d{3}$/);
    expect(phoneSide?.verificationCode).toBe(desktopSide?.verificationCode);
    expect(offered.transfers[0]?.verificationCode).toBe(desktopSide?.verificationCode);
    expect(offered.transfers[0]?.deviceName).toBe(desktop.engine.snapshot().self.name);
    // Auto-accept is for paired devices only, so the offer waits and nothing is stored yet: no timer is
    // involved, so whatever an accept would start has run once the pending callbacks have.
    await macrotask();
    expect(phone.engine.snapshot().transfers[0]?.state).toBe('offered');
    expect(phoneFiles.store.completed.size).toBe(0);
    expect(phoneFiles.store.files.size).toBe(0);

    await phone.engine.acceptTransfer(offered.transfers[0]?.id ?? '');
    await waitFor(phone.engine, (s) => s.transfers[0]?.state === 'done');
    expect([...phoneFiles.store.completed.values()].map(sha256)).toEqual([sha256(data)]);
    // Nothing became a pairing by sending.
    expect(phone.engine.snapshot().devices).toEqual([]);
    expect(desktop.engine.snapshot().devices).toEqual([]);
  });

  it('tells the sender when the receiver declines', async () => {
    const { desktop, phone, phoneFiles } = await world();
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    await desktop.engine.sendFilesNearby(peerIdOf(phone), [
      { name: 'no.bin', type: '', size: 5, data: bytesOf(5) },
    ]);
    const offered = await waitFor(phone.engine, (s) => s.transfers[0]?.state === 'offered');
    phone.engine.declineTransfer(offered.transfers[0]?.id ?? '');
    const declined = await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'failed');
    expect(declined.outbox[0]?.error).toBe('The other device declined.');
    expect(phoneFiles.store.completed.size + phoneFiles.store.files.size).toBe(0);
  });

  it('fails closed when a relay forwards the handshake between two other connections', async () => {
    const { hub, desktop, phone } = await world();
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    hub.interceptors.set(peerIdOf(phone), (from) => relayInTheMiddle(hub, from, peerIdOf(phone)));
    await expect(desktop.engine.connectNearby(peerIdOf(phone))).rejects.toThrow('could not be verified');
    expect(desktop.engine.snapshot().nearby[0]?.status).toBe('available');
    expect(phone.engine.snapshot().nearby.every((n) => n.status !== 'connected')).toBe(true);
  });

  it('shows different codes on the two screens when a device in the middle runs its own handshakes', async () => {
    const { hub, presence, desktop, phone } = await world();
    const mallory = await openDevice(hub, PHONE_UA, { presence: { hub: presence, network: 'elsewhere' } });
    opened.push(mallory);
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    // The server routes the desktop to the attacker, which opens its own connection to the phone.
    hub.interceptors.set(peerIdOf(phone), (from) => from.connect(peerIdOf(mallory)));
    await desktop.engine.connectNearby(peerIdOf(phone));
    hub.interceptors.delete(peerIdOf(phone));
    await mallory.engine.connectNearby(peerIdOf(phone));
    const codeOn = async (device: TestDevice) =>
      (await waitFor(device.engine, (s) => s.nearby.some((n) => n.verificationCode))).nearby.find(
        (n) => n.verificationCode,
      )?.verificationCode;
    const desktopCode = await codeOn(desktop);
    const phoneCode = await codeOn(phone);
    expect(desktopCode).toMatch(/^\d{3} \d{3}$/);
    expect(phoneCode).toMatch(/^\d{3} \d{3}$/);
    expect(phoneCode).not.toBe(desktopCode);
  });

  it('refuses items from a device that is not paired', async () => {
    const clock = new ManualClock();
    const { desktop, phone } = await world(undefined, clock);
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    const session = await desktop.engine.connectNearby(peerIdOf(phone));
    const outcome = session.sendItem('nearby-item', { kind: 'link', url: 'https://example.com/' }).then(
      () => 'acknowledged',
      (error: Error) => error.message,
    );
    // Never acknowledged: the sender gives up when its wait for the acknowledgement runs out.
    await macrotask();
    clock.advance(ACK_TIMEOUT_MS);
    expect(await outcome).toBe('The other device did not confirm the item in time.');
    expect(phone.engine.inbox()).toEqual([]);
  });

  it('pairs from nearby once both sides confirm the code, then finds the device again through its room', async () => {
    const { desktop, phone } = await world();
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    await desktop.engine.connectNearby(peerIdOf(phone));
    const phoneView = await waitFor(phone.engine, (s) => s.nearby[0]?.status === 'connected');
    const desktopView = desktop.engine.snapshot();
    const desktopId = phoneView.nearby[0]?.deviceId ?? '';
    const phoneId = desktopView.nearby[0]?.deviceId ?? '';
    const notices: string[] = [];
    phone.engine.onNotice((n) => notices.push(n.kind));

    desktop.engine.requestPairing(phoneId);
    await waitFor(phone.engine, (s) => s.nearby[0]?.pairing === 'asked');
    expect(notices).toContain('pair-requested');
    expect(desktop.engine.snapshot().nearby[0]?.pairing).toBe('requested');
    // Asking is not pairing: only the other side's confirmation completes it.
    expect(desktop.engine.snapshot().devices).toEqual([]);

    phone.engine.requestPairing(desktopId);
    await waitFor(
      desktop.engine,
      (s) => s.devices[0]?.deviceId === phoneId && s.devices[0]?.status === 'online',
    );
    await waitFor(phone.engine, (s) => s.devices[0]?.deviceId === desktopId);
    expect(desktop.engine.snapshot().nearby).toEqual([]);
    expect(phone.engine.snapshot().nearby).toEqual([]);
    expect(await desktop.engine.sendItem(phoneId, { kind: 'text', text: 'paired now' })).toEqual({
      delivered: true,
    });

    // The phone comes back under a new signalling id: the room tells the desktop where it is now.
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    phone.engine.reconnectNetwork();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online', 3_000);
  });

  it('a declined pairing request leaves both devices unpaired', async () => {
    const { desktop, phone } = await world();
    await waitFor(desktop.engine, (s) => s.nearby.length === 1);
    await desktop.engine.connectNearby(peerIdOf(phone));
    const phoneView = await waitFor(phone.engine, (s) => s.nearby[0]?.status === 'connected');
    const phoneId = desktop.engine.snapshot().nearby[0]?.deviceId ?? '';
    desktop.engine.requestPairing(phoneId);
    await waitFor(phone.engine, (s) => s.nearby[0]?.pairing === 'asked');
    phone.engine.declinePairing(phoneView.nearby[0]?.deviceId ?? '');
    await waitFor(desktop.engine, (s) => s.nearby[0]?.status === 'connected' && !s.nearby[0]?.pairing);
    expect(desktop.engine.snapshot().devices).toEqual([]);
    expect(phone.engine.snapshot().devices).toEqual([]);
  });
});
