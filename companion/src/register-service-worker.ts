// Registers the companion's service worker (offline start, installability). Browsers only allow it in a
// secure context, and in the Vite dev server it would cache modules that are meant to change.

export function registerServiceWorker(): void {
  if (import.meta.env.DEV || !globalThis.isSecureContext || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js').catch(() => {
    // The app works without it; it only loses offline start.
  });
}
