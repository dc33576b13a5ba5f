// Every WebSocket upgrade, on the HTTP and the HTTPS listener alike, comes through here and is either
// handed to the signalling or the presence endpoint or refused with a plain-text reason: 404 (no such
// endpoint), 503 (shutting down, or full), 403 (a web page from a foreign origin), 429 (too many
// connections from this address) or 400 (not a well-formed PeerJS connection). Refusing here, before
// the handshake, means a refused client costs the server no socket state at all.

import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PRESENCE_PATH } from '../core/protocol/presence-messages';
import { type AddressSet, limitKeyOf, networkKeyOf, resolveClientAddress } from './client-address';
import type { ConnectionLimits } from './connection-limits';
import type { Logger } from './log';
import type { OriginPolicy } from './origin-policy';
import type { Signalling } from './peer-signalling';
import type { PresenceServer } from './presence-server';

export interface UpgradeRouterDeps {
  signalling: Signalling;
  presence: PresenceServer;
  origins: OriginPolicy;
  limits: ConnectionLimits;
  trustedProxies: AddressSet;
  maxPeers: number;
  isDraining: () => boolean;
  log: Logger;
}

/** Refusals since the server started, by HTTP status, for the periodic stats log. */
export type RefusalCounts = Record<number, number>;

export function createUpgradeRouter(deps: UpgradeRouterDeps): {
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  refusals: RefusalCounts;
} {
  const refusals: RefusalCounts = {};
  const refuse = (socket: Duplex, endpoint: string, status: number, message: string, retryAfterS = 0) => {
    refusals[status] = (refusals[status] ?? 0) + 1;
    deps.log.debug('upgrade.refused', { endpoint, status });
    writeRefusal(socket, status, message, retryAfterS);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node leaves upgraded sockets without an error listener; a reset during the checks must not crash.
    const onEarlyError = (): void => {
      socket.destroy();
    };
    socket.on('error', onEarlyError);

    // Split rather than `new URL()`: a malformed request line must not throw inside an event handler.
    const pathname = (req.url ?? '').split('?')[0];
    const endpoint =
      pathname === deps.signalling.wsPath ? 'peerjs' : pathname === PRESENCE_PATH ? 'presence' : undefined;
    if (!endpoint) {
      refuse(socket, 'none', 404, 'There is no WebSocket endpoint at this path.');
      return;
    }
    if (deps.isDraining()) {
      refuse(socket, endpoint, 503, 'The server is shutting down. Reconnect in a few seconds.', 5);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !deps.origins.allows(origin, req)) {
      refuse(socket, endpoint, 403, 'WebSocket connections from this web origin are not allowed.');
      return;
    }
    const open = endpoint === 'peerjs' ? deps.signalling.size : deps.presence.size;
    if (open >= deps.maxPeers) {
      refuse(socket, endpoint, 503, 'The server is at capacity. Try again later.', 30);
      return;
    }
    const address = resolveClientAddress(
      req.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      deps.trustedProxies,
    );
    const addressKey = limitKeyOf(address);
    const admission = deps.limits.admit(addressKey);
    if (!admission.ok) {
      refuse(socket, endpoint, admission.status, admission.message, admission.retryAfterS);
      return;
    }
    // Counted until the TCP connection is gone, also when the WebSocket handshake itself fails.
    socket.once('close', admission.release);

    if (endpoint === 'peerjs') {
      const problem = deps.signalling.checkQuery(req.url);
      if (problem) {
        refuse(socket, endpoint, 400, problem);
        return;
      }
    }
    socket.off('error', onEarlyError);
    if (endpoint === 'peerjs') deps.signalling.handleUpgrade(req, socket, head, addressKey);
    else deps.presence.handleUpgrade(req, socket, head, networkKeyOf(address), addressKey);
  };
  return { onUpgrade, refusals };
}

function writeRefusal(socket: Duplex, status: number, message: string, retryAfterS: number): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
  ];
  if (retryAfterS > 0) lines.push(`Retry-After: ${retryAfterS}`);
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
