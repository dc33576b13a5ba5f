// An in-memory presence service with the same behaviour as the server's: devices grouped by network,
// only visible ones listed to others, rooms that tell members each other's signalling ids.

import type {
  PresenceAnnouncement,
  PresenceChannel,
  PresencePeer,
} from '../../core/presence/presence-channel';

export class MemoryPresenceHub {
  readonly channels = new Set<MemoryPresenceChannel>();

  channel(network: string): MemoryPresenceChannel {
    const channel = new MemoryPresenceChannel(this, network);
    this.channels.add(channel);
    return channel;
  }

  /** Recomputes what every channel sees, as the server would after any announce or departure. */
  update(): void {
    for (const channel of this.channels) {
      const peers = [...this.channels]
        .filter((c) => c !== channel && c.network === channel.network && c.announced?.visible)
        .map((c) => c.peer())
        .filter((p): p is PresencePeer => !!p);
      channel.deliverNearby(peers);
      for (const room of channel.announced?.rooms ?? []) {
        const members = [...this.channels]
          .filter((c) => c !== channel && c.announced?.rooms.includes(room))
          .map((c) => c.announced?.peerId ?? '');
        channel.deliverRoom(room, members);
      }
    }
  }
}

export class MemoryPresenceChannel implements PresenceChannel {
  announced: PresenceAnnouncement | undefined;
  #nearby = new Set<(peers: readonly PresencePeer[]) => void>();
  #rooms = new Set<(room: string, peerIds: readonly string[]) => void>();
  #lastNearby = '';
  #lastRooms = new Map<string, string>();

  constructor(
    readonly hub: MemoryPresenceHub,
    readonly network: string,
  ) {}

  announce(announcement: PresenceAnnouncement): void {
    this.announced = announcement;
    queueMicrotask(() => this.hub.update());
  }

  peer(): PresencePeer | undefined {
    const a = this.announced;
    return a?.visible
      ? { peerId: a.peerId, name: a.name, deviceType: a.deviceType, avatar: a.avatar }
      : undefined;
  }

  deliverNearby(peers: PresencePeer[]): void {
    const key = JSON.stringify(peers);
    if (key === this.#lastNearby) return;
    this.#lastNearby = key;
    for (const listener of this.#nearby) listener(peers);
  }

  deliverRoom(room: string, peerIds: string[]): void {
    const key = JSON.stringify(peerIds);
    if (this.#lastRooms.get(room) === key) return;
    this.#lastRooms.set(room, key);
    for (const listener of this.#rooms) listener(room, peerIds);
  }

  onNearby(listener: (peers: readonly PresencePeer[]) => void): () => void {
    this.#nearby.add(listener);
    return () => this.#nearby.delete(listener);
  }

  onRoom(listener: (room: string, peerIds: readonly string[]) => void): () => void {
    this.#rooms.add(listener);
    return () => this.#rooms.delete(listener);
  }

  close(): void {
    this.hub.channels.delete(this);
    queueMicrotask(() => this.hub.update());
  }
}
