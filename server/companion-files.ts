// The companion PWA's files: static files with a fallback to index.html for client-side routes, under
// the companion's Content-Security-Policy. Hashed /assets/* never change, so they are cached forever;
// everything else (index.html, sw.js, the manifest) must be revalidated or an installed PWA would keep
// running an old build.

import { stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import express, { type RequestHandler } from 'express';
import { companionCsp } from './security-headers';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const INTEGRITY_POLICY = 'blocked-destinations=(script)';

export function companionFiles(dir: string, reservedPrefixes: readonly string[]): RequestHandler {
  const files = express.static(dir, {
    index: false,
    redirect: false,
    cacheControl: false,
    setHeaders: (res, filePath) => {
      const rel = relative(dir, filePath).split(sep).join('/');
      res.setHeader('Cache-Control', rel.startsWith('assets/') ? IMMUTABLE : 'no-cache');
    },
  });
  const indexPath = join(dir, 'index.html');

  const fallback: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // A missing script or image must stay a 404: answering HTML would be cached by the service worker
    // and fail in confusing ways. Only extension-less paths are treated as app routes.
    const lastSegment = req.path.split('/').pop() ?? '';
    if (
      req.path.startsWith('/assets/') ||
      reservedPrefixes.some((prefix) => req.path === prefix || req.path.startsWith(`${prefix}/`)) ||
      lastSegment.includes('.')
    ) {
      return next();
    }
    stat(indexPath)
      .then(
        (info) => info.isFile(),
        () => false,
      )
      .then((built) => {
        if (!built) {
          res
            .status(503)
            .set('Cache-Control', 'no-store')
            .type('text/plain')
            .send(
              'The DirectDrop companion app has not been built yet.\n' +
                'Run `npm run build:companion` on the machine running this server, then reload this page.\n',
            );
          return;
        }
        res.sendFile(indexPath, { cacheControl: false, headers: { 'Cache-Control': 'no-cache' } }, (err) => {
          if (err) next(err);
        });
      })
      .catch(next);
  };

  return (req, res, next) => {
    // Every companion file gets the app's policy: for pages it is the policy they run under, and for
    // the service worker and the storage worker scripts it is the policy of the worker itself.
    res.setHeader('Content-Security-Policy', companionCsp(req));
    // Chromium refuses any script of the page that comes without an integrity attribute.
    res.setHeader('Integrity-Policy', INTEGRITY_POLICY);
    files(req, res, () => fallback(req, res, next));
  };
}
