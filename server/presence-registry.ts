// The presence state, in memory only: which announced devices share a network, which of them are listed
// to the others, which rooms exist and who is in them. It turns each announce or departure into the
// messages every affected device must receive (docs/PROTOCOL.md, "Presence"). It knows nothing about
// sockets: a session is anything that can take a text message.

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
}

/** A hidden device is listed to nobody: its id is all that is kept (and all it sends). */
type HiddenPeer = Pick<PresencePeer, 'peerId'>;

export class PresenceSession {
  /** Undefined until the first accepted announce; until then the session is in no network or room. */
  peer: PresencePeer | HiddenPeer | undefined;
  visible = false;
  listed = false;
  readonly rooms = new Set<string>();

  constructor(
    readonly networkKey: string,
    readonly send: (text: string) => void,
  ) {}
}

interface Network {
  /** Every announced session, listed or not: all of them hear about the listed ones. */
  readonly members: Set<PresenceSession>;
  /** Listed sessions, in the order they were listed. */
  readonly listed: Set<PresenceSession>;
  /** Sessions that want to be listed but found the network full, first come first served. */
  readonly waiting: Set<PresenceSession>;
}

/** On id-taken, `holder` is the session that has the id (it may be a dead connection of the same device). */
export type AnnounceOutcome = { ok: true } | { ok: false; holder: PresenceSession };

export class PresenceRegistry {
  readonly #networks = new Map<string, Network>();
  readonly #rooms = new Map<string, Set<PresenceSession>>();
  readonly #byPeerId = new Map<string, PresenceSession>();
  readonly #limits: PresenceLimits;

  constructor(limits: PresenceLimits) {
    this.#limits = limits;
  }

  get stats(): { networks: number; announced: number; rooms: number } {
    return { networks: this.#networks.size, announced: this.#byPeerId.size, rooms: this.#rooms.size };
  }

  open(networkKey: string, send: (text: string) => void): PresenceSession {
    return new PresenceSession(networkKey, send);
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
    if (first) {
      const peers = [...network.listed].filter((s) => s !== session).map((s) => s.peer as PresencePeer);
      session.send(text({ type: 'nearby', peers }));
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
      network.waiting.delete(session);
      if (session.listed) this.#unlist(network, session, peer.peerId);
      if (network.members.size === 0) this.#networks.delete(session.networkKey);
    }
    if (this.#byPeerId.get(peer.peerId) === session) this.#byPeerId.delete(peer.peerId);
    for (const room of session.rooms) this.#leaveRoom(room, session);
    session.rooms.clear();
    session.peer = undefined;
  }

  #networkOf(session: PresenceSession): Network {
    let network = this.#networks.get(session.networkKey);
    if (!network) {
      network = { members: new Set(), listed: new Set(), waiting: new Set() };
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
      const before = previous as PresencePeer;
      if (!visible) {
        this.#unlist(network, session, before.peerId);
      } else if (before.peerId !== peer.peerId) {
        // Others know a device by its peer id, so a new id is a different entry for them.
        this.#broadcast(network, session, { type: 'peer-left', peerId: before.peerId });
        this.#broadcast(network, session, { type: 'peer-joined', peer });
      } else if (
        before.name !== peer.name ||
        before.deviceType !== peer.deviceType ||
        before.avatar !== peer.avatar
      ) {
        this.#broadcast(network, session, { type: 'peer-updated', peer });
      }
      return;
    }
    if (!visible) {
      network.waiting.delete(session);
      return;
    }
    if (network.listed.size < this.#limits.maxListedPerNetwork) {
      network.waiting.delete(session);
      this.#list(network, session);
    } else if (!network.waiting.has(session)) {
      network.waiting.add(session);
      session.send(
        errorText(
          'network-full',
          `This network already lists ${this.#limits.maxListedPerNetwork} devices: this device is not shown ` +
            'to others until one leaves. Rooms still work.',
        ),
      );
    }
  }

  #list(network: Network, session: PresenceSession): void {
    network.listed.add(session);
    session.listed = true;
    this.#broadcast(network, session, { type: 'peer-joined', peer: session.peer as PresencePeer });
  }

  #unlist(network: Network, session: PresenceSession, peerId: string): void {
    network.listed.delete(session);
    session.listed = false;
    this.#broadcast(network, session, { type: 'peer-left', peerId });
    // A place came free: the longest-waiting device takes it.
    for (const waiting of network.waiting) {
      if (network.listed.size >= this.#limits.maxListedPerNetwork) break;
      network.waiting.delete(waiting);
      this.#list(network, waiting);
    }
  }

  #broadcast(network: Network, except: PresenceSession, message: ServerPresenceMessage): void {
    if (network.members.size === 0 || (network.members.size === 1 && network.members.has(except))) return;
    const encoded = text(message);
    for (const member of network.members) if (member !== except) member.send(encoded);
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
