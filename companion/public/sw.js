// DirectDrop companion service worker: pins the app build this phone first installed (trust on first use).
//
// - Every file of a build is fetched once, checked against the digest the build published (BUILD below,
//   filled in by companion/build/companion-build.ts), and kept in Cache Storage under the build digest.
// - Which build runs is one record in Cache Storage, the pin. Every page load and every file, whatever
//   the path or #fragment of the address, is answered from the pinned build; the server is never asked
//   for the app again. A file missing from the cache is fetched and served only if it matches its digest;
//   any other path of the origin is answered 404 by the worker.
// - A new worker from the server (the browser checks /sw.js for changes by itself) caches and checks its
//   build, then waits. The page shows the offer with the new version; only the user's consent moves the
//   pin. If the browser activates the new worker on its own (every tab of the app was closed), the new
//   worker still serves the pinned build until the user agrees.
// What this cannot do: a hostile /sw.js is installed by the browser like any other, and its code decides
// for itself; see docs/SECURITY.md. Signalling (/peerjs, /presence), /config and /health are live and
// never intercepted.

const BUILD = null;

const CACHE_PREFIX = 'directdrop-';
const BUILD_CACHE_PREFIX = 'directdrop-build-';
const PIN_CACHE = 'directdrop-pin';
const PIN_KEY = '/__directdrop/pin';
const MANIFEST_KEY = '/__directdrop/manifest';
const SHELL_PATH = '/index.html';
const LIVE_PATHS = ['/peerjs', '/presence', '/config', '/health'];
// Used only if a build's index.html carries no policy of its own.
const FALLBACK_CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'";
const CONTENT_TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  webmanifest: 'application/manifest+json',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
};

self.addEventListener('install', (event) => {
  event.waitUntil(install());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const pin = await readPin();
      const keep = new Set([PIN_CACHE, cacheName(BUILD.digest), ...(pin ? [cacheName(pin.digest)] : [])]);
      const names = await caches.keys();
      await Promise.all(
        names.filter((n) => n.startsWith(CACHE_PREFIX) && !keep.has(n)).map((n) => caches.delete(n)),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (LIVE_PATHS.some((path) => url.pathname === path || url.pathname.startsWith(`${path}/`))) return;
  // Every route of this single-page app is index.html; the fragment (the pairing code) never reaches here.
  const path = request.mode === 'navigate' ? SHELL_PATH : url.pathname === '/' ? SHELL_PATH : url.pathname;
  event.respondWith(servePinned(path, request));
});

self.addEventListener('message', (event) => {
  const port = event.ports[0];
  const type = event.data && typeof event.data === 'object' ? event.data.type : undefined;
  if (!port || (type !== 'status' && type !== 'apply')) return;
  event.waitUntil(
    (async () => {
      try {
        if (type === 'apply') await applyOwnBuild();
        port.postMessage({ ok: true, ...(await status()) });
      } catch (error) {
        port.postMessage({ ok: false, error: messageOf(error) });
      }
    })(),
  );
});

async function install() {
  if (!BUILD) throw new Error('This service worker was not built (run npm run build:companion).');
  const pin = await readPin();
  try {
    await cacheBuild();
  } catch (error) {
    // The page in front of the user says so; the pinned build keeps running.
    await tellClients({ type: 'update-rejected', version: BUILD.version, reason: messageOf(error) });
    throw error;
  }
  if (!pin) {
    // First use: nothing is pinned yet, so this build is what the phone trusts from now on.
    await writePin(BUILD.digest);
    await self.skipWaiting();
  } else if (pin.digest === BUILD.digest) {
    await self.skipWaiting();
  } else {
    await tellClients({ type: 'update-ready', version: BUILD.version, digest: BUILD.digest });
  }
}

/** Fetches every file of this worker's build, checks each against its digest, and caches them. */
async function cacheBuild() {
  const cache = await caches.open(cacheName(BUILD.digest));
  if (await cache.match(MANIFEST_KEY)) return;
  const paths = Object.keys(BUILD.files);
  // index.html first: its policy goes on every file of the build.
  const ordered = [SHELL_PATH, ...paths.filter((p) => p !== SHELL_PATH)];
  let csp = FALLBACK_CSP;
  for (const path of ordered) {
    const body = await fetchVerified(path, BUILD.files[path]);
    if (path === SHELL_PATH) csp = policyOf(new TextDecoder().decode(body)) ?? FALLBACK_CSP;
    await cache.put(path, new Response(body, { headers: headersFor(path, csp) }));
  }
  // Written last: a build cache with a manifest is complete.
  await cache.put(MANIFEST_KEY, Response.json(BUILD));
}

async function fetchVerified(path, integrity) {
  if (!integrity) throw new Error(`${path} is not part of the build`);
  const response = await fetch(new Request(path, { cache: 'reload', redirect: 'error' }));
  if (!response.ok) throw new Error(`${path} could not be fetched (HTTP ${response.status})`);
  const body = await response.arrayBuffer();
  if ((await integrityOf(body)) !== integrity) {
    throw new Error(`${path} does not match the digest its build published`);
  }
  return body;
}

async function servePinned(path, request) {
  const pinned = await pinnedBuild();
  if (!pinned) return fetch(request);
  if (!pinned.manifest) return missing("its files are gone from this browser's storage");
  if (!(path in pinned.manifest.files)) {
    // Not a file of the pinned app: nothing the server sends for it may run in the app's origin (a page of
    // an older build still open after an update could ask for its own files, for instance).
    return new Response('Not part of the installed DirectDrop app.\n', {
      status: 404,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    });
  }
  const cached = await pinned.cache.match(path);
  if (cached) return cached;
  // The entry was lost (storage pressure): the server's copy is used only if it is the pinned one.
  try {
    const body = await fetchVerified(path, pinned.manifest.files[path]);
    const csp = policyOf(await ((await pinned.cache.match(SHELL_PATH))?.text() ?? '')) ?? FALLBACK_CSP;
    const response = new Response(body, { headers: headersFor(path, csp) });
    await pinned.cache.put(path, response.clone());
    return response;
  } catch (error) {
    return missing(messageOf(error));
  }
}

function missing(why) {
  return new Response(`A file of the installed DirectDrop app is missing: ${why}.\n`, {
    status: 502,
    headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/**
 * The pinned build: its cache and manifest (undefined if its files were lost). Undefined before anything
 * was pinned, which an active worker only meets if the browser's storage was cleared under it.
 */
async function pinnedBuild() {
  const pin = await readPin();
  if (!pin) return undefined;
  const cache = await caches.open(cacheName(pin.digest));
  const stored = await cache.match(MANIFEST_KEY);
  return { digest: pin.digest, cache, manifest: stored ? await stored.json() : undefined };
}

/** The user agreed to run this worker's build: it becomes the pinned one. */
async function applyOwnBuild() {
  const cache = await caches.open(cacheName(BUILD.digest));
  if (!(await cache.match(MANIFEST_KEY))) throw new Error('this update is not fully downloaded');
  await writePin(BUILD.digest);
  // Activates this worker if it is the waiting one (its activate drops the old build); for the active
  // worker it does nothing, so the old build's files go here.
  await self.skipWaiting();
  const keep = new Set([PIN_CACHE, cacheName(BUILD.digest)]);
  const names = await caches.keys();
  await Promise.all(
    names.filter((n) => n.startsWith(CACHE_PREFIX) && !keep.has(n)).map((n) => caches.delete(n)),
  );
}

async function status() {
  const pinned = await pinnedBuild();
  return {
    worker: { version: BUILD.version, digest: BUILD.digest },
    pinned: pinned?.manifest
      ? {
          version: pinned.manifest.version,
          digest: pinned.manifest.digest,
          files: Object.keys(pinned.manifest.files),
        }
      : null,
  };
}

async function readPin() {
  const cache = await caches.open(PIN_CACHE);
  const stored = await cache.match(PIN_KEY);
  if (!stored) return undefined;
  const pin = await stored.json();
  return typeof pin?.digest === 'string' && /^[0-9a-f]{64}$/.test(pin.digest) ? pin : undefined;
}

async function writePin(digest) {
  const cache = await caches.open(PIN_CACHE);
  await cache.put(PIN_KEY, Response.json({ digest }));
}

async function tellClients(message) {
  const clients = await self.clients.matchAll({ includeUncontrolled: true, type: 'window' });
  for (const client of clients) client.postMessage(message);
}

function cacheName(digest) {
  return `${BUILD_CACHE_PREFIX}${digest}`;
}

function headersFor(path, csp) {
  const extension = path.split('.').pop() ?? '';
  const headers = {
    'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
    'Content-Security-Policy': `${csp}; frame-ancestors 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
  if (path === SHELL_PATH) {
    headers['Cross-Origin-Opener-Policy'] = 'same-origin';
    // Chromium refuses any script of the page that comes without an integrity attribute.
    headers['Integrity-Policy'] = 'blocked-destinations=(script)';
  }
  return headers;
}

/** The Content-Security-Policy of a build's index.html (its meta tag). */
function policyOf(html) {
  const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  return match ? match[1].replace(/\s+/g, ' ').trim() : undefined;
}

async function integrityOf(body) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `sha256-${btoa(binary)}`;
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}
