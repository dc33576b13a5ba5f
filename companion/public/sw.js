// DirectDrop companion service worker: makes the app open without a network round trip and installable.
// The app shell is precached on install; navigations go to the network first (so a new build shows up
// at once) and fall back to the cached shell; hashed /assets/* never change, so they come from the cache.
// Signalling (/peerjs), /config and /health are live by nature and are never intercepted.
// The build (companion/vite.config.ts) fills in BUILD_ID and BUILD_ASSETS below.

const BUILD_ID = 'dev';
const BUILD_ASSETS = [];

const CACHE_PREFIX = 'directdrop-';
const CACHE = `${CACHE_PREFIX}${BUILD_ID}`;
const SHELL_URL = '/';
const STATIC_FILES = [
  '/manifest.webmanifest',
  '/favicon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-512.png',
  '/icons/apple-touch-icon.png',
];
const LIVE_PATHS = ['/peerjs', '/config', '/health'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Straight from the network: an HTTP-cached index.html could point at assets that no longer exist.
      const urls = [SHELL_URL, ...STATIC_FILES, ...BUILD_ASSETS];
      await cache.addAll(urls.map((url) => new Request(url, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
          .map((name) => caches.delete(name)),
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

  if (request.mode === 'navigate') {
    event.respondWith(networkFirstShell(request));
  } else if (url.pathname.startsWith('/assets/') || STATIC_FILES.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

/** Every route of this single-page app is the same index.html, so one cached copy serves them all. */
async function networkFirstShell(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    const isHtml = (response.headers.get('Content-Type') ?? '').includes('text/html');
    if (response.ok && isHtml) await cache.put(SHELL_URL, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(SHELL_URL);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}
