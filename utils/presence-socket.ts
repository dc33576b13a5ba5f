// The presence service over a WebSocket (`/presence` on the signalling server): implements core's
// PresenceChannel. Keeps the last announcement and sends it again after every reconnect, keeps the list of
// nearby devices from the server's full list and deltas, and reconnects with backoff (or after the delay
// the server asked for when it shut down). The browser answers the server's pings by itself.

import { backoffDelay, SIGNALLING_BACKOFF } from '../core/backoff';
import type { Clock } from '../core/clock';
import type { PresenceAnnouncement, PresenceChannel, PresencePeer } from '../core/presence/presence-channel';
import { PRESENCE_PATH, parseServerPresenceMessage } from '../core/protocol/presence-messages';
import type { Unsubscribe } from '../core/transport';

/** The server drops a silent holder of our id within 3 s; announcing again after that succeeds. */
const REANNOUNCE_AFTER_MS = 4_000;

export interface PresenceSocketOptions {
  /** The signalling server's base URL, e.g. https://192.168.1.20:9443. */
  serverUrl: string;
  clock: Clock;
  log?(message: string): void;
}

export function presenceUrl(serverUrl: string): string {
  const url = new URL(PRESENCE_PATH, serverUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export class PresenceSocket implements PresenceChannel {
  readonly #options: PresenceSocketOptions;
  #socket: WebSocket | undefined;
  #announcement: PresenceAnnouncement | undefined;
  #peers = new Map<string, PresencePeer>();
  #nearbyListeners = new Set<(peers: readonly PresencePeer[]) => void>();
  #roomListeners = new Set<(room: string, peerIds: readonly string[]) => void>();
  #attempt = 0;
  #cancelRetry: (() => void) | undefined;
  #cancelReannounce: (() => void) | undefined;
  #retryAfterMs: number | undefined;
  #closed = false;

  constructor(options: PresenceSocketOptions) {
    this.#options = options;
    this.#open();
  }

  announce(announcement: PresenceAnnouncement): void {
    this.#announcement = announcement;
    this.#sendAnnouncement();
  }

  onNearby(listener: (peers: readonly PresencePeer[]) => void): Unsubscribe {
    this.#nearbyListeners.add(listener);
    return () => this.#nearbyListeners.delete(listener);
  }

  onRoom(listener: (room: string, peerIds: readonly string[]) => void): Unsubscribe {
    this.#roomListeners.add(listener);
    return () => this.#roomListeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    this.#cancelRetry?.();
    this.#cancelReannounce?.();
    this.#socket?.close(1000);
    this.#socket = undefined;
  }

  #open(): void {
    if (this.#closed) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(presenceUrl(this.#options.serverUrl));
    } catch (error) {
      this.#log(`cannot open the presence connection: ${String(error)}`);
      this.#retry();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#attempt = 0;
      this.#sendAnnouncement();
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string') this.#receive(event.data);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      // What we saw is stale now; the server sends the full list again after we reconnect.
      this.#setPeers(new Map());
      this.#retry();
    };
  }

  #retry(): void {
    if (this.#closed || this.#cancelRetry) return;
    this.#attempt += 1;
    const delay = this.#retryAfterMs ?? backoffDelay(this.#attempt, SIGNALLING_BACKOFF, Math.random);
    this.#retryAfterMs = undefined;
    this.#cancelRetry = this.#options.clock.setTimeout(() => {
      this.#cancelRetry = undefined;
      this.#open();
    }, delay);
  }

  #announceLater(): void {
    this.#cancelReannounce?.();
    this.#cancelReannounce = this.#options.clock.setTimeout(() => {
      this.#cancelReannounce = undefined;
      this.#sendAnnouncement();
    }, REANNOUNCE_AFTER_MS);
  }

  #sendAnnouncement(): void {
    const socket = this.#socket;
    if (!this.#announcement || socket?.readyState !== WebSocket.OPEN) return;
    socket.send(JSON.stringify({ type: 'announce', ...this.#announcement }));
  }

  #receive(text: string): void {
    const parsed = parseServerPresenceMessage(text);
    if (!parsed.ok) {
      this.#log(`ignored a presence message: ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'nearby':
        this.#setPeers(new Map(message.peers.map((p) => [p.peerId, p])));
        return;
      case 'peer-joined':
      case 'peer-updated':
        this.#setPeers(new Map(this.#peers).set(message.peer.peerId, message.peer));
        return;
      case 'peer-left': {
        const next = new Map(this.#peers);
        next.delete(message.peerId);
        this.#setPeers(next);
        return;
      }
      case 'room':
        for (const listener of this.#roomListeners) listener(message.room, message.peerIds);
        return;
      case 'shutdown':
        this.#retryAfterMs = message.reconnectAfterMs;
        return;
      case 'error':
        this.#log(`presence service: ${message.code}`);
        // Usually our own previous connection, which the server drops within seconds: say it again then.
        if (message.code === 'id-taken') this.#announceLater();
        return;
    }
  }

  #setPeers(peers: Map<string, PresencePeer>): void {
    this.#peers = peers;
    const list = [...peers.values()];
    for (const listener of this.#nearbyListeners) listener(list);
  }

  #log(message: string): void {
    this.#options.log?.(message);
  }
}
