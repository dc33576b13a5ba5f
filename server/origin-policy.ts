// Which browser origins may talk to this server: the companion app as served by this server, the
// browser extension (any chrome-extension:// or moz-extension:// origin: extension ids are per install),
// and ALLOWED_ORIGINS. It decides CORS headers and refuses WebSocket upgrades from other pages, so a
// website a user happens to visit cannot use their browser to list the devices on their network or to
// squat signalling ids. Requests without an Origin header come from non-browser clients and are allowed:
// they could send any Origin they liked anyway.

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import { isIpLiteral } from './client-address';

const EXTENSION_ORIGIN = /^(chrome-extension|moz-extension):\/\/[a-z0-9-]+$/i;

export class OriginPolicy {
  readonly #allowed = new Set<string>();

  constructor(extraOrigins: readonly string[]) {
    for (const origin of extraOrigins) this.#allowed.add(origin);
  }

  /** Adds the origins the companion is served from, once the listeners know their ports. */
  addOwnOrigins(origins: Iterable<string>): void {
    for (const origin of origins) this.#allowed.add(origin);
  }

  allows(origin: string, req: IncomingMessage): boolean {
    if (EXTENSION_ORIGIN.test(origin) || this.#allowed.has(origin)) return true;
    return isSameAddressOrigin(origin, req);
  }
}

/**
 * A page served by this very listener under an address literal or localhost (say the machine's new LAN
 * address after a DHCP change) is same-origin. Host names are not trusted this way: with DNS rebinding
 * a hostile page can make its own name point here and send a matching Host header.
 */
function isSameAddressOrigin(origin: string, req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  let url: URL;
  try {
    url = new URL(`${scheme}://${host}`);
  } catch {
    return false;
  }
  if (url.hostname !== 'localhost' && !isIpLiteral(url.hostname)) return false;
  return url.origin === origin;
}

/** CORS for allowed origins only; other origins get no CORS headers, so browsers keep them out. */
export function corsFor(policy: OriginPolicy): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('Origin');
    res.vary('Origin');
    if (origin && policy.allows(origin, req)) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Methods', 'GET, HEAD');
      res.set('Access-Control-Max-Age', '600');
    }
    if (req.method === 'OPTIONS') {
      res.sendStatus(204);
      return;
    }
    next();
  };
}
