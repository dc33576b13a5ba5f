// A send answers within a second: a device that just went away (its tab closed, its channel not yet
// noticed dead) or one that does not confirm in time gets the item queued with the reason, the attempt
// goes on in the background, and the item still arrives exactly once.

import { afterEach, describe, expect, it } from 'vitest';
import { SEND_FEEDBACK_MS } from '../../core/engine/engine';
import { MemoryKeyValueStore } from '../../core/engine/key-value-store';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  until,
  waitFor,
} from '../helpers/engine-fixture';
import { MemoryPresenceHub } from '../helpers/memory-presence';
import { ManualClock } from '../helpers/node-env';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

/** A store whose inbox writes wait until the test lets them through: a phone slow to confirm. */
class SlowInboxStore extends MemoryKeyValueStore {
  #release: (() => void) | undefined;
  #gate: Promise<void> | undefined;

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#release?.();
    this.#gate = undefined;
  }

  override async set(key: string, value: unknown): Promise<void> {
    if (key === 'inbox' && this.#gate) await this.#gate;
    return super.set(key, value);
  }
}

async function pairedWithRooms(phoneStore = new MemoryKeyValueStore()) {
  const hub = new MemoryHub();
  const presence = new MemoryPresenceHub();
  const clock = new ManualClock();
  const desktop = await openDevice(hub, DESKTOP_UA, { clock, presence: { hub: presence, network: 'home' } });
  const phone = await openDevice(hub, PHONE_UA, {
    clock,
    store: phoneStore,
    presence: { hub: presence, network: 'home' },
  });
  opened.push(desktop, phone);
  await pairDevices(desktop, phone);
  const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
  const phonePeerId = phone.network().localPeerId;
  const phonePresence = () => [...presence.channels].find((c) => c.announced?.peerId === phonePeerId);
  // Rooms are announced once their ids are derived (WebCrypto, off the microtask queue).
  await until(() => (phonePresence()?.announced?.rooms.length ?? 0) > 0);
  return { hub, presence, clock, desktop, phone, phoneId, phonePresence };
}

const texts = (device: TestDevice) =>
  device.engine.inbox().flatMap((e) => (e.item.kind === 'text' ? [e.item.text] : []));

describe('feedback for a send', () => {
  it('queues at once, saying the device is offline, when it has just left and its channel is not yet noticed dead', async () => {
    const { clock, desktop, phone, phoneId, phonePresence } = await pairedWithRooms();
    // The phone's tab closes: its presence socket goes at once, its channel end vanishes silently.
    const leaving = phonePresence();
    for (const transport of phone.network().transports) transport.dropSilently();
    phone.network().setStatus('offline');
    leaving?.close();
    expect(desktop.engine.snapshot().devices[0]?.status).toBe('online');

    const sent = desktop.engine.sendItem(phoneId, { kind: 'text', text: 'just missed' });
    clock.advance(SEND_FEEDBACK_MS);
    expect(await sent).toEqual({ queued: true, reason: 'Android phone is offline.' });
    expect(desktop.engine.snapshot().outbox).toMatchObject([{ summary: 'just missed' }]);
    // The channel the phone left behind was asked for a sign of life and closed for want of one.
    clock.advance(2_000);
    await waitFor(
      desktop.engine,
      (s) => s.devices[0]?.status === 'offline' && s.outbox[0]?.state === 'queued',
    );

    phone.network().setStatus('online');
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(texts(phone)).toEqual(['just missed']);
  });

  it('queues after a second when the device does not confirm, and delivers once when it does', async () => {
    const phoneStore = new SlowInboxStore();
    const { clock, desktop, phone, phoneId } = await pairedWithRooms(phoneStore);
    phoneStore.hold();
    const sent = desktop.engine.sendItem(phoneId, { kind: 'text', text: 'slow phone' });
    clock.advance(SEND_FEEDBACK_MS);
    expect(await sent).toEqual({ queued: true, reason: 'Android phone is not answering yet.' });
    expect(desktop.engine.snapshot().outbox).toMatchObject([{ summary: 'slow phone' }]);

    phoneStore.release();
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(texts(phone)).toEqual(['slow phone']);
    expect(desktop.engine.snapshot().devices[0]?.status).toBe('online');
  });

  it('answers "delivered" when the device confirms in time', async () => {
    const { desktop, phone, phoneId } = await pairedWithRooms();
    expect(await desktop.engine.sendItem(phoneId, { kind: 'text', text: 'quick' })).toEqual({
      delivered: true,
    });
    expect(texts(phone)).toEqual(['quick']);
    expect(desktop.engine.snapshot().outbox).toEqual([]);
  });
});
