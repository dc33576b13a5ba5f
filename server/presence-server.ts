// The /presence WebSocket endpoint: one session in the presence registry per socket, every message
// size-checked, rate-limited and validated before the registry sees it, and liveness by WebSocket ping
// so a device that vanished (closed lid, lost Wi-Fi) disappears from its network within seconds.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  MAX_PRESENCE_CLIENT_MESSAGE_BYTES,
  parseClientPresenceMessage,
  type ServerPresenceMessage,
} from '../core/protocol/presence-messages';
import type { Logger } from './log';
import { errorText, type PresenceRegistry, type PresenceSession } from './presence-registry';
import type { Clock } from './rate-limiter';
import { every, type ServerClock } from './server-clock';
import { type MessageLimits, POLICY_VIOLATION, SocketGuard } from './socket-guard';

export interface PresenceTiming {
  /** How often each socket is pinged. */
  pingIntervalMs: number;
  /** A socket that has sent nothing (not even a pong) for this long is dropped. */
  timeoutMs: number;
}

export const DEFAULT_PRESENCE_TIMING: PresenceTiming = { pingIntervalMs: 5_000, timeoutMs: 12_000 };
/**
 * When another connection claims a socket's peer id, that socket is pinged at once and dropped if it does
 * not answer within this time: it is most likely the same device's previous connection, gone silent, and
 * the device should not wait the full timeout to be announced again.
 */
const CONTESTED_PROBE_MS = 3_000;
const SWEEP_SLICES = 10;
// Messages between 4 KiB and this size are read and answered with an error; larger frames close the
// socket (1009) before they are buffered.
const HARD_MAX_PAYLOAD = 16 * 1024;
// A client that stops reading would make the server buffer its deltas without end.
const MAX_BUFFERED_BYTES = 1024 * 1024;
export const GOING_AWAY = 1001;

interface SocketState {
  ws: WebSocket;
  session: PresenceSession;
  guard: SocketGuard;
  lastSeen: number;
  lastPing: number;
  /** Set while another connection claims this socket's peer id: when the liveness probe started. */
  probedAt: number | undefined;
  /** Set once the socket was cut for not answering. */
  cut: boolean;
}

export class PresenceServer {
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: HARD_MAX_PAYLOAD,
    clientTracking: false,
  });
  readonly #sockets = new Map<WebSocket, SocketState>();
  readonly #bySession = new Map<PresenceSession, SocketState>();
  readonly #registry: PresenceRegistry;
  readonly #limits: MessageLimits;
  readonly #clock: ServerClock;
  readonly #now: Clock;
  readonly #log: Logger;
  readonly #timing: PresenceTiming;
  readonly #stopSweep: () => void;
  readonly #checkPeriodMs: number;
  readonly #tickMs: number;
  /** Where the staggered sweep continues; Map iterators stay valid while entries come and go. */
  #cursor: IterableIterator<[WebSocket, SocketState]> | undefined;
  /** Totals since the server started, for the periodic stats log. */
  readonly counters = { badMessages: 0, throttled: 0, closedForAbuse: 0, timedOut: 0 };

  constructor(options: {
    registry: PresenceRegistry;
    limits: MessageLimits;
    clock: ServerClock;
    log: Logger;
    timing?: PresenceTiming;
  }) {
    this.#registry = options.registry;
    this.#limits = options.limits;
    this.#clock = options.clock;
    this.#now = () => this.#clock.now();
    this.#log = options.log;
    this.#timing = options.timing ?? DEFAULT_PRESENCE_TIMING;
    // Each socket is checked once per check period, but a tenth of them per tick: checking all at once
    // would also ping thousands of sockets in one burst and stall every other message behind it.
    this.#checkPeriodMs = Math.max(10, Math.min(1_000, this.#timing.pingIntervalMs / 2));
    this.#tickMs = Math.max(5, this.#checkPeriodMs / SWEEP_SLICES);
    this.#stopSweep = every(this.#clock, this.#tickMs, () => this.#sweep());
  }

  get size(): number {
    return this.#sockets.size;
  }

  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    networkKey: string,
    addressKey: string,
  ): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws, networkKey, addressKey));
  }

  /** Graceful shutdown: every client is told when to come back, then its socket is closed. */
  shutdown(): void {
    for (const ws of this.#sockets.keys()) {
      // Spread the reconnections of many clients over a few seconds instead of one burst.
      const reconnectAfterMs = 2_000 + Math.floor(Math.random() * 3_000);
      sendTo(ws, JSON.stringify({ type: 'shutdown', reconnectAfterMs } satisfies ServerPresenceMessage));
      ws.close(GOING_AWAY, 'Server shutting down');
    }
  }

  /** Sockets still open (e.g. waiting for the client's half of the closing handshake). */
  openSockets(): WebSocket[] {
    return [...this.#sockets.keys()];
  }

  close(): void {
    this.#stopSweep();
    this.#registry.close();
    for (const ws of this.#sockets.keys()) ws.terminate();
  }

  #attach(ws: WebSocket, networkKey: string, addressKey: string): void {
    const now = this.#now();
    const session = this.#registry.open(networkKey, addressKey, (message) => sendTo(ws, message));
    const state: SocketState = {
      ws,
      session,
      guard: new SocketGuard(this.#limits, this.#now),
      lastSeen: now,
      lastPing: now,
      probedAt: undefined,
      cut: false,
    };
    this.#sockets.set(ws, state);
    this.#bySession.set(session, state);
    ws.on('message', (data, isBinary) => this.#onMessage(ws, state, data, isBinary));
    ws.on('pong', () => {
      state.lastSeen = this.#now();
    });
    ws.on('error', (error) => this.#log.debug('presence.socket-error', { kind: error.name }));
    ws.once('close', () => {
      this.#sockets.delete(ws);
      this.#bySession.delete(session);
      this.#registry.remove(session);
      this.#log.debug('presence.disconnected', { open: this.#sockets.size });
    });
    this.#log.debug('presence.connected', { open: this.#sockets.size });
  }

  #onMessage(ws: WebSocket, state: SocketState, data: RawData, isBinary: boolean): void {
    state.lastSeen = this.#now();
    const admission = state.guard.admit();
    if (admission === 'close') {
      this.counters.closedForAbuse++;
      this.#log.debug('presence.closed', { reason: 'flood' });
      ws.close(POLICY_VIOLATION, 'Too many messages');
      return;
    }
    if (admission === 'drop') {
      if (!state.guard.throttled) {
        state.guard.throttled = true;
        this.counters.throttled++;
        sendTo(
          ws,
          errorText(
            'rate-limited',
            `Too many messages: at most ${this.#limits.rate} per second. Messages are dropped until the rate falls.`,
          ),
        );
      }
      return;
    }
    const size = byteLength(data);
    let error: string | undefined;
    if (isBinary) error = 'binary messages are not part of the presence protocol';
    else if (size > MAX_PRESENCE_CLIENT_MESSAGE_BYTES) {
      error = `message is larger than the ${MAX_PRESENCE_CLIENT_MESSAGE_BYTES}-byte limit`;
    }
    const parsed = error === undefined ? parseClientPresenceMessage(rawText(data)) : undefined;
    if (parsed?.ok) {
      const outcome = this.#registry.announce(state.session, parsed.message);
      if (!outcome.ok) this.#probe(outcome.holder);
      return;
    }
    this.counters.badMessages++;
    sendTo(ws, errorText('bad-message', error ?? (parsed && !parsed.ok ? parsed.error : 'rejected')));
    if (state.guard.strike()) {
      this.counters.closedForAbuse++;
      this.#log.debug('presence.closed', { reason: 'invalid-messages' });
      ws.close(POLICY_VIOLATION, 'Too many invalid messages');
    }
  }

  #probe(holder: PresenceSession): void {
    const state = this.#bySession.get(holder);
    if (!state || state.probedAt !== undefined || state.ws.readyState !== WebSocket.OPEN) return;
    state.probedAt = this.#now();
    state.lastPing = state.probedAt;
    state.ws.ping();
  }

  #timeOut(ws: WebSocket, state: SocketState): void {
    state.cut = true;
    this.counters.timedOut++;
    ws.terminate();
  }

  #sweep(): void {
    const now = this.#now();
    let budget = Math.ceil((this.#sockets.size * this.#tickMs) / this.#checkPeriodMs);
    while (budget-- > 0) {
      this.#cursor ??= this.#sockets.entries();
      const next = this.#cursor.next();
      if (next.done) {
        this.#cursor = undefined;
        return;
      }
      this.#check(next.value[0], next.value[1], now);
    }
  }

  #check(ws: WebSocket, state: SocketState, now: number): void {
    // Cut already: it stays in the map until its close event, and is neither counted nor cut again.
    if (state.cut) return;
    if (state.probedAt !== undefined) {
      if (state.lastSeen >= state.probedAt) {
        state.probedAt = undefined;
      } else if (now - state.probedAt >= CONTESTED_PROBE_MS) {
        this.#timeOut(ws, state);
        return;
      }
    }
    if (now - state.lastSeen >= this.#timing.timeoutMs) {
      this.#timeOut(ws, state);
    } else if (now - state.lastPing >= this.#timing.pingIntervalMs && ws.readyState === WebSocket.OPEN) {
      state.lastPing = now;
      ws.ping();
    }
  }
}

/** A Buffer is a message encoded once for many sockets; it still goes out as a text frame. */
function sendTo(ws: WebSocket, message: string | Buffer): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
    ws.terminate();
    return;
  }
  if (typeof message === 'string') ws.send(message);
  else ws.send(message, { binary: false });
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
