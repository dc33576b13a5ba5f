// Engines wired to an in-memory network, for fast tests of pairing, sessions and delivery.

import type { Clock } from '../../core/clock';
import { defaultDeviceProfile } from '../../core/device-naming';
import { Engine, type EngineSnapshot } from '../../core/engine/engine';
import { MemoryKeyValueStore } from '../../core/engine/key-value-store';
import type { FileEnv } from '../../core/engine/transfer-center';
import { MemoryHub, type MemoryNetwork } from './memory-network';
import type { MemoryPresenceHub } from './memory-presence';
import { nodeCrypto, realClock } from './node-env';

export const COMPANION_URL = 'http://localhost:9000';

export interface TestDevice {
  engine: Engine;
  store: MemoryKeyValueStore;
  network(): MemoryNetwork;
}

export async function openDevice(
  hub: MemoryHub,
  userAgent: string,
  options: {
    clock?: Clock;
    store?: MemoryKeyValueStore;
    files?: FileEnv;
    /** The presence service and the network (e.g. a public address) this device appears on. */
    presence?: { hub: MemoryPresenceHub; network: string };
  } = {},
): Promise<TestDevice> {
  const store = options.store ?? new MemoryKeyValueStore();
  const presence = options.presence;
  let current: MemoryNetwork | undefined;
  const engine = await Engine.open({
    crypto: nodeCrypto,
    clock: options.clock ?? realClock,
    store,
    defaultProfile: defaultDeviceProfile(userAgent),
    ...(options.files ? { files: options.files } : {}),
    ...(presence ? { createPresence: () => presence.hub.channel(presence.network) } : {}),
    createNetwork: (credentials) => {
      current = hub.network(credentials.peerId);
      return current;
    },
  });
  return {
    engine,
    store,
    network: () => {
      if (!current) throw new Error('no network');
      return current;
    },
  };
}

export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
export const PHONE_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36';

export function waitFor(
  engine: Engine,
  predicate: (snapshot: EngineSnapshot) => boolean,
  timeoutMs = 5000,
): Promise<EngineSnapshot> {
  const now = engine.snapshot();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(engine.snapshot())}`));
    }, timeoutMs);
    const stop = engine.onSnapshot((snapshot) => {
      if (!predicate(snapshot)) return;
      clearTimeout(timer);
      stop();
      resolve(snapshot);
    });
  });
}

/**
 * Waits, a macrotask at a time and at most a thousand, for a condition no snapshot announces (what a
 * presence hub or a network saw); fails if it never holds.
 */
export async function until(condition: () => boolean, what = 'the condition'): Promise<void> {
  for (let turn = 0; turn < 1_000 && !condition(); turn++) await macrotask();
  if (!condition()) throw new Error(`${what} did not come true`);
}

/** Lets the callbacks already queued run: the in-memory network and stores answer in microtasks. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Pairs a phone with a desktop through a pairing link, as a scanned QR code would. */
export async function pairDevices(desktop: TestDevice, phone: TestDevice): Promise<void> {
  const view = desktop.engine.startPairing(COMPANION_URL);
  if (view.state !== 'waiting') throw new Error('pairing did not start');
  await phone.engine.pairWith(view.link);
  await waitFor(desktop.engine, (s) => s.devices.some((d) => d.status === 'online'));
}

export { MemoryHub };
