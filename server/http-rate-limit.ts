// Per-address limit on plain HTTP requests (the companion's files, /config, /health): a client that
// keeps requesting faster than HTTP_RATE_PER_ADDRESS per minute is answered 429 with Retry-After until
// its budget refills, so one client cannot keep the server busy for everybody else.

import type { RequestHandler } from 'express';
import { type AddressSet, limitKeyOf, resolveClientAddress } from './client-address';
import type { KeyedRateLimiter } from './rate-limiter';

export function httpRateLimit(
  limiter: KeyedRateLimiter,
  trustedProxies: AddressSet,
  perMinute: number,
  onRefused: () => void,
): RequestHandler {
  return (req, res, next) => {
    const address = resolveClientAddress(
      req.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      trustedProxies,
    );
    const verdict = limiter.take(limitKeyOf(address));
    if (verdict.ok) {
      next();
      return;
    }
    onRefused();
    res
      .status(429)
      .set('Retry-After', String(verdict.retryAfterS))
      .set('Cache-Control', 'no-store')
      .type('text/plain')
      .send(
        `Too many requests from your address (at most ${perMinute} per minute). ` +
          `Try again in ${verdict.retryAfterS} s.\n`,
      );
  };
}
