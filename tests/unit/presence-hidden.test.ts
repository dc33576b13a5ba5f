// A device with "Visible to nearby devices" turned off tells the presence service nothing it does not
// need: its announce carries its signalling id and rooms only, never its name, type or avatar. The server
// still takes announces from clients that send those fields while hidden, checks them and keeps none.

import { afterEach, describe, expect, it } from 'vitest';
import { parseClientPresenceMessage } from '../../core/protocol/presence-messages';
import {
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

const PEER_ID = '0123456789abcdef0123456789abcdef';
const ROOM = 'A'.repeat(43);

/** Waits, a macrotask at a time and at most a thousand, for a condition nothing emits an event for. */
async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000 && !condition(); turn++) await new Promise((r) => setImmediate(r));
  expect(condition()).toBe(true);
}

describe('the announce of a hidden device', () => {
  it('is valid with its id and rooms only, and is kept as just that', () => {
    const parsed = parseClientPresenceMessage(
      JSON.stringify({ type: 'announce', peerId: PEER_ID, visible: false, rooms: [ROOM, ROOM] }),
    );
    expect(parsed).toEqual({
      ok: true,
      message: { type: 'announce', peerId: PEER_ID, visible: false, rooms: [ROOM] },
    });
  });

  it('from an older client that still sends name, type and avatar is checked, then stripped of them', () => {
    const older = { type: 'announce', peerId: PEER_ID, visible: false, rooms: [] };
    expect(
      parseClientPresenceMessage(
        JSON.stringify({ ...older, name: 'Pixel 8', deviceType: 'phone', avatar: 'avatar-seed-1' }),
      ),
    ).toEqual({ ok: true, message: older });
    const bad = parseClientPresenceMessage(JSON.stringify({ ...older, name: '', deviceType: 'phone' }));
    expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('name') });
    const badType = parseClientPresenceMessage(JSON.stringify({ ...older, deviceType: 'fridge' }));
    expect(badType).toMatchObject({ ok: false, error: expect.stringContaining('deviceType') });
  });

  it('still needs name, type and avatar from a visible device, and says which field is missing', () => {
    const visible = { type: 'announce', peerId: PEER_ID, visible: true, rooms: [] };
    expect(parseClientPresenceMessage(JSON.stringify(visible))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/invalid "announce" message: name/),
    });
    const full = { ...visible, name: 'Pixel 8', deviceType: 'phone', avatar: 'avatar-seed-1' };
    expect(parseClientPresenceMessage(JSON.stringify(full))).toEqual({ ok: true, message: full });
    expect(parseClientPresenceMessage(JSON.stringify({ ...full, visible: 'no' }))).toMatchObject({
      ok: false,
    });
  });
});

describe('an engine hidden from nearby devices', () => {
  it('announces its id and rooms only, and still reconnects with its paired device', async () => {
    const hub = new MemoryHub();
    const presence = new MemoryPresenceHub();
    const desktop = await openDevice(hub, DESKTOP_UA, { presence: { hub: presence, network: 'home' } });
    const phone = await openDevice(hub, PHONE_UA, { presence: { hub: presence, network: 'home' } });
    opened.push(desktop, phone);
    await pairDevices(desktop, phone);
    const phonePeerId = phone.network().localPeerId;
    const channel = () => [...presence.channels].find((c) => c.announced?.peerId === phonePeerId);
    await until(() => (channel()?.announced?.rooms.length ?? 0) > 0);
    expect(channel()?.announced).toMatchObject({ visible: true, name: 'Android phone', deviceType: 'phone' });

    await phone.engine.setVisible(false);
    await until(() => channel()?.announced?.visible === false);
    const announced = channel()?.announced;
    expect(Object.keys(announced ?? {}).sort()).toEqual(['peerId', 'rooms', 'visible']);
    // What goes on the wire (utils/presence-socket.ts sends the announcement as is) passes the server's check.
    const wire = JSON.stringify({ type: 'announce', ...announced });
    expect(wire).not.toContain('Android phone');
    expect(parseClientPresenceMessage(wire)).toMatchObject({ ok: true });
    await waitFor(desktop.engine, (s) => s.nearby.length === 0);

    // A renamed hidden device still says nothing of its name.
    await phone.engine.setName('My secret phone');
    await new Promise((r) => setImmediate(r));
    expect(JSON.stringify(channel()?.announced)).not.toContain('secret');

    // Hidden, it still meets its paired device again after losing the connection.
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    phone.engine.reconnectNetwork();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online', 3_000);
  });
});
