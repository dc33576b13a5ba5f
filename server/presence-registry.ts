// The presence state, in memory only: which announced devices share a network, which of them are listed
// to the others, which rooms exist and who is in them. It turns each announce or departure into the
// messages every affected device must receive (docs/PROTOCOL.md, "Presence"). It knows nothing about
// sockets: a session is anything that can take a text message.
//
// Two things keep one big network (a campus LAN: every device behind one address is in it) from stalling
// the process. Changes to a network's list are not sent one by one: the network is marked changed and
// flushed as the difference between what its members were last told and what is listed now, so a device
// that turns visible and hidden fifty times costs its network at most one message per flush. And each
// network has a fan-out budget in bytes (a token bucket: a burst, refilled per second). While it lasts, a
// change is flushed at once, so small networks see every change as it happens; once a flush overdraws it,
// the next one waits until the budget has been earned back, so a churning network of thousands delays
// its own updates, not everyone else's. A flush whose deltas would cost more than the whole list sends
// each member one `nearby` list instead. And a flush to more than MEMBERS_PER_TURN members is sent a slice
// per turn of the event loop, so the signalling relayed meanwhile for everyone else is not held up for the
// tens of milliseconds that thousands of socket writes take; a change made meanwhile waits for the end of
// it, so every member hears the changes in the order they happened.
//
// Listing is fair between client addresses: while a network is full, a device from an address with fewer
// listed devices than the address holding the most takes the latter's most recently listed place, and a
// place that frees goes to a waiting device of the least represented address. One address cannot keep a
// whole network's list to itself; devices behind one address (one router) are first come, first served.

import {
  type AnnounceMessage,
  MAX_ROOM_MEMBERS,
  type PresenceErrorCode,
  type PresencePeer,
  type ServerPresenceMessage,
} from '../core/protocol/presence-messages';

export interface PresenceLimits {
  /** Devices listed per network; later ones wait, unlisted, for a free place. */
  maxListedPerNetwork: number;
  /** Rooms in existence at once; joining a new room beyond that is answered with an empty member list. */
  maxRooms: number;
  /** Bytes per second the list updates of one network may cost (summed over its members). */
  fanoutBytesPerS?: number;
}

/**
 * Per network: 4 MiB/s of list updates, where each message also counts MESSAGE_COST_BYTES: sending a
 * message to a socket is a system call, and those, not the bytes, are what a flush to thousands costs.
 * A 10-device network's update costs about 20 KB, so small networks never wait; one of 1,400 devices can
 * be told of a change about once a second, or of a whole new list of 64 every two seconds.
 */
export const DEFAULT_FANOUT_BYTES_PER_S = 4 * 1024 * 1024;
const MESSAGE_COST_BYTES = 2048;
/** Up to this many changes always go out as deltas (a new peer id is two), as they happened. */
const MAX_DELTAS_PER_FLUSH = 4;
/** What a network may spend at once: a change told to about 500 devices. */
const FANOUT_BURST_BYTES = 1024 * 1024;
/** Members a flush sends to before it lets the event loop run other work (about 2 ms of socket writes). */
export const MEMBERS_PER_TURN = 128;
/** Waiting addresses looked at when a place frees: enough to find the least represented in practice. */
const MAX_ADDRESSES_SCANNED = 64;

export type SendFn = (message: string | Buffer) => void;

/** A hidden device is listed to nobody: its id is all that is kept (and all it sends). */
type HiddenPeer = Pick<PresencePeer, 'peerId'>;

export class PresenceSession {
  /** Undefined until the first accepted announce; until then the session is in no network or room. */
  peer: PresencePeer | HiddenPeer | undefined;
  visible = false;
  listed = false;
  /** Told network-full since it was last listed: a device that keeps turning visible hears it once. */
  toldFull = false;
  readonly rooms = new Set<string>();

  constructor(
    readonly networkKey: string,
    /** The client address the session's socket came from (per-address share of the listing). */
    readonly addressKey: string,
    readonly send: SendFn,
  ) {}
}

interface Published {
  readonly peer: PresencePeer;
  readonly session: PresenceSession;
}

interface Network {
  /** Every announced session, listed or not: all of them hear about the listed ones. */
  readonly members: Set<PresenceSession>;
  /** Listed sessions, in the order they were listed. */
  readonly listed: Set<PresenceSession>;
  readonly listedByAddress: Map<string, number>;
  /** Sessions that want to be listed but found the network full, by address, each first come first served. */
  readonly waiting: Map<string, Set<PresenceSession>>;
  /** The listed devices as the members were last told them. */
  published: Map<string, Published>;
  /** `nearby` with every published device, encoded once for all newcomers. */
  publishedText: string | undefined;
  flushTimer: NodeJS.Timeout | undefined;
  /** A flush still being sent, slice by slice; `cancel` stops it (shutdown). */
  delivery: { cancel: () => void } | undefined;
  /** The list changed while a flush was being sent: flushed again when it is done. */
  changedMeanwhile: boolean;
  /** The fan-out budget in bytes (negative after an expensive flush), as of `budgetAt` (performance.now()). */
  budget: number;
  budgetAt: number;
}

/** On id-taken, `holder` is the session that has the id (it may be a dead connection of the same device). */
export type AnnounceOutcome = { ok: true } | { ok: false; holder: PresenceSession };

export class PresenceRegistry {
  readonly #networks = new Map<string, Network>();
  readonly #rooms = new Map<string, Set<PresenceSession>>();
  readonly #byPeerId = new Map<string, PresenceSession>();
  readonly #limits: PresenceLimits;
  readonly #fanoutBytesPerMs: number;
  /** Messages and bytes of list updates sent, since the server started. */
  readonly counters = { listMessages: 0, listBytes: 0, flushes: 0 };

  constructor(limits: PresenceLimits) {
    this.#limits = limits;
    this.#fanoutBytesPerMs = (limits.fanoutBytesPerS ?? DEFAULT_FANOUT_BYTES_PER_S) / 1000;
  }

  get stats(): { networks: number; announced: number; rooms: number } {
    return { networks: this.#networks.size, announced: this.#byPeerId.size, rooms: this.#rooms.size };
  }

  open(networkKey: string, addressKey: string, send: SendFn): PresenceSession {
    return new PresenceSession(networkKey, addressKey, send);
  }

  /** Applies an announce: a full replacement of what the session said before. */
  announce(session: PresenceSession, announce: AnnounceMessage): AnnounceOutcome {
    const holder = this.#byPeerId.get(announce.peerId);
    if (holder && holder !== session) {
      session.send(
        errorText(
          'id-taken',
          'Another connection announced this peer id; this announce was ignored. If that connection was ' +
            "this device's own earlier one, it is checked and dropped within seconds: announce again.",
        ),
      );
      return { ok: false, holder };
    }
    const previous = session.peer;
    const peer: PresencePeer | HiddenPeer = announce.visible
      ? {
          peerId: announce.peerId,
          name: announce.name,
          deviceType: announce.deviceType,
          avatar: announce.avatar,
        }
      : { peerId: announce.peerId };
    if (previous && previous.peerId !== peer.peerId) this.#byPeerId.delete(previous.peerId);
    this.#byPeerId.set(peer.peerId, session);
    session.peer = peer;

    const network = this.#networkOf(session);
    const first = !network.members.has(session);
    network.members.add(session);
    this.#updateListing(network, session, previous, announce.visible);
    // A newcomer gets what the others were last told (without itself); a flush that is still due brings it
    // up to date with them.
    if (first) {
      session.send(session.listed ? nearbyText(network.published, session) : this.#publishedText(network));
    }
    this.#updateRooms(session, previous?.peerId, announce.rooms);
    return { ok: true };
  }

  /** The session's socket closed: it vanishes from its network and its rooms at once. */
  remove(session: PresenceSession): void {
    const peer = session.peer;
    if (!peer) return;
    const network = this.#networks.get(session.networkKey);
    if (network) {
      network.members.delete(session);
      this.#stopWaiting(network, session);
      if (session.listed) this.#unlist(network, session);
      if (network.members.size === 0) {
        clearTimeout(network.flushTimer);
        network.delivery?.cancel();
        this.#networks.delete(session.networkKey);
      }
    }
    if (this.#byPeerId.get(peer.peerId) === session) this.#byPeerId.delete(peer.peerId);
    for (const room of session.rooms) this.#leaveRoom(room, session);
    session.rooms.clear();
    session.peer = undefined;
  }

  /** Stops the flush timers and the flushes being sent (server shutdown). */
  close(): void {
    for (const network of this.#networks.values()) {
      clearTimeout(network.flushTimer);
      network.delivery?.cancel();
    }
  }

  #networkOf(session: PresenceSession): Network {
    let network = this.#networks.get(session.networkKey);
    if (!network) {
      network = {
        members: new Set(),
        listed: new Set(),
        listedByAddress: new Map(),
        waiting: new Map(),
        published: new Map(),
        publishedText: undefined,
        flushTimer: undefined,
        delivery: undefined,
        changedMeanwhile: false,
        budget: FANOUT_BURST_BYTES,
        budgetAt: performance.now(),
      };
      this.#networks.set(session.networkKey, network);
    }
    return network;
  }

  #updateListing(
    network: Network,
    session: PresenceSession,
    previous: PresencePeer | HiddenPeer | undefined,
    visible: boolean,
  ): void {
    const peer = session.peer as PresencePeer;
    session.visible = visible;
    if (session.listed) {
      if (!visible) {
        this.#unlist(network, session);
      } else if (
        !previous ||
        !('name' in previous) ||
        previous.peerId !== peer.peerId ||
        previous.name !== peer.name ||
        previous.deviceType !== peer.deviceType ||
        previous.avatar !== peer.avatar
      ) {
        this.#changed(network);
      }
      return;
    }
    if (!visible) {
      this.#stopWaiting(network, session);
      return;
    }
    if (this.#isWaiting(network, session)) return;
    if (network.listed.size < this.#limits.maxListedPerNetwork) {
      this.#list(network, session);
      return;
    }
    const evicted = this.#overRepresented(network, session.addressKey);
    if (evicted) {
      this.#delist(network, evicted);
      this.#wait(network, evicted);
      this.#list(network, session);
      return;
    }
    this.#wait(network, session);
  }

  /** The most recently listed session of the address with the most places, if it has two more than `address`. */
  #overRepresented(network: Network, address: string): PresenceSession | undefined {
    const mine = network.listedByAddress.get(address) ?? 0;
    let top: string | undefined;
    let most = mine + 1;
    for (const [key, count] of network.listedByAddress) {
      if (count > most) {
        most = count;
        top = key;
      }
    }
    if (top === undefined) return undefined;
    let latest: PresenceSession | undefined;
    for (const listed of network.listed) if (listed.addressKey === top) latest = listed;
    return latest;
  }

  #wait(network: Network, session: PresenceSession): void {
    let queue = network.waiting.get(session.addressKey);
    if (!queue) {
      queue = new Set();
      network.waiting.set(session.addressKey, queue);
    }
    queue.add(session);
    if (session.toldFull) return;
    session.toldFull = true;
    session.send(
      errorText(
        'network-full',
        `This network already lists ${this.#limits.maxListedPerNetwork} devices: this device is not shown ` +
          'to others until a place frees. Rooms still work.',
      ),
    );
  }

  #isWaiting(network: Network, session: PresenceSession): boolean {
    return network.waiting.get(session.addressKey)?.has(session) ?? false;
  }

  #stopWaiting(network: Network, session: PresenceSession): void {
    const queue = network.waiting.get(session.addressKey);
    if (!queue?.delete(session)) return;
    if (queue.size === 0) network.waiting.delete(session.addressKey);
  }

  #list(network: Network, session: PresenceSession): void {
    network.listed.add(session);
    session.listed = true;
    session.toldFull = false;
    const address = session.addressKey;
    network.listedByAddress.set(address, (network.listedByAddress.get(address) ?? 0) + 1);
    this.#changed(network);
  }

  /** Takes a session off the list without filling its place. */
  #delist(network: Network, session: PresenceSession): void {
    network.listed.delete(session);
    session.listed = false;
    const address = session.addressKey;
    const left = (network.listedByAddress.get(address) ?? 1) - 1;
    if (left <= 0) network.listedByAddress.delete(address);
    else network.listedByAddress.set(address, left);
    this.#changed(network);
  }

  #unlist(network: Network, session: PresenceSession): void {
    this.#delist(network, session);
    // A place came free: the longest-waiting device of the least represented address takes it.
    while (network.listed.size < this.#limits.maxListedPerNetwork && network.waiting.size > 0) {
      const next = this.#nextWaiting(network);
      if (!next) break;
      this.#stopWaiting(network, next);
      this.#list(network, next);
    }
  }

  #nextWaiting(network: Network): PresenceSession | undefined {
    let best: Set<PresenceSession> | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    let scanned = 0;
    for (const [address, queue] of network.waiting) {
      const count = network.listedByAddress.get(address) ?? 0;
      if (count < fewest) {
        fewest = count;
        best = queue;
        if (count === 0) break;
      }
      if (++scanned >= MAX_ADDRESSES_SCANNED) break;
    }
    return best?.values().next().value;
  }

  /** The network's list changed: flushed now while its fan-out budget lasts, else once it is earned back. */
  #changed(network: Network): void {
    if (network.delivery) {
      network.changedMeanwhile = true;
      return;
    }
    if (network.flushTimer !== undefined) return;
    const now = performance.now();
    network.budget = Math.min(
      FANOUT_BURST_BYTES,
      network.budget + (now - network.budgetAt) * this.#fanoutBytesPerMs,
    );
    network.budgetAt = now;
    if (network.budget > 0) {
      this.#flush(network);
      return;
    }
    network.flushTimer = setTimeout(() => {
      network.flushTimer = undefined;
      this.#flush(network);
    }, -network.budget / this.#fanoutBytesPerMs);
    network.flushTimer.unref();
  }

  #flush(network: Network): void {
    const current = new Map<string, Published>();
    for (const session of network.listed) {
      const peer = session.peer as PresencePeer;
      current.set(peer.peerId, { peer, session });
    }
    const changes: { encoded: Buffer; about: PresenceSession }[] = [];
    for (const [peerId, was] of network.published) {
      if (!current.has(peerId)) changes.push(change({ type: 'peer-left', peerId }, was.session));
    }
    for (const [peerId, now] of current) {
      const was = network.published.get(peerId);
      if (!was) changes.push(change({ type: 'peer-joined', peer: now.peer }, now.session));
      else if (!samePeer(was.peer, now.peer)) {
        changes.push(change({ type: 'peer-updated', peer: now.peer }, now.session));
      }
    }
    network.published = current;
    network.publishedText = undefined;
    if (changes.length === 0) return;

    // Deltas, unless one list costs less than all the deltas (many changes piled up meanwhile).
    const everyone = Buffer.from(this.#publishedText(network));
    const deltaCost = changes.reduce((sum, c) => sum + c.encoded.length + MESSAGE_COST_BYTES, 0);
    const asDeltas =
      changes.length <= MAX_DELTAS_PER_FLUSH || deltaCost <= everyone.length + MESSAGE_COST_BYTES;
    let bytes = 0;
    let messages = 0;
    const tell = (member: PresenceSession): void => {
      if (asDeltas) {
        for (const { encoded, about } of changes) {
          if (about === member) continue;
          member.send(encoded);
          bytes += encoded.length;
          messages++;
        }
        return;
      }
      // One list for everyone who is not on it, and one without itself for each device that is.
      const encoded = member.listed ? Buffer.from(nearbyText(current, member)) : everyone;
      member.send(encoded);
      bytes += encoded.length;
      messages++;
    };
    const done = (): void => {
      network.delivery = undefined;
      this.counters.flushes++;
      this.counters.listMessages += messages;
      this.counters.listBytes += bytes;
      const now = performance.now();
      network.budget +=
        (now - network.budgetAt) * this.#fanoutBytesPerMs - bytes - messages * MESSAGE_COST_BYTES;
      network.budget = Math.min(FANOUT_BURST_BYTES, network.budget);
      network.budgetAt = now;
      if (network.changedMeanwhile) {
        network.changedMeanwhile = false;
        this.#changed(network);
      }
    };
    // Who is a member now is who hears this flush: a later newcomer got the new list when it announced,
    // and one that left meanwhile is skipped.
    const recipients = [...network.members];
    let next = 0;
    const sendSlice = (): void => {
      const end = Math.min(recipients.length, next + MEMBERS_PER_TURN);
      for (; next < end; next++) {
        const member = recipients[next];
        if (member && network.members.has(member)) tell(member);
      }
      if (next < recipients.length) {
        const immediate = setImmediate(sendSlice);
        network.delivery = { cancel: () => clearImmediate(immediate) };
      } else {
        done();
      }
    };
    sendSlice();
  }

  #publishedText(network: Network): string {
    network.publishedText ??= nearbyText(network.published, undefined);
    return network.publishedText;
  }

  #updateRooms(session: PresenceSession, previousPeerId: string | undefined, rooms: readonly string[]): void {
    const wanted = new Set(rooms);
    for (const room of session.rooms) {
      if (wanted.has(room)) continue;
      session.rooms.delete(room);
      this.#leaveRoom(room, session);
    }
    const idChanged = previousPeerId !== undefined && previousPeerId !== session.peer?.peerId;
    for (const room of wanted) {
      if (!session.rooms.has(room)) {
        this.#joinRoom(room, session);
      } else if (idChanged) {
        const members = this.#rooms.get(room);
        if (members) this.#tellRoom(room, members, session);
      }
    }
  }

  #joinRoom(room: string, session: PresenceSession): void {
    let members = this.#rooms.get(room);
    if (!members) {
      if (this.#rooms.size >= this.#limits.maxRooms) {
        session.send(text({ type: 'room', room, peerIds: [] }));
        return;
      }
      members = new Set();
      this.#rooms.set(room, members);
    }
    if (members.size >= MAX_ROOM_MEMBERS) {
      // The newcomer still learns where the members are; it is added once it announces into a room
      // with a free place.
      session.send(text({ type: 'room', room, peerIds: othersIn(members, session) }));
      return;
    }
    members.add(session);
    session.rooms.add(room);
    this.#tellRoom(room, members);
  }

  #leaveRoom(room: string, session: PresenceSession): void {
    const members = this.#rooms.get(room);
    if (!members?.delete(session)) return;
    if (members.size === 0) this.#rooms.delete(room);
    else this.#tellRoom(room, members);
  }

  /** Sends each member (but `except`) the other members' current peer ids. */
  #tellRoom(room: string, members: Set<PresenceSession>, except?: PresenceSession): void {
    for (const member of members) {
      if (member === except) continue;
      member.send(text({ type: 'room', room, peerIds: othersIn(members, member) }));
    }
  }
}

function change(
  message: ServerPresenceMessage,
  about: PresenceSession,
): { encoded: Buffer; about: PresenceSession } {
  return { encoded: Buffer.from(text(message)), about };
}

function samePeer(a: PresencePeer, b: PresencePeer): boolean {
  return a.name === b.name && a.deviceType === b.deviceType && a.avatar === b.avatar;
}

function nearbyText(list: Map<string, Published>, except: PresenceSession | undefined): string {
  const peers: PresencePeer[] = [];
  for (const { peer, session } of list.values()) if (session !== except) peers.push(peer);
  return text({ type: 'nearby', peers });
}

function othersIn(members: Set<PresenceSession>, self: PresenceSession): string[] {
  const ids: string[] = [];
  for (const member of members) if (member !== self && member.peer) ids.push(member.peer.peerId);
  return ids;
}

function text(message: ServerPresenceMessage): string {
  return JSON.stringify(message);
}

export function errorText(code: PresenceErrorCode, message: string): string {
  return text({ type: 'error', code, message });
}
