// Exactly-once delivery of items: a receiver that stored an item but whose acknowledgement never reached
// the sender gets the same item again (over a reconnect, over a session that replaced the first, after
// both devices restarted) and must keep it once, acknowledge it again, and let the sender call it delivered.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '../../core/engine/key-value-store';
import {
  DESKTOP_UA,
  MemoryHub,
  macrotask,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import type { MemoryTransport } from '../helpers/memory-network';
import { ManualClock } from '../helpers/node-env';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

/** The first retry after a dropped session (the engine's first backoff step). */
const FIRST_RETRY_MS = 3_000;

const isAck = (frame: string | Uint8Array) => typeof frame === 'string' && frame.includes('"t":"item-ack"');

interface World {
  hub: MemoryHub;
  clock: ManualClock;
  desktop: TestDevice;
  phone: TestDevice;
  phoneId: string;
  desktopStore: MemoryKeyValueStore;
  phoneStore: MemoryKeyValueStore;
}

async function pairedWorld(phoneStore = new MemoryKeyValueStore()): Promise<World> {
  const hub = new MemoryHub();
  const clock = new ManualClock();
  const desktopStore = new MemoryKeyValueStore();
  const desktop = await openDevice(hub, DESKTOP_UA, { clock, store: desktopStore });
  const phone = await openDevice(hub, PHONE_UA, { clock, store: phoneStore });
  opened.push(desktop, phone);
  await pairDevices(desktop, phone);
  const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
  return { hub, clock, desktop, phone, phoneId, desktopStore, phoneStore };
}

/** Takes the phone offline and queues `text` for it on the desktop. */
async function queueWhileAway(world: World, text: string): Promise<void> {
  world.phone.network().goOffline();
  await waitFor(world.desktop.engine, (s) => s.devices[0]?.status === 'offline');
  const outcome = await world.desktop.engine.sendItem(world.phoneId, { kind: 'text', text });
  expect(outcome).toMatchObject({ queued: true });
}

/**
 * Loses the phone's next item acknowledgement and then runs `after` (which breaks the connection in
 * some way); resolves once that happened, with the item stored on the phone.
 */
function loseNextAck(world: World, after: (transport: MemoryTransport) => void): Promise<void> {
  return new Promise((resolve) => {
    world.phone.network().loseOutgoing((frame, transport) => {
      if (!isAck(frame)) return false;
      world.phone.network().loseOutgoing(undefined);
      queueMicrotask(() => {
        after(transport);
        resolve();
      });
      return true;
    });
  });
}

function textsIn(device: TestDevice): string[] {
  return device.engine.inbox().flatMap((entry) => (entry.item.kind === 'text' ? [entry.item.text] : []));
}

describe('exactly-once delivery of items', () => {
  it('keeps an item once when its acknowledgement was lost and the sender sends it again after a reconnect', async () => {
    const world = await pairedWorld();
    await queueWhileAway(world, 'once only');
    const lost = loseNextAck(world, (transport) => transport.close());
    world.phone.network().setStatus('online');
    await lost;
    expect(textsIn(world.phone)).toEqual(['once only']);
    await waitFor(world.desktop.engine, (s) => s.devices[0]?.status === 'offline');
    expect(world.desktop.engine.snapshot().outbox).toMatchObject([{ state: 'queued' }]);

    world.clock.advance(FIRST_RETRY_MS);
    await waitFor(world.desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(textsIn(world.phone)).toEqual(['once only']);
  });

  it('keeps an item once when a newer session replaces the one it was sent over, mid-drain', async () => {
    const world = await pairedWorld();
    await queueWhileAway(world, 'first');
    await world.desktop.engine.sendItem(world.phoneId, { kind: 'text', text: 'second' });
    // The phone loses its end of the channel without the desktop noticing, then dials again: the
    // desktop takes the new session, which replaces the old one with the first item unacknowledged.
    const lost = loseNextAck(world, (transport) => transport.dropSilently());
    world.phone.network().setStatus('online');
    await lost;
    expect(textsIn(world.phone)).toEqual(['first']);
    expect(world.desktop.engine.snapshot().outbox[0]?.state).toBe('sending');

    world.clock.advance(FIRST_RETRY_MS);
    await waitFor(world.desktop.engine, (s) => s.outbox.every((e) => e.state === 'delivered'));
    expect(textsIn(world.phone)).toEqual(['second', 'first']);
  });

  it('keeps an item once when an item sent at once loses its acknowledgement and goes to the outbox', async () => {
    const world = await pairedWorld();
    const lost = loseNextAck(world, (transport) => transport.close());
    const outcome = await world.desktop.engine.sendItem(world.phoneId, { kind: 'text', text: 'direct' });
    await lost;
    expect(outcome).toMatchObject({ queued: true });
    expect(textsIn(world.phone)).toEqual(['direct']);

    world.clock.advance(FIRST_RETRY_MS);
    await waitFor(world.desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(textsIn(world.phone)).toEqual(['direct']);
  });

  it('keeps an item once when both devices restart before the acknowledgement arrived', async () => {
    const world = await pairedWorld();
    await queueWhileAway(world, 'across restarts');
    const lost = loseNextAck(world, () => {
      world.desktop.engine.close();
      world.phone.engine.close();
    });
    world.phone.network().setStatus('online');
    await lost;

    const desktop = await openDevice(world.hub, DESKTOP_UA, {
      clock: world.clock,
      store: world.desktopStore,
    });
    const phone = await openDevice(world.hub, PHONE_UA, { clock: world.clock, store: world.phoneStore });
    opened.push(desktop, phone);
    expect(textsIn(phone)).toEqual(['across restarts']);
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(textsIn(phone)).toEqual(['across restarts']);
  });

  it('remembers delivered item ids across a restart even after the inbox has moved on', async () => {
    const world = await pairedWorld();
    await queueWhileAway(world, 'old item');
    const lost = loseNextAck(world, () => {
      world.desktop.engine.close();
      world.phone.engine.close();
    });
    world.phone.network().setStatus('online');
    await lost;
    // The phone's user clears the inbox before the desktop comes back with the same item.
    const phone = await openDevice(world.hub, PHONE_UA, { clock: world.clock, store: world.phoneStore });
    opened.push(phone);
    for (const entry of phone.engine.inbox()) await phone.engine.removeInboxItem(entry.id);
    expect(phone.engine.inbox()).toEqual([]);

    const desktop = await openDevice(world.hub, DESKTOP_UA, {
      clock: world.clock,
      store: world.desktopStore,
    });
    opened.push(desktop);
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(phone.engine.inbox()).toEqual([]);
  });
});

/** A store that holds back its next inbox write until the test lets it through. */
class HeldInboxStore extends MemoryKeyValueStore {
  #held: { reached(): void; released: Promise<void> } | undefined;

  holdNextInboxWrite(): { reached: Promise<void>; release(): void } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const reached = new Promise<void>((resolve) => {
      this.#held = { reached: resolve, released };
    });
    return { reached, release };
  }

  override async set(key: string, value: unknown): Promise<void> {
    const held = this.#held;
    if (held && key === 'inbox') {
      this.#held = undefined;
      held.reached();
      await held.released;
    }
    return super.set(key, value);
  }
}

describe('a copy that arrives while the first is being stored', () => {
  it('is acknowledged only once the item is really stored', async () => {
    const phoneStore = new HeldInboxStore();
    const world = await pairedWorld(phoneStore);
    const { clock, desktop, phone } = world;
    await queueWhileAway(world, 'slow disk');

    const write = phoneStore.holdNextInboxWrite();
    phone.network().setStatus('online');
    await write.reached;
    // The write started inside the session's start-up: let that finish before breaking the channel.
    await macrotask();
    // The phone's channel breaks while it is still writing; the desktop sends the item again over the
    // next session, and that copy reaches the phone while the first write is still under way.
    const resent = new Promise<void>((resolve) => {
      desktop.network().loseOutgoing((frame) => {
        if (typeof frame === 'string' && frame.includes('"t":"item"')) resolve();
        return false;
      });
    });
    for (const transport of phone.network().transports) transport.dropSilently();
    clock.advance(FIRST_RETRY_MS);
    await resent;
    // The copy is handed to the phone's engine as its new session starts; whatever it does with it
    // synchronously or in the microtasks after is done once a macrotask has run.
    await waitFor(phone.engine, (s) => s.devices[0]?.status === 'online');
    await macrotask();
    expect(
      phone
        .network()
        .transports.flatMap((t) => t.sent)
        .filter(isAck),
    ).toEqual([]);
    expect(desktop.engine.snapshot().outbox[0]?.state).toBe('sending');

    write.release();
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(textsIn(phone)).toEqual(['slow disk']);
  });
});

describe('a channel that breaks while its session is still starting', () => {
  it('is dialled again by the next retry', async () => {
    const phoneStore = new HeldInboxStore();
    const world = await pairedWorld(phoneStore);
    const { clock, desktop, phone } = world;
    await queueWhileAway(world, 'early break');

    // The queued item reaches the phone inside its session's start-up, where the held write lets the
    // test break the channel before the phone's dial has returned.
    const write = phoneStore.holdNextInboxWrite();
    phone.network().setStatus('online');
    await write.reached;
    for (const transport of phone.network().transports) transport.close();
    write.release();
    clock.advance(FIRST_RETRY_MS);
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered', 2_000);
    expect(textsIn(phone)).toEqual(['early break']);
  });
});
