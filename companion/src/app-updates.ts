// The page's side of the pinned app (companion/public/sw.js): registers the service worker, learns which
// build runs (to report it to paired devices), and turns a new build the server offers into an offer the
// user accepts or not. It also notices when the worker was replaced without the user's consent, which
// only the server's own worker code can do (docs/SECURITY.md).

import type { AppBuild } from '../../core/protocol/app-build';

declare const __COMPANION_VERSION__: string;

export interface OfferedBuild extends AppBuild {
  digest: string;
}

export type AppUpdateView =
  /** Still asking the service worker, or the first install is under way. */
  | { state: 'starting' }
  /** This page runs the pinned build; `offer` is a newer one, checked and ready, if the server has one. */
  | { state: 'pinned'; running: OfferedBuild; offer?: OfferedBuild; applying?: boolean; error?: string }
  /** The server offered a build whose files do not match its own manifest; nothing changed. */
  | { state: 'rejected'; running: OfferedBuild; version: string; reason: string }
  /** No pinned copy: no service worker in this browser, or this page is not the build it pinned. */
  | { state: 'unpinned'; version: string; reason: string }
  /**
   * Code that is not a DirectDrop build was installed as this app's worker: it waits (`installed`), and the
   * browser will run it on its own, or it already took over without the user's consent (`active`).
   */
  | { state: 'replaced'; stage: 'installed' | 'active' };

interface WorkerStatus {
  ok: boolean;
  error?: string;
  worker?: OfferedBuild;
  pinned?: (OfferedBuild & { files: string[] }) | null;
}

// A DirectDrop worker answers in milliseconds, even when the browser has to start it first.
const ASK_TIMEOUT_MS = 10_000;
/** The bundle this code is part of; the pinned build lists it if this page is that build. */
const ENTRY_PATH = new URL(import.meta.url).pathname;

export class AppUpdates {
  #view: AppUpdateView = { state: 'starting' };
  readonly #listeners = new Set<(view: AppUpdateView) => void>();
  #registration: ServiceWorkerRegistration | undefined;
  #consented = false;
  #offerTarget: ServiceWorker | undefined;

  get view(): AppUpdateView {
    return this.#view;
  }

  subscribe(listener: (view: AppUpdateView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (!globalThis.isSecureContext || !('serviceWorker' in navigator)) {
      this.#set({ state: 'unpinned', version: __COMPANION_VERSION__, reason: 'no-service-worker' });
      return;
    }
    const container = navigator.serviceWorker;
    const controlledAtStart = !!container.controller;
    container.addEventListener('controllerchange', () => {
      if (this.#consented) location.reload();
      else if (controlledAtStart) this.#set({ state: 'replaced', stage: 'active' });
      else void this.refresh();
    });
    container.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: unknown; version?: unknown; reason?: unknown } | null;
      if (data?.type === 'update-ready') void this.refresh();
      if (data?.type !== 'update-rejected') return;
      if (this.#view.state === 'pinned') {
        this.#set({
          state: 'rejected',
          running: this.#view.running,
          version: String(data.version).slice(0, 64),
          reason: String(data.reason).slice(0, 300),
        });
      } else if (!container.controller) {
        // The first install failed: this page runs whatever the server sent, with nothing pinned.
        this.#set({ state: 'unpinned', version: __COMPANION_VERSION__, reason: 'install-failed' });
      }
    });
    try {
      this.#registration = await container.register('/sw.js', { updateViaCache: 'none' });
    } catch {
      this.#set({ state: 'unpinned', version: __COMPANION_VERSION__, reason: 'registration-failed' });
      return;
    }
    this.#registration.addEventListener('updatefound', () => {
      this.#registration?.installing?.addEventListener('statechange', () => void this.refresh());
    });
    await container.ready;
    await this.refresh();
    this.checkForUpdate();
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.checkForUpdate();
    });
  }

  /** Asks the browser to look for a new /sw.js now (it also does so by itself on page loads). */
  checkForUpdate(): void {
    this.#registration?.update().catch(() => {
      // Offline or the server is down: the pinned build runs on.
    });
  }

  async refresh(): Promise<void> {
    if (this.#view.state === 'replaced') return;
    const controller = navigator.serviceWorker.controller;
    if (!controller) return;
    const status = await ask(controller, 'status').catch(() => undefined);
    const pinned = status?.pinned;
    if (!status?.worker || !pinned) return;
    if (!pinned.files.includes(ENTRY_PATH)) {
      this.#set({ state: 'unpinned', version: __COMPANION_VERSION__, reason: 'not-the-pinned-build' });
      return;
    }
    const running = { version: pinned.version, digest: pinned.digest };
    // A new build waits in a worker of its own, or (once the browser activated that worker while no tab
    // was open) is the active worker's build while the pin still names the old one.
    let offer: OfferedBuild | undefined;
    this.#offerTarget = undefined;
    const waiting = this.#registration?.waiting;
    const waitingStatus = waiting ? await ask(waiting, 'status').catch(() => undefined) : undefined;
    if (waiting && !waitingStatus?.worker && waiting === this.#registration?.waiting) {
      // Every DirectDrop worker answers; one that does not is someone else's code.
      this.#set({ state: 'replaced', stage: 'installed' });
      return;
    }
    if (waiting && waitingStatus?.worker && waitingStatus.worker.digest !== running.digest) {
      offer = waitingStatus.worker;
      this.#offerTarget = waiting;
    } else if (status.worker.digest !== running.digest) {
      offer = status.worker;
      this.#offerTarget = controller;
    }
    if (this.#view.state === 'rejected' && !offer) return;
    this.#set({ state: 'pinned', running, ...(offer ? { offer } : {}) });
  }

  /** The user agreed: the offered build becomes the pinned one and the page reloads into it. */
  async apply(): Promise<void> {
    const view = this.#view;
    const target = this.#offerTarget;
    if (view.state !== 'pinned' || !view.offer || !target) return;
    this.#set({ ...view, applying: true });
    this.#consented = true;
    try {
      const status = await ask(target, 'apply');
      if (!status.ok) throw new Error(status.error ?? 'the update could not be applied');
      // A waiting worker takes over and the reload follows its controllerchange; an active one is there.
      if (target === navigator.serviceWorker.controller) location.reload();
    } catch (error) {
      this.#consented = false;
      this.#set({ ...view, applying: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  #set(view: AppUpdateView): void {
    // Once the worker was replaced behind the user's back, nothing this page learns later undoes that.
    if (this.#view.state === 'replaced' && view.state !== 'replaced') return;
    this.#view = view;
    for (const listener of this.#listeners) listener(view);
  }
}

function ask(worker: ServiceWorker, type: 'status' | 'apply'): Promise<WorkerStatus> {
  return new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => reject(new Error('the service worker did not answer')), ASK_TIMEOUT_MS);
    channel.port1.onmessage = (event: MessageEvent) => {
      clearTimeout(timer);
      resolve(event.data as WorkerStatus);
    };
    worker.postMessage({ type }, [channel.port2]);
  });
}

/** What this page reports to paired devices about the app it runs. */
export function reportedBuild(view: AppUpdateView): AppBuild | undefined {
  if (view.state === 'pinned' || view.state === 'rejected') return view.running;
  if (view.state === 'unpinned') return { version: view.version, digest: null };
  return undefined;
}
