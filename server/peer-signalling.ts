// The PeerJS signalling endpoint: the `peer` package's PeerServer, mounted in the express app, with its
// WebSocket server under our control. Connections are checked before peer sees them (well-formed id,
// token and key, or 400), and every message passes a per-socket rate limit and a shape check first, so
// peer never processes a flood or a message it would mishandle. Relaying itself stays peer's.

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import { ExpressPeerServer } from 'peer';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { errorKind, type Logger } from './log';
import type { Clock } from './rate-limiter';
import { type MessageLimits, POLICY_VIOLATION, SocketGuard } from './socket-guard';

/** Where the PeerServer is mounted; PeerJS clients use `{ path: PEER_PATH, key: PEER_KEY }`. */
export const PEER_PATH = '/peerjs';
export const PEER_KEY = 'peerjs';
// Signalling messages are SDP offers/answers and ICE candidates (a few KiB); file data never goes through
// the server, so anything much larger is abuse.
const MAX_SIGNAL_BYTES = 64 * 1024;
const PEER_ID = /^[0-9a-f]{32}$/;
const TOKEN = /^[A-Za-z0-9]{16,64}$/;
/** Types a client may send; EXPIRE and the rest are the server's to send. */
const RELAYED_TYPES = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE']);
const GOING_AWAY = 1001;
const HEARTBEAT = '{"type":"HEARTBEAT"}';

type MessageListener = (this: WebSocket, data: RawData, isBinary: boolean) => void;

export interface Signalling {
  /** The WebSocket path PeerJS clients connect to (`/peerjs/peerjs`). */
  readonly wsPath: string;
  readonly size: number;
  readonly counters: { badMessages: number; throttled: number; closedForAbuse: number };
  /** Why the upgrade's query cannot be a PeerJS client, or undefined when it is well formed. */
  checkQuery(url: string | undefined): string | undefined;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every socket with 1001 (PeerJS clients reconnect with backoff). */
  shutdown(): void;
  openSockets(): WebSocket[];
}

export function mountSignalling(
  app: Express,
  httpServer: Server,
  options: { maxPeers: number; limits: MessageLimits; now: Clock; log: Logger },
): Signalling {
  const { log, limits, now } = options;
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
  const counters = { badMessages: 0, throttled: 0, closedForAbuse: 0 };

  // Ids, tokens and message payloads stay out of the log: only counts and error kinds are reported.
  peer.on('connection', () => log.debug('peer.connected', { open: sockets.clients.size }));
  peer.on('disconnect', () => log.debug('peer.disconnected', { open: sockets.clients.size }));
  // Without a listener, peer's `error` event would crash the process.
  peer.on('error', (error) => log.debug('peer.error', { kind: errorKind(error) }));

  const guardMessages = (ws: WebSocket): void => {
    const peerListeners = ws.listeners('message') as MessageListener[];
    if (peerListeners.length === 0) return; // refused by peer (ID-TAKEN, limit): it is closing the socket
    ws.removeAllListeners('message');
    const guard = new SocketGuard(limits, now);
    ws.on('message', function guarded(this: WebSocket, data: RawData, isBinary: boolean) {
      const admission = guard.admit();
      if (admission !== 'accept') {
        if (admission === 'close') {
          counters.closedForAbuse++;
          log.debug('peer.closed', { reason: 'flood' });
          ws.close(POLICY_VIOLATION, 'Too many messages');
        } else if (!guard.throttled) {
          guard.throttled = true;
          counters.throttled++;
        }
        return;
      }
      const problem = checkMessage(data, isBinary);
      if (problem) {
        counters.badMessages++;
        log.debug('peer.bad-message', { reason: problem });
        if (guard.strike()) {
          counters.closedForAbuse++;
          log.debug('peer.closed', { reason: 'invalid-messages' });
          ws.close(POLICY_VIOLATION, 'Too many invalid messages');
        }
        return;
      }
      for (const listener of peerListeners) listener.call(this, data, isBinary);
    });
  };

  return {
    wsPath,
    get size() {
      return sockets.clients.size;
    },
    counters,
    checkQuery,
    handleUpgrade(req, socket, head) {
      // ws answers the handshake and peer sends OPEN right after it, synchronously: corked, both leave
      // in one write instead of two, which is most of what a connection costs.
      socket.cork();
      sockets.handleUpgrade(req, socket, head, (ws) => {
        // peer answers a new client with OPEN, but a client coming back with its own id and token while
        // its old socket is still registered (a reconnect after a network blip) gets silence and would
        // wait forever. Anything peer sent means it decided; if it sent nothing, it re-attached the client.
        let answered = false;
        const send = ws.send.bind(ws) as (...args: unknown[]) => void;
        ws.send = ((...args: unknown[]) => {
          answered = true;
          send(...args);
        }) as typeof ws.send;
        sockets.emit('connection', ws, req);
        ws.send = send as typeof ws.send;
        if (!answered && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'OPEN' }));
        guardMessages(ws);
      });
      socket.uncork();
    },
    shutdown() {
      for (const ws of sockets.clients) ws.close(GOING_AWAY, 'Server shutting down');
    },
    openSockets() {
      return [...sockets.clients];
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

/** Why a message is not one a PeerJS client sends, or undefined when it may go on to peer. */
function checkMessage(data: RawData, isBinary: boolean): string | undefined {
  if (isBinary) return 'binary';
  const text = data.toString();
  // Every client sends this every 5 s: by far the most common message, and one that needs no parsing.
  if (text === HEARTBEAT) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return 'invalid-json';
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return 'not-object';
  const { type, dst } = message as { type?: unknown; dst?: unknown };
  if (type === 'HEARTBEAT') return undefined;
  if (typeof type !== 'string' || !RELAYED_TYPES.has(type)) return 'unknown-type';
  if (typeof dst !== 'string' || !PEER_ID.test(dst)) return 'bad-destination';
  return undefined;
}
