// Integration tests of the presence service (/presence on the real server): networks grouped by client
// address (simulated with X-Forwarded-For from a trusted proxy), deltas, visibility, departures by close
// and by ping timeout, rooms across networks, id-taken, network-full, and hostile input.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/node-env';
import {
  announce,
  type Client,
  createHarness,
  type Harness,
  peerId,
  presence,
  request,
  roomId,
  roundTrip,
  within,
} from './server-harness';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterEach(async () => {
  await harness.cleanup();
});
afterAll(async () => {
  await harness.remove();
});

const PROXIED = { TRUSTED_PROXY: '127.0.0.1' };

/** Connects, announces and returns the client with the nearby list it was sent. */
async function join(
  client: Client,
  overrides: Parameters<typeof announce>[0] = {},
): Promise<{ client: Client; id: string; nearby: unknown[] }> {
  const message = announce(overrides);
  client.send(message);
  const nearby = await client.nextOf('nearby');
  return { client, id: message.peerId, nearby: nearby.peers as unknown[] };
}

function idsOf(peers: unknown[]): string[] {
  return peers.map((p) => (p as { peerId: string }).peerId).sort();
}

describe('networks', () => {
  it('shows devices on the same network to each other and keeps two networks apart', async () => {
    const server = await harness.start(PROXIED);
    const a1 = await join(await presence(harness, server, '203.0.113.5'), { name: 'Alice laptop' });
    expect(a1.nearby).toEqual([]);
    const a2 = await join(await presence(harness, server, '203.0.113.5'), {
      name: 'Alice phone',
      deviceType: 'phone',
      avatar: 'seed_Alice-2',
    });
    expect(a2.nearby).toEqual([
      { peerId: a1.id, name: 'Alice laptop', deviceType: 'phone', avatar: 'avatar-seed-1' },
    ]);
    expect((await a1.client.nextOf('peer-joined')).peer).toEqual({
      peerId: a2.id,
      name: 'Alice phone',
      deviceType: 'phone',
      avatar: 'seed_Alice-2',
    });

    const b1 = await join(await presence(harness, server, '198.51.100.7'));
    expect(b1.nearby).toEqual([]);
    expect(await a1.client.heardNo('peer-joined')).toBe(true);
    expect(await a2.client.heardNo('peer-joined')).toBe(true);
  });

  it('groups IPv6 clients by /64, private addresses into one local network, and mapped IPv4 as IPv4', async () => {
    const server = await harness.start(PROXIED);
    const v6a = await join(await presence(harness, server, '2001:db8:1:2::a'));
    const v6b = await join(await presence(harness, server, '2001:db8:1:2:ffff::b'));
    const v6other = await join(await presence(harness, server, '2001:db8:1:3::a'));
    expect(idsOf(v6b.nearby)).toEqual([v6a.id]);
    expect(v6other.nearby).toEqual([]);

    const lan1 = await join(await presence(harness, server, '192.168.1.20'));
    const lan2 = await join(await presence(harness, server, '10.4.0.7'));
    const lan3 = await join(await presence(harness, server, 'fd12:3456::1'));
    expect(idsOf(lan2.nearby)).toEqual([lan1.id]);
    expect(idsOf(lan3.nearby)).toEqual([lan1.id, lan2.id].sort());

    const v4 = await join(await presence(harness, server, '198.51.100.44'));
    const mapped = await join(await presence(harness, server, '::ffff:198.51.100.44'));
    expect(idsOf(mapped.nearby)).toEqual([v4.id]);
  });

  it('ignores X-Forwarded-For unless the connection comes from a trusted proxy', async () => {
    const untrusted = await harness.start();
    const x = await join(await presence(harness, untrusted, '203.0.113.5'));
    const y = await join(await presence(harness, untrusted, '198.51.100.7'));
    // Both are really 127.0.0.1, so both are on the local network.
    expect(idsOf(y.nearby)).toEqual([x.id]);

    const otherProxy = await harness.start({ TRUSTED_PROXY: '10.0.0.1' });
    const p = await join(await presence(harness, otherProxy, '203.0.113.5'));
    const q = await join(await presence(harness, otherProxy, '198.51.100.7'));
    expect(idsOf(q.nearby)).toEqual([p.id]);
  });

  it('takes the right-most untrusted X-Forwarded-For entry, so a client cannot pick its network', async () => {
    const server = await harness.start({ TRUSTED_PROXY: '127.0.0.1, 192.0.2.0/24' });
    const victim = await join(await presence(harness, server, '203.0.113.5'));
    // The client wrote the left entry itself; the proxy appended the real address.
    const spoofer = await join(await presence(harness, server, '203.0.113.5, 198.51.100.9'));
    expect(spoofer.nearby).toEqual([]);
    // Hops through a trusted proxy (192.0.2.x) are skipped.
    const behindTwo = await join(await presence(harness, server, '203.0.113.5, 192.0.2.10'));
    expect(idsOf(behindTwo.nearby)).toEqual([victim.id]);
  });
});

describe('departures', () => {
  it('removes a device as soon as its socket closes', async () => {
    const server = await harness.start();
    const a = await join(await presence(harness, server));
    const b = await join(await presence(harness, server));
    await a.client.nextOf('peer-joined');
    const started = Date.now();
    b.client.ws.close();
    expect((await a.client.nextOf('peer-left', 2_000)).peerId).toBe(b.id);
    expect(Date.now() - started).toBeLessThan(1_000);
    const c = await join(await presence(harness, server));
    expect(idsOf(c.nearby)).toEqual([a.id]);
  });

  it('drops a device that stops answering pings after the timeout, not before, and keeps one that answers', async () => {
    // The default timing (a ping every 5 s, dropped after 12 s of silence) on a clock the test moves.
    const clock = new ManualClock();
    const server = await harness.start({}, { clock });
    const a = await join(await presence(harness, server));
    const silent = await join(await presence(harness, server, undefined, { autoPong: false }));
    await a.client.nextOf('peer-joined');
    const live = [a.client, silent.client];
    /** A second of time passes, and both sides have handled what it set off (pings, pongs, closes). */
    const tick = async (clients: Client[]): Promise<void> => {
      clock.advance(1_000);
      await Promise.all(clients.map((c) => roundTrip(c.ws)));
    };

    // 11 s of silence: pinged twice, still listed (sockets are checked a few times a second).
    for (let s = 0; s < 11; s++) await tick(live);
    expect(a.client.received.filter((m) => m.type === 'peer-left')).toEqual([]);
    expect(silent.client.ws.readyState).toBe(silent.client.ws.OPEN);
    expect(server.stats().presenceTimedOut).toBe(0);

    // Past 12 s it is dropped.
    clock.advance(2_000);
    expect((await a.client.nextOf('peer-left')).peerId).toBe(silent.id);
    expect((await within(silent.client.closed, 'closing the silent socket')).code).toBe(1006);
    expect(server.stats().presenceTimedOut).toBe(1);

    // The one that answers stays through many timeouts' worth of time.
    for (let s = 0; s < 60; s++) await tick([a.client]);
    expect(a.client.ws.readyState).toBe(a.client.ws.OPEN);
    expect(server.stats().presenceTimedOut).toBe(1);
  });

  it('with the default timing, a silent device vanishes within about 12 seconds', async () => {
    const server = await harness.start();
    const a = await join(await presence(harness, server));
    const silent = await join(await presence(harness, server, undefined, { autoPong: false }));
    await a.client.nextOf('peer-joined');
    const started = Date.now();
    expect((await a.client.nextOf('peer-left', 16_000)).peerId).toBe(silent.id);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(10_000);
    expect(elapsed).toBeLessThan(14_000);
    expect(a.client.ws.readyState).toBe(a.client.ws.OPEN);
  }, 30_000);
});

describe('announcements', () => {
  it('hides a device that turns visibility off, and it still sees the others', async () => {
    const server = await harness.start();
    const a = await join(await presence(harness, server));
    const b = await join(await presence(harness, server));
    await a.client.nextOf('peer-joined');

    b.client.send(announce({ peerId: b.id, visible: false }));
    expect((await a.client.nextOf('peer-left')).peerId).toBe(b.id);

    const c = await join(await presence(harness, server));
    expect(idsOf(c.nearby)).toEqual([a.id]);
    expect((await a.client.nextOf('peer-joined')).peer).toMatchObject({ peerId: c.id });
    expect((await b.client.nextOf('peer-joined')).peer).toMatchObject({ peerId: c.id });

    // A device that starts hidden still gets the list, and nobody hears of it.
    const hidden = await join(await presence(harness, server), { visible: false });
    expect(idsOf(hidden.nearby)).toEqual([a.id, c.id].sort());
    expect(await a.client.heardNo('peer-joined')).toBe(true);

    b.client.send(announce({ peerId: b.id, visible: true }));
    expect((await a.client.nextOf('peer-joined')).peer).toMatchObject({ peerId: b.id });
    expect((await hidden.client.nextOf('peer-joined')).peer).toMatchObject({ peerId: b.id });
  });

  it("takes a hidden device's announce of its id and rooms alone: its rooms work and nobody hears of it", async () => {
    const server = await harness.start();
    const seen = await join(await presence(harness, server));
    const room = roomId();
    const hiddenId = peerId();
    const hidden = await presence(harness, server);
    hidden.send({ type: 'announce', peerId: hiddenId, visible: false, rooms: [room] });
    expect(idsOf((await hidden.nextOf('nearby')).peers as unknown[])).toEqual([seen.id]);
    expect(await hidden.nextOf('room')).toEqual({ type: 'room', room, peerIds: [] });
    expect(hidden.received.some((m) => m.type === 'error')).toBe(false);

    const paired = await join(await presence(harness, server), { rooms: [room], visible: false });
    expect(await hidden.nextOf('room')).toEqual({ type: 'room', room, peerIds: [paired.id] });
    expect(await seen.client.heardNo('peer-joined')).toBe(true);

    // Turning visible needs the description again, and then the others hear of it.
    hidden.send({ type: 'announce', peerId: hiddenId, visible: true, rooms: [room] });
    expect((await hidden.nextOf('error')).code).toBe('bad-message');
    hidden.send(announce({ peerId: hiddenId, name: 'Now visible', rooms: [room] }));
    expect((await seen.client.nextOf('peer-joined')).peer).toMatchObject({
      peerId: hiddenId,
      name: 'Now visible',
    });
  });

  it('sends peer-updated for a new name or avatar, peer-left and peer-joined for a new peer id', async () => {
    const server = await harness.start();
    const a = await join(await presence(harness, server));
    const b = await join(await presence(harness, server), { name: 'Old name' });
    await a.client.nextOf('peer-joined');

    b.client.send(announce({ peerId: b.id, name: '  New\u202e name\u0000 ', avatar: 'new-avatar' }));
    expect((await a.client.nextOf('peer-updated')).peer).toEqual({
      peerId: b.id,
      name: 'New name',
      deviceType: 'phone',
      avatar: 'new-avatar',
    });

    const fresh = peerId();
    b.client.send(announce({ peerId: fresh, name: 'New name', avatar: 'new-avatar' }));
    expect((await a.client.nextOf('peer-left')).peerId).toBe(b.id);
    expect((await a.client.nextOf('peer-joined')).peer).toMatchObject({ peerId: fresh });

    // The same announce again changes nothing, so nobody is told anything.
    b.client.send(announce({ peerId: fresh, name: 'New name', avatar: 'new-avatar' }));
    expect(await a.client.heardNo('peer-updated', [b.client.ws])).toBe(true);
  });

  it('refuses a peer id another live socket announced, until that socket is gone', async () => {
    const server = await harness.start();
    const owner = await join(await presence(harness, server));
    const watcher = await join(await presence(harness, server));
    await owner.client.nextOf('peer-joined');

    const squatter = await presence(harness, server);
    squatter.send(announce({ peerId: owner.id, name: 'Squatter' }));
    expect(await squatter.nextOf('error')).toMatchObject({ type: 'error', code: 'id-taken' });
    expect(await watcher.client.heardNo('peer-updated')).toBe(true);
    expect(await watcher.client.heardNo('peer-joined')).toBe(true);

    owner.client.ws.close();
    expect((await watcher.client.nextOf('peer-left')).peerId).toBe(owner.id);
    squatter.send(announce({ peerId: owner.id, name: 'Next owner' }));
    await squatter.nextOf('nearby');
    expect((await watcher.client.nextOf('peer-joined')).peer).toMatchObject({ name: 'Next owner' });
  });

  it('checks a contested id at once: a silent holder is dropped within seconds, a live one stays', async () => {
    const clock = new ManualClock();
    const server = await harness.start({}, { clock });
    const watcher = await join(await presence(harness, server));
    // The same device's previous connection, gone silent (its pongs no longer arrive).
    const stale = await join(await presence(harness, server, undefined, { autoPong: false }));
    await watcher.client.nextOf('peer-joined');
    // It last answered a while ago.
    clock.advance(1_000);
    await roundTrip(watcher.client.ws);

    const reconnected = await presence(harness, server);
    reconnected.send(announce({ peerId: stale.id }));
    expect(await reconnected.nextOf('error')).toMatchObject({ code: 'id-taken' });
    // Probed at once, and given 3 s to answer: still there after 2 s...
    clock.advance(2_000);
    await roundTrip(stale.client.ws);
    await roundTrip(watcher.client.ws);
    expect(watcher.client.received.filter((m) => m.type === 'peer-left')).toEqual([]);
    // ...gone after 4 s, far sooner than the 12 s a silent socket otherwise has.
    clock.advance(2_000);
    expect((await watcher.client.nextOf('peer-left')).peerId).toBe(stale.id);
    expect(server.stats().presenceTimedOut).toBe(1);
    reconnected.send(announce({ peerId: stale.id, name: 'Back again' }));
    await reconnected.nextOf('nearby');
    expect((await watcher.client.nextOf('peer-joined')).peer).toMatchObject({
      peerId: stale.id,
      name: 'Back again',
    });

    // A holder that answers keeps its id, well past the time the probe gives it.
    const squatter = await presence(harness, server);
    squatter.send(announce({ peerId: watcher.id }));
    expect(await squatter.nextOf('error')).toMatchObject({ code: 'id-taken' });
    await roundTrip(watcher.client.ws);
    for (let s = 0; s < 8; s++) {
      clock.advance(1_000);
      await Promise.all([roundTrip(watcher.client.ws), roundTrip(reconnected.ws)]);
    }
    expect(watcher.client.ws.readyState).toBe(watcher.client.ws.OPEN);
    expect(server.stats().presenceTimedOut).toBe(1);
    squatter.send(announce({ peerId: watcher.id }));
    expect(await squatter.nextOf('error')).toMatchObject({ code: 'id-taken' });
  });

  it('answers network-full beyond MAX_PRESENCE_PER_NETWORK, and lists the newcomer when a place frees', async () => {
    const server = await harness.start({ MAX_PRESENCE_PER_NETWORK: '2' });
    const a = await join(await presence(harness, server));
    const b = await join(await presence(harness, server));
    await a.client.nextOf('peer-joined');

    const room = roomId();
    const c = await presence(harness, server);
    const cAnnounce = announce({ rooms: [room] });
    c.send(cAnnounce);
    expect(await c.nextOf('error')).toMatchObject({ code: 'network-full' });
    expect(idsOf((await c.nextOf('nearby')).peers as unknown[])).toEqual([a.id, b.id].sort());
    expect(await a.client.heardNo('peer-joined')).toBe(true);

    // Rooms still work for the unlisted device.
    a.client.send(announce({ peerId: a.id, rooms: [room] }));
    expect(await a.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [cAnnounce.peerId] });

    b.client.ws.close();
    expect((await a.client.nextOf('peer-left')).peerId).toBe(b.id);
    expect((await a.client.nextOf('peer-joined')).peer).toMatchObject({ peerId: cAnnounce.peerId });
  });
});

describe('rooms', () => {
  it('tells room members each other’s current peer ids, across networks and whatever their visibility', async () => {
    const server = await harness.start(PROXIED);
    const room = roomId();
    const other = roomId();
    const desktop = await join(await presence(harness, server, '203.0.113.5'), {
      rooms: [room, other],
      visible: false,
    });
    expect(await desktop.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [] });
    expect(await desktop.client.nextOf('room')).toEqual({ type: 'room', room: other, peerIds: [] });

    const phone = await join(await presence(harness, server, '198.51.100.7'), { rooms: [room] });
    expect(phone.nearby).toEqual([]);
    expect(await phone.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [desktop.id] });
    expect(await desktop.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [phone.id] });

    // A new signalling id reaches the other member.
    const renewed = peerId();
    phone.client.send(announce({ peerId: renewed, rooms: [room] }));
    expect(await desktop.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [renewed] });

    // Leaving the room (by announce, then by closing) is reported too.
    phone.client.send(announce({ peerId: renewed, rooms: [] }));
    expect(await desktop.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [] });
    phone.client.send(announce({ peerId: renewed, rooms: [room, room] }));
    expect(await desktop.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [renewed] });
    phone.client.ws.close();
    expect(await desktop.client.nextOf('room')).toEqual({ type: 'room', room, peerIds: [] });
    // A member of one room hears nothing about another.
    expect(desktop.client.received.filter((m) => m.type === 'room' && m.room === other)).toHaveLength(1);
  });

  it('holds at most 16 members in a room; the 17th still learns the members but is not announced', async () => {
    const server = await harness.start({ MAX_CONNECTIONS_PER_ADDRESS: '100' });
    const room = roomId();
    const members: { client: Client; id: string }[] = [];
    for (let i = 0; i < 16; i++) members.push(await join(await presence(harness, server), { rooms: [room] }));
    const first = members[0] as { client: Client; id: string };
    // The first member heard of each of the 15 others joining.
    for (let i = 0; i < 16; i++) await first.client.nextOf('room');
    const latest = first.client.received.filter((m) => m.type === 'room').at(-1);
    expect(latest?.peerIds).toHaveLength(15);

    const extra = await join(await presence(harness, server), { rooms: [room] });
    const seen = await extra.client.nextOf('room');
    expect((seen.peerIds as string[]).sort()).toEqual(members.map((m) => m.id).sort());
    expect(await first.client.heardNo('room')).toBe(true);
  });
});

describe('hostile input', () => {
  it('answers malformed and oversized messages with errors while other clients keep working', async () => {
    const server = await harness.start();
    const good = await join(await presence(harness, server));
    let bad = await presence(harness, server);
    let sent = 0;

    const cases: [unknown, RegExp][] = [
      ['not json {', /not valid JSON/],
      ['[1,2]', /not a JSON object/],
      [{ type: 'hello' }, /unknown message type "hello"/],
      [{ ...announce(), peerId: 'ABCDEF' }, /peerId: must be 32 lowercase hexadecimal/],
      [{ ...announce(), rooms: ['short'] }, /rooms\.0: must be 43 base64url/],
      [
        { ...announce(), rooms: Array.from({ length: 65 }, roomId) },
        /larger than|rooms: must hold at most 64/,
      ],
      [{ ...announce(), deviceType: 'fridge' }, /deviceType/],
      [{ ...announce(), name: '' }, /name: must be 1 to 64 characters/],
      [{ ...announce(), avatar: 'x' }, /avatar: must be 8 to 32/],
      [{ ...announce(), visible: 'yes' }, /visible/],
      [{ ...announce(), name: 'x'.repeat(5000) }, /larger than the 4096-byte limit/],
    ];
    for (const [message, expected] of cases) {
      // Ten invalid messages a minute are tolerated; a fresh socket keeps this test under that.
      if (sent++ === 8) bad = await presence(harness, server);
      bad.send(message);
      const error = await bad.nextOf('error');
      expect(error.code, String(expected)).toBe('bad-message');
      expect(error.message).toMatch(expected);
    }
    bad.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await bad.nextOf('error')).message).toMatch(/binary/);

    // Nothing of that reached the well-behaved client, and the server still serves everybody.
    expect(good.client.received.filter((m) => m.type !== 'nearby')).toEqual([]);
    expect((await request(`${server.httpUrl}/health`)).status).toBe(200);
    const late = await join(await presence(harness, server));
    expect(idsOf(late.nearby)).toEqual([good.id]);
    expect((await good.client.nextOf('peer-joined')).peer).toMatchObject({ peerId: late.id });
  });

  it('disconnects a client that keeps sending garbage (1008) and one that sends a huge frame (1009)', async () => {
    const server = await harness.start();
    const good = await join(await presence(harness, server));
    const garbage = await presence(harness, server);
    for (let i = 0; i < 12; i++) garbage.send(`garbage ${i}`);
    expect((await within(garbage.closed, 'closing the garbage sender')).code).toBe(1008);

    const huge = await presence(harness, server);
    huge.send('x'.repeat(64 * 1024));
    expect((await within(huge.closed, 'closing the huge sender')).code).toBe(1009);

    expect(good.client.ws.readyState).toBe(good.client.ws.OPEN);
    const late = await join(await presence(harness, server));
    expect(idsOf(late.nearby)).toEqual([good.id]);
  });

  it('rate-limits announces per socket, recovers after the window, and disconnects a flood', async () => {
    const clock = new ManualClock();
    const server = await harness.start({ MESSAGE_RATE: '5', MESSAGE_BURST: '5' }, { clock });
    const watcher = await join(await presence(harness, server));
    const chatty = await join(await presence(harness, server));
    await watcher.client.nextOf('peer-joined');
    const names = (): string[] =>
      watcher.client.received
        .filter((m) => m.type === 'peer-updated')
        .map((m) => (m.peer as { name: string }).name);
    /** Everything chatty sent has been handled, and what it set off has reached the watcher. */
    const settle = async (): Promise<void> => {
      await roundTrip(chatty.client.ws);
      await roundTrip(watcher.client.ws);
    };

    // Time stands still: the burst (5, one of them spent on the first announce) goes through in order,
    // the rest is dropped and the sender told so once.
    for (let i = 0; i < 8; i++) chatty.client.send(announce({ peerId: chatty.id, name: `Name ${i}` }));
    expect(await chatty.client.nextOf('error')).toMatchObject({ code: 'rate-limited' });
    await settle();
    expect(names()).toEqual(['Name 0', 'Name 1', 'Name 2', 'Name 3']);
    expect(chatty.client.received.filter((m) => m.type === 'error')).toHaveLength(1);

    // Not yet one announce's worth after 100 ms; after the window, again.
    clock.advance(100);
    chatty.client.send(announce({ peerId: chatty.id, name: 'Too early' }));
    await settle();
    expect(names()).toEqual(['Name 0', 'Name 1', 'Name 2', 'Name 3']);
    clock.advance(900);
    chatty.client.send(announce({ peerId: chatty.id, name: 'After the window' }));
    await watcher.client.seen(
      (m) => (m.peer as { name?: string } | undefined)?.name === 'After the window',
      'the announce after the window',
    );
    expect(names()).toEqual(['Name 0', 'Name 1', 'Name 2', 'Name 3', 'After the window']);

    for (let i = 0; i < 100; i++) chatty.client.send(announce({ peerId: chatty.id }));
    expect((await within(chatty.client.closed, 'closing the flooding socket')).code).toBe(1008);
    expect(watcher.client.ws.readyState).toBe(watcher.client.ws.OPEN);
  });
});
