// Room ids change every UTC day, so the presence service cannot link a pair's sessions over time by its
// room id; around midnight a device is in both days' rooms, so two devices whose clocks differ (by less
// than ROOM_OVERLAP_MS) still find each other, and the engine announces again when the day changes.

import { afterEach, describe, expect, it } from 'vitest';
import { fromBase64Url } from '../../core/bytes';
import { MAX_PAIRINGS } from '../../core/engine/engine';
import type { PairedDevice } from '../../core/engine/state-store';
import {
  nextRoomChangeAt,
  ROOM_OVERLAP_MS,
  ROOM_PERIOD_MS,
  roomDaysAt,
  roomIdFor,
} from '../../core/presence/rooms';
import { MAX_ANNOUNCED_ROOMS } from '../../core/protocol/presence-messages';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { settle } from '../helpers/hostile-peer';
import { MemoryPresenceHub } from '../helpers/memory-presence';
import { advanceInSteps, ManualClock, nodeCrypto } from '../helpers/node-env';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;
/** Midnight UTC at the start of 2026-12-04. */
const MIDNIGHT = Math.floor(Date.UTC(2026, 11, 4) / ROOM_PERIOD_MS) * ROOM_PERIOD_MS;
const KEY = new Uint8Array(32).fill(7);

async function roomsAt(now: number, key: Uint8Array = KEY): Promise<string[]> {
  return Promise.all(roomDaysAt(now).map((day) => roomIdFor(nodeCrypto, key, day)));
}

function clockAt(time: number): ManualClock {
  const clock = new ManualClock();
  clock.advance(time - clock.now());
  return clock;
}

/** Waits, a macrotask at a time and at most a thousand, for a condition nothing emits an event for. */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !condition(); turn++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}

describe('room ids', () => {
  it('change every UTC day and differ between pairs', async () => {
    const noon = MIDNIGHT + 12 * HOUR;
    const days = await Promise.all([0, 1, 2, 30].map((n) => roomsAt(noon + n * ROOM_PERIOD_MS)));
    expect(days.every((rooms) => rooms.length === 1)).toBe(true);
    expect(new Set(days.flat()).size).toBe(4);
    expect(await roomsAt(noon + 5 * HOUR)).toEqual(days[0]);
    expect(await roomsAt(noon, new Uint8Array(32).fill(8))).not.toEqual(days[0]);
    for (const id of days.flat()) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('are shared around midnight by two devices whose clocks differ by less than twice the overlap', async () => {
    const skew = 2 * ROOM_OVERLAP_MS - MINUTE;
    for (let t = MIDNIGHT - 4 * HOUR; t <= MIDNIGHT + 4 * HOUR; t += 5 * MINUTE) {
      for (const other of [t - skew, t + skew]) {
        const [mine, theirs] = await Promise.all([roomsAt(t), roomsAt(other)]);
        expect(
          mine.filter((room) => theirs.includes(room)),
          new Date(t).toISOString(),
        ).not.toEqual([]);
      }
    }
    // Beyond the overlap the two miss each other for a while (they still meet at their stored ids).
    const [late, early] = await Promise.all([
      roomsAt(MIDNIGHT + ROOM_OVERLAP_MS + MINUTE),
      roomsAt(MIDNIGHT - ROOM_OVERLAP_MS - MINUTE),
    ]);
    expect(late.filter((room) => early.includes(room))).toEqual([]);
  });

  it('are two per pairing at most, so a device with the most pairings stays within one announce', () => {
    for (let t = MIDNIGHT - 3 * HOUR; t < MIDNIGHT + 3 * HOUR; t += MINUTE) {
      expect(roomDaysAt(t).length).toBeLessThanOrEqual(2);
    }
    expect(MAX_PAIRINGS * 2).toBeLessThanOrEqual(MAX_ANNOUNCED_ROOMS);
    expect(nextRoomChangeAt(MIDNIGHT + 12 * HOUR)).toBe(MIDNIGHT + ROOM_PERIOD_MS - ROOM_OVERLAP_MS);
    expect(nextRoomChangeAt(MIDNIGHT - ROOM_OVERLAP_MS)).toBe(MIDNIGHT);
    expect(nextRoomChangeAt(MIDNIGHT)).toBe(MIDNIGHT + ROOM_OVERLAP_MS);
  });
});

describe('an engine', () => {
  async function pairedWithRooms(desktopClock: ManualClock, phoneClock: ManualClock) {
    const hub = new MemoryHub();
    const presence = new MemoryPresenceHub();
    const desktop = await openDevice(hub, DESKTOP_UA, {
      clock: desktopClock,
      presence: { hub: presence, network: 'home' },
    });
    const phone = await openDevice(hub, PHONE_UA, {
      clock: phoneClock,
      presence: { hub: presence, network: 'elsewhere' },
    });
    opened.push(desktop, phone);
    await pairDevices(desktop, phone);
    const announced = (device: TestDevice) =>
      [...presence.channels].find((c) => c.announced?.peerId === device.network().localPeerId)?.announced
        ?.rooms ?? [];
    await until(() => announced(desktop).length > 0 && announced(phone).length > 0);
    const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    const roomKey = (desktop.store.data.get('pairings') as PairedDevice[] | undefined)?.[0]?.roomKey;
    return { desktop, phone, phoneId, announced, key: fromBase64Url(roomKey ?? '') ?? KEY };
  }

  it('announces the new day’s room by itself as midnight nears, and drops the old one after', async () => {
    const clock = clockAt(MIDNIGHT - ROOM_OVERLAP_MS - 10 * MINUTE);
    const { desktop, phone, announced, key } = await pairedWithRooms(clock, clock);
    const today = await roomsAt(clock.now(), key);
    expect(announced(phone)).toEqual(today);
    expect(announced(desktop)).toEqual(today);

    await advanceInSteps(clock, 10 * MINUTE + 5_000, 5_000);
    await until(() => announced(phone).length === 2);
    const both = await roomsAt(clock.now(), key);
    expect(announced(phone)).toEqual(both);
    expect(both[0]).toEqual(today[0]);

    await advanceInSteps(clock, 2 * ROOM_OVERLAP_MS, 5_000);
    await until(() => announced(phone).length === 1);
    const tomorrow = await roomsAt(clock.now(), key);
    expect(announced(phone)).toEqual(tomorrow);
    expect(announced(desktop)).toEqual(tomorrow);
    expect(tomorrow[0]).not.toEqual(today[0]);
    expect(tomorrow[0]).toEqual(both[1]);
    // Both stayed connected all along.
    expect(desktop.engine.snapshot().devices[0]?.status).toBe('online');
    expect(phone.engine.snapshot().devices[0]?.status).toBe('online');
  });

  it('finds its paired device in the room they share while its clock is already in the next day’s', async () => {
    // The desktop is 40 minutes ahead. Ten minutes on, it enters the next day's room too, where the phone
    // is not yet: the phone is still in the room they share.
    const desktopClock = clockAt(MIDNIGHT - ROOM_OVERLAP_MS - 5 * MINUTE);
    const phoneClock = clockAt(MIDNIGHT - ROOM_OVERLAP_MS - 45 * MINUTE);
    const { desktop, phoneId, announced, phone } = await pairedWithRooms(desktopClock, phoneClock);
    expect(announced(desktop)).toHaveLength(1);
    for (let passed = 0; passed < 10 * MINUTE; passed += 5_000) {
      desktopClock.advance(5_000);
      phoneClock.advance(5_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => announced(desktop).length === 2);
    expect(announced(phone)).toHaveLength(1);
    await settle();

    // The desktop's channel broke without the phone noticing: the phone is still on the server, in the
    // room they share, so a send dials it at once instead of calling it offline.
    for (const transport of desktop.network().transports) transport.dropSilently();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    const sent = desktop.engine.sendItem(phoneId, { kind: 'text', text: 'across midnight' });
    desktopClock.advance(0);
    expect(await sent).toEqual({ delivered: true });
  });
});
