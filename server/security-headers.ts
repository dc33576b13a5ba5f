// Response headers that limit what a browser lets anyone do with this server's responses: no MIME
// sniffing, no referrers, no framing, no powerful features, a separate browsing context group, HSTS on
// HTTPS, and a Content-Security-Policy. API and error responses get a policy that allows nothing; the
// companion app gets the strictest policy it runs under (its index.html carries the same in a meta tag).

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';

export const LOCKED_DOWN_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=()';
const HSTS = 'max-age=31536000';
// Only used to name this server's own WebSocket endpoints in connect-src; anything unusual is left out.
const HOST_HEADER = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

export function securityHeaders(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Content-Security-Policy', LOCKED_DOWN_CSP);
    if ((req.socket as TLSSocket).encrypted) res.setHeader('Strict-Transport-Security', HSTS);
    next();
  };
}

/**
 * The companion's policy. Scripts, workers (the service worker and the storage worker) and styles come
 * only from this server; no eval, no inline script. It talks to this server only: fetches to 'self'
 * and the signalling and presence WebSockets on the same host (named explicitly, since older browsers do
 * not count ws: as 'self'). Images and media may be data: and blob: URLs the app made from received files.
 */
export function companionCsp(req: IncomingMessage): string {
  const host = req.headers.host;
  const sockets = host && HOST_HEADER.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src 'self'${sockets} blob:`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
