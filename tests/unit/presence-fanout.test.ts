// The presence registry's fan-out to a big network: a change is sent to at most MEMBERS_PER_TURN members
// per turn of the event loop, so the process keeps relaying everyone else's signalling while thousands of
// sockets are written; and a change made while one is still being sent is told after it, to everyone, in
// the order the changes happened.

import { describe, expect, it } from 'vitest';
import { MEMBERS_PER_TURN, PresenceRegistry, type PresenceSession } from '../../server/presence-registry';

const NETWORK = 'lan-1';
const MEMBERS = MEMBERS_PER_TURN * 3 + 5;

interface Member {
  session: PresenceSession;
  /** Each message as "type id", or "nearby id,id,…" for a whole list. */
  received: string[];
}

function peerId(n: number): string {
  return n.toString(16).padStart(32, '0');
}

function join(registry: PresenceRegistry, n: number, visible: boolean): Member {
  const received: Member['received'] = [];
  const session = registry.open(NETWORK, `address-${n}`, (message) => {
    const parsed = JSON.parse(message.toString()) as {
      type: string;
      peerId?: string;
      peer?: { peerId: string };
      peers?: { peerId: string }[];
    };
    const about = parsed.peers?.map((p) => p.peerId).join(',') ?? parsed.peerId ?? parsed.peer?.peerId;
    received.push(`${parsed.type} ${about}`);
  });
  const outcome = visible
    ? registry.announce(session, {
        type: 'announce',
        peerId: peerId(n),
        visible: true,
        name: `Device ${n}`,
        deviceType: 'phone',
        avatar: `avatar-${n}-seed`,
        rooms: [],
      })
    : registry.announce(session, { type: 'announce', peerId: peerId(n), visible: false, rooms: [] });
  expect(outcome).toEqual({ ok: true });
  return { session, received };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A network of hidden devices (they hear about the listed ones and are listed to nobody). */
async function bigNetwork(): Promise<{ registry: PresenceRegistry; members: Member[] }> {
  const registry = new PresenceRegistry({ maxListedPerNetwork: 64, maxRooms: 100 });
  const members = Array.from({ length: MEMBERS }, (_, n) => join(registry, n, false));
  await nextTurn();
  for (const member of members) member.received.length = 0;
  return { registry, members };
}

describe('a change in a network bigger than one turn of sends', () => {
  it('is sent a slice per turn of the event loop, and reaches every member once', async () => {
    const { registry, members } = await bigNetwork();
    const newcomer = peerId(MEMBERS);
    join(registry, MEMBERS, true);

    const told = () => members.filter((m) => m.received.length > 0).length;
    expect(told()).toBe(MEMBERS_PER_TURN);
    await nextTurn();
    expect(told()).toBe(MEMBERS_PER_TURN * 2);
    while (told() < MEMBERS) await nextTurn();
    for (const member of members) expect(member.received).toEqual([`peer-joined ${newcomer}`]);
    registry.close();
  });

  it('made while the previous one is still being sent, is told after it to every member', async () => {
    const { registry, members } = await bigNetwork();
    const newcomer = join(registry, MEMBERS, true);
    // The first slice has heard of the newcomer, the rest not yet: it hides again.
    registry.announce(newcomer.session, {
      type: 'announce',
      peerId: peerId(MEMBERS),
      visible: false,
      rooms: [],
    });
    const last = members.at(-1);
    expect(last?.received).toEqual([]);

    while (members.some((m) => m.received.length < 2)) await nextTurn();
    for (const member of members) {
      expect(member.received).toEqual([`peer-joined ${peerId(MEMBERS)}`, `peer-left ${peerId(MEMBERS)}`]);
    }
    registry.close();
  });

  it('skips a member that left before its slice, and a newcomer meanwhile hears the list as it is now', async () => {
    const { registry, members } = await bigNetwork();
    join(registry, MEMBERS, true);
    const leaver = members.at(-1);
    if (!leaver) throw new Error('no members');
    registry.remove(leaver.session);
    const late = join(registry, MEMBERS + 1, false);
    expect(late.received).toEqual([`nearby ${peerId(MEMBERS)}`]);

    while (members.slice(0, -1).some((m) => m.received.length === 0)) await nextTurn();
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    expect(leaver.received).toEqual([]);
    expect(late.received).toHaveLength(1);
    registry.close();
  });
});
