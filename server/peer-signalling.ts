// The PeerJS signalling endpoint: the `peer` package's PeerServer, mounted in the express app, with its
// WebSocket server under our control. Connections are checked before peer sees them (well-formed id,
// token and key, or 400), and every message passes a per-socket rate limit (messages and bytes) and a
// shape check first (signal-message.ts), so peer never processes a flood or a message it would mishandle.
// Relaying itself stays peer's, with two of its parts replaced: messages for ids that are not connected
// wait in a bounded queue of ours (absent-queue.ts) instead of peer's unbounded one, and every socket's
// send buffer is capped, so a client that stops reading costs the server a bounded amount of memory and
// is disconnected when it does not catch up.

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { ExpressPeerServer } from 'peer';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { AbsentQueue, type AbsentQueueLimits, DEFAULT_ABSENT_QUEUE_LIMITS } from './absent-queue';
import { ByteBudget } from './byte-budget';
import { errorKind, type Logger } from './log';
import { every, type ServerClock } from './server-clock';
import { checkSignalMessage, PEER_ID } from './signal-message';
import { type MessageLimits, POLICY_VIOLATION, SocketGuard } from './socket-guard';

/** Where the PeerServer is mounted; PeerJS clients use `{ path: PEER_PATH, key: PEER_KEY }`. */
export const PEER_PATH = '/peerjs';
export const PEER_KEY = 'peerjs';
// Signalling messages are SDP offers/answers and ICE candidates (a few KiB); file data never goes through
// the server, so anything much larger is abuse.
const MAX_SIGNAL_BYTES = 64 * 1024;
const TOKEN = /^[A-Za-z0-9]{16,64}$/;
const GOING_AWAY = 1001;
/**
 * Bytes a socket may have waiting to be sent before more messages for it are dropped: a few maximum-size
 * messages. A client that reads does not come near it (on a healthy connection it stays near zero).
 */
export const MAX_SIGNAL_BUFFERED_BYTES = 256 * 1024;
/** A socket whose buffer stays over the cap this long is not reading at all: it is disconnected. */
export const SLOW_READER_TIMEOUT_MS = 5_000;
const SLOW_READER_CHECK_MS = 1_000;
/**
 * Bytes a socket may send: a burst of 256 KiB (a device offering to many others at once sends tens of KiB)
 * and 64 KiB per second sustained (a connection's offer and candidates are about 10 KiB); one client
 * address (a household, or an attacker's many sockets) a 512 KiB burst and 128 KiB per second. Fifty
 * 60 KiB messages a second are within the message rate, and would otherwise cost the server memory and
 * every other client the time spent reading and relaying them. Beyond it the socket is not read from for
 * a while (backpressure): nothing is dropped, the sender just has to wait.
 */
const SOCKET_BURST_BYTES = 256 * 1024;
const SOCKET_BYTES_PER_S = 64 * 1024;
const ADDRESS_BURST_BYTES = 512 * 1024;
const ADDRESS_BYTES_PER_S = 128 * 1024;

type MessageListener = (this: WebSocket, data: RawData, isBinary: boolean) => void;

export interface SignallingCounters {
  badMessages: number;
  throttled: number;
  closedForAbuse: number;
  /** Messages not sent because their destination's send buffer was full. */
  droppedForSlowReader: number;
  /** Sockets disconnected because they stopped reading. */
  slowReaders: number;
  /** Messages for absent ids refused because a bound of the queue was reached. */
  absentRefused: number;
}

export interface Signalling {
  /** The WebSocket path PeerJS clients connect to (`/peerjs/peerjs`). */
  readonly wsPath: string;
  readonly size: number;
  readonly counters: SignallingCounters;
  /** Bytes of messages waiting for ids that are not connected. */
  readonly heldBytes: number;
  /** Why the upgrade's query cannot be a PeerJS client, or undefined when it is well formed. */
  checkQuery(url: string | undefined): string | undefined;
  /** `addressKey` is what per-address bounds count against (client-address.ts, limitKeyOf). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, addressKey: string): void;
  /** Closes every socket with 1001 (PeerJS clients reconnect with backoff). */
  shutdown(): void;
  openSockets(): WebSocket[];
  /** Stops the timers; sockets are the caller's to close. */
  close(): void;
}

interface SocketState {
  readonly guard: SocketGuard;
  /** Set while the socket is not read from, having overdrawn its byte budget or its address's: cancels the resume. */
  resumeTimer: (() => void) | undefined;
  /** Since when the send buffer has been over the cap, while it is. */
  overCapSince: number | undefined;
}

export function mountSignalling(
  app: Express,
  httpServer: Server,
  options: {
    maxPeers: number;
    limits: MessageLimits;
    clock: ServerClock;
    log: Logger;
    absentQueue?: AbsentQueueLimits;
  },
): Signalling {
  const { log, limits, clock } = options;
  const now = (): number => clock.now();
  // peer only exposes its WebSocketServer through this factory. It is called synchronously when the
  // PeerServer app is mounted below, with the mounted path; `server` is ignored on purpose so neither
  // listener gets ws's own upgrade handler and the upgrade router stays the only way in.
  let created: WebSocketServer | undefined;
  let wsPath = '';
  const peer = ExpressPeerServer(httpServer, {
    path: '/',
    key: PEER_KEY,
    allow_discovery: false,
    proxied: false,
    concurrent_limit: options.maxPeers,
    // peer's own cors() would allow every origin; the app-wide handler (origin-policy.ts) has already set
    // the headers an allowed origin gets, and `false` keeps peer from adding any.
    corsOptions: { origin: false },
    createWebSocketServer: (wsOptions) => {
      wsPath = wsOptions.path ?? '';
      created = new WebSocketServer({ noServer: true, maxPayload: MAX_SIGNAL_BYTES });
      return created;
    },
  });
  peer.disable('x-powered-by');
  app.use(PEER_PATH, peer);
  if (!created || !wsPath) throw new Error('PeerServer did not create its WebSocket server on mount.');
  const sockets: WebSocketServer = created;
  const counters: SignallingCounters = {
    badMessages: 0,
    throttled: 0,
    closedForAbuse: 0,
    droppedForSlowReader: 0,
    slowReaders: 0,
    absentRefused: 0,
  };
  const states = new Map<WebSocket, SocketState>();
  const queue = new AbsentQueue(options.absentQueue ?? DEFAULT_ABSENT_QUEUE_LIMITS);
  // The ids peer has a client for, kept from its own events: a message for any other id would go into
  // peer's unbounded queue, so it goes into ours instead.
  const connected = new Set<string>();

  // Ids, tokens and message payloads stay out of the log: only counts and error kinds are reported.
  peer.on('connection', (client: { getId(): string }) => {
    connected.add(client.getId());
    log.debug('peer.connected', { open: sockets.clients.size });
  });
  peer.on('disconnect', (client: { getId(): string }) => {
    connected.delete(client.getId());
    log.debug('peer.disconnected', { open: sockets.clients.size });
  });
  // Without a listener, peer's `error` event would crash the process.
  peer.on('error', (error) => log.debug('peer.error', { kind: errorKind(error) }));

  const closeForAbuse = (ws: WebSocket, reason: string, text: string): void => {
    counters.closedForAbuse++;
    log.debug('peer.closed', { reason });
    ws.close(POLICY_VIOLATION, text);
  };

  const guardMessages = (ws: WebSocket, state: SocketState, id: string, addressKey: string): void => {
    const peerListeners = ws.listeners('message') as MessageListener[];
    if (peerListeners.length === 0) return; // refused by peer (ID-TAKEN, limit): it is closing the socket
    ws.removeAllListeners('message');
    const { guard } = state;
    const toPeer = (data: RawData, isBinary: boolean): void => {
      for (const listener of peerListeners) listener.call(ws, data, isBinary);
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const admission = guard.admit();
      if (admission !== 'accept') {
        if (admission === 'close') closeForAbuse(ws, 'flood', 'Too many messages');
        else if (!guard.throttled) {
          guard.throttled = true;
          counters.throttled++;
        }
        return;
      }
      // Bytes are budgeted by backpressure: a socket that overdraws its budget is not read from until it
      // has earned it back, so a flood of large messages waits in the sender's own buffers, not here.
      const bytes = byteLength(data);
      spendBytes(ws, state, addressKey, bytes);
      const check = checkSignalMessage(data, isBinary);
      if (!check.ok) {
        counters.badMessages++;
        log.debug('peer.bad-message', { reason: check.reason });
        if (guard.strike()) closeForAbuse(ws, 'invalid-messages', 'Too many invalid messages');
        return;
      }
      if (check.heartbeat) {
        toPeer(data, isBinary);
        return;
      }
      if (check.type === 'LEAVE' || connected.has(check.dst)) {
        toPeer(data, isBinary);
        return;
      }
      const { dst } = check;
      const expire = (): void => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'EXPIRE', src: dst, dst: id }));
      };
      const held = queue.hold(ws, addressKey, {
        senderId: id,
        dst,
        bytes,
        at: now(),
        deliver: () => toPeer(data, isBinary),
        expire,
      });
      if (!held) {
        counters.absentRefused++;
        expire();
      }
    });
  };

  const socketBytes = new ByteBudget<WebSocket>(SOCKET_BURST_BYTES, SOCKET_BYTES_PER_S);
  const addressBytes = new ByteBudget<string>(ADDRESS_BURST_BYTES, ADDRESS_BYTES_PER_S);
  const spendBytes = (ws: WebSocket, state: SocketState, addressKey: string, bytes: number): void => {
    const t = now();
    const waitMs = Math.max(socketBytes.spend(ws, bytes, t), addressBytes.spend(addressKey, bytes, t));
    if (waitMs === 0 || state.resumeTimer !== undefined) return;
    counters.throttled++;
    ws.pause();
    state.resumeTimer = clock.setTimeout(() => {
      state.resumeTimer = undefined;
      ws.resume();
    }, waitMs);
  };

  // Slow readers and expired held messages are looked at twice a second.
  const stopSweep = every(clock, SLOW_READER_CHECK_MS / 2, () => {
    const t = now();
    queue.expire(t);
    socketBytes.sweep(t);
    addressBytes.sweep(t);
    for (const [ws, state] of states) {
      if (ws.bufferedAmount <= MAX_SIGNAL_BUFFERED_BYTES) {
        state.overCapSince = undefined;
        continue;
      }
      state.overCapSince ??= t;
      if (t - state.overCapSince >= SLOW_READER_TIMEOUT_MS) {
        counters.slowReaders++;
        log.debug('peer.closed', { reason: 'slow-reader' });
        ws.terminate();
      }
    }
  });

  return {
    wsPath,
    get size() {
      return sockets.clients.size;
    },
    counters,
    get heldBytes() {
      return queue.bytes;
    },
    checkQuery,
    handleUpgrade(req, socket, head, addressKey) {
      const id = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('id') ?? '';
      // ws answers the handshake and peer sends OPEN right after it, synchronously: corked, both leave
      // in one write instead of two, which is most of what a connection costs.
      socket.cork();
      sockets.handleUpgrade(req, socket, head, (ws) => {
        const state: SocketState = {
          guard: new SocketGuard(limits, now),
          resumeTimer: undefined,
          overCapSince: undefined,
        };
        states.set(ws, state);
        ws.once('close', () => {
          states.delete(ws);
          state.resumeTimer?.();
        });
        // peer answers a new client with OPEN, but a client coming back with its own id and token while
        // its old socket is still registered (a reconnect after a network blip) gets silence and would
        // wait forever. Anything peer sent means it decided; if it sent nothing, it re-attached the client.
        let answered = false;
        const send = ws.send.bind(ws) as (...args: unknown[]) => void;
        // Everything peer sends to this socket passes here. Over the cap, the message is dropped rather
        // than buffered: the sweep above disconnects the socket if it does not catch up.
        ws.send = ((...args: unknown[]) => {
          answered = true;
          if (ws.bufferedAmount > MAX_SIGNAL_BUFFERED_BYTES) {
            counters.droppedForSlowReader++;
            state.overCapSince ??= now();
            return;
          }
          send(...args);
        }) as typeof ws.send;
        sockets.emit('connection', ws, req);
        if (!answered && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'OPEN' }));
        guardMessages(ws, state, id, addressKey);
        // Messages held for this id go out after OPEN, in the order they were sent.
        if (connected.has(id) && ws.readyState === WebSocket.OPEN) queue.arrived(id);
      });
      socket.uncork();
    },
    shutdown() {
      for (const ws of sockets.clients) ws.close(GOING_AWAY, 'Server shutting down');
    },
    openSockets() {
      return [...sockets.clients];
    },
    close() {
      stopSweep();
    },
  };
}

/** The id, token and key PeerJS puts in the query, each exactly once and well formed. */
function checkQuery(url: string | undefined): string | undefined {
  const query = (url ?? '').split('?')[1] ?? '';
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(query);
  } catch {
    return 'The query string is malformed.';
  }
  // peer reads the last value of a repeated parameter; only one of each is accepted so what was checked
  // is what peer uses.
  const single = (name: string): string | undefined => {
    const values = params.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };
  const key = single('key');
  const id = single('id');
  const token = single('token');
  if (key !== PEER_KEY) return `The key query parameter must be "${PEER_KEY}".`;
  if (id === undefined || !PEER_ID.test(id)) {
    return 'The id query parameter must be 32 lowercase hexadecimal characters.';
  }
  if (token === undefined || !TOKEN.test(token)) {
    return 'The token query parameter must be 16 to 64 letters and digits.';
  }
  return undefined;
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}
