// The cap on paired devices holds however a pairing is made: a scanned QR code, a nearby pairing this
// device asked for, or one the other device asked for first, also when the last place is taken while a
// nearby pairing waits for its confirmation.

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PAIRINGS } from '../../core/engine/engine';
import { MemoryKeyValueStore } from '../../core/engine/key-value-store';
import {
  COMPANION_URL,
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { MemoryPresenceHub } from '../helpers/memory-presence';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

const FULL = `This device already has ${MAX_PAIRINGS} paired devices. Unpair one first.`;
const base64url = (bytes: number) => randomBytes(bytes).toString('base64url');

/** A store that already holds `count` pairings with devices that are never online. */
function storeWithPairings(count: number): MemoryKeyValueStore {
  const store = new MemoryKeyValueStore();
  const now = Date.now();
  store.data.set(
    'pairings',
    Array.from({ length: count }, (_, i) => ({
      deviceId: base64url(16),
      publicKey: base64url(65),
      name: `Old phone ${i + 1}`,
      type: 'phone',
      peerId: randomBytes(16).toString('hex'),
      pairedAt: now,
    })),
  );
  return store;
}

async function nearbyWorld(desktopPairings: number) {
  const hub = new MemoryHub();
  const presence = new MemoryPresenceHub();
  const desktop = await openDevice(hub, DESKTOP_UA, {
    store: storeWithPairings(desktopPairings),
    presence: { hub: presence, network: 'home' },
  });
  const phone = await openDevice(hub, PHONE_UA, { presence: { hub: presence, network: 'home' } });
  opened.push(desktop, phone);
  await waitFor(desktop.engine, (s) => s.nearby.length === 1);
  await desktop.engine.connectNearby(phone.network().localPeerId);
  const phoneView = await waitFor(phone.engine, (s) => s.nearby[0]?.status === 'connected');
  const desktopId = phoneView.nearby[0]?.deviceId ?? '';
  const phoneId = desktop.engine.snapshot().nearby[0]?.deviceId ?? '';
  return { hub, desktop, phone, desktopId, phoneId };
}

describe('the cap on paired devices', () => {
  it('shows no pairing code when the cap is reached', async () => {
    const hub = new MemoryHub();
    const desktop = await openDevice(hub, DESKTOP_UA, { store: storeWithPairings(MAX_PAIRINGS) });
    opened.push(desktop);
    expect(desktop.engine.startPairing(COMPANION_URL)).toEqual({ state: 'failed', error: FULL });
  });

  it('refuses, on both sides, a code shown before a nearby pairing took the last place', async () => {
    const { hub, desktop, phone, desktopId, phoneId } = await nearbyWorld(MAX_PAIRINGS - 1);
    const view = desktop.engine.startPairing(COMPANION_URL);
    if (view.state !== 'waiting') throw new Error('pairing did not start');
    phone.engine.requestPairing(desktopId);
    await waitFor(desktop.engine, (s) => s.nearby[0]?.pairing === 'asked');
    desktop.engine.requestPairing(phoneId);
    await waitFor(desktop.engine, (s) => s.devices.length === MAX_PAIRINGS);
    expect(desktop.engine.snapshot().pairing).toEqual({ state: 'failed', error: FULL });

    const late = await openDevice(hub, PHONE_UA);
    opened.push(late);
    await expect(late.engine.pairWith(view.link)).rejects.toThrow();
    expect(late.engine.snapshot().devices).toEqual([]);
    expect(desktop.engine.snapshot().devices).toHaveLength(MAX_PAIRINGS);
  });

  it('refuses to confirm a nearby pairing the other device asked for when this one is full', async () => {
    const { desktop, phone, desktopId, phoneId } = await nearbyWorld(MAX_PAIRINGS);
    phone.engine.requestPairing(desktopId);
    await waitFor(desktop.engine, (s) => s.nearby[0]?.pairing === 'asked');
    expect(() => desktop.engine.requestPairing(phoneId)).toThrow(FULL);
    expect(desktop.engine.snapshot().devices).toHaveLength(MAX_PAIRINGS);
    expect(phone.engine.snapshot().devices).toEqual([]);
  });

  it('does not pair when the last place was taken while a nearby request waited for its answer', async () => {
    const { hub, desktop, phone, desktopId, phoneId } = await nearbyWorld(MAX_PAIRINGS - 1);
    desktop.engine.requestPairing(phoneId);
    await waitFor(phone.engine, (s) => s.nearby[0]?.pairing === 'asked');
    // Meanwhile another phone pairs by QR code and takes the last place.
    const other = await openDevice(hub, PHONE_UA);
    opened.push(other);
    await pairDevices(desktop, other);
    expect(desktop.engine.snapshot().devices).toHaveLength(MAX_PAIRINGS);

    phone.engine.requestPairing(desktopId);
    const after = await waitFor(desktop.engine, (s) => s.nearby[0]?.problem !== undefined);
    expect(after.nearby[0]?.problem).toBe(FULL);
    expect(after.devices).toHaveLength(MAX_PAIRINGS);
    expect(after.devices.some((d) => d.deviceId === phoneId)).toBe(false);
  });
});
