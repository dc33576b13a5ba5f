// Chrome: reaching the engine in the offscreen document, and keeping that document alive. The document is
// created on demand, exactly one, and survives the service worker being stopped; requests wait for it and
// retry while it starts. If it goes away (closed, or its renderer crashed) the background notices through
// a port the document holds open to it, and creates it again at once.

import { type Browser, browser } from 'wxt/browser';
import type { EngineSnapshot } from '../core/engine/engine';
import type { EngineRequest, EngineResponses, RpcResult, ToOffscreen } from './extension-messages';

const OFFSCREEN_PATH = '/offscreen.html';
/** The port the offscreen document keeps open to the background; it closing is how a lost document shows. */
export const ENGINE_HOST_PORT = 'directdrop-engine-host';
/**
 * After the port closes, the document may still be listed for a moment (it is being torn down), so the
 * background looks again a few times before concluding it is gone for good.
 */
const RECHECK_DELAYS_MS = [0, 250, 1_000, 3_000];
/** The document reconnects after the worker was stopped; a worker that cannot start is not hammered. */
const RECONNECT_DELAY_MS = 1_000;
let creating: Promise<void> | undefined;

async function hasOffscreenDocument(): Promise<boolean> {
  const contexts = await browser.runtime.getContexts({
    contextTypes: ['OFFSCREEN_DOCUMENT' as Browser.runtime.ContextType],
    documentUrls: [browser.runtime.getURL(OFFSCREEN_PATH)],
  });
  return contexts.length > 0;
}

export async function ensureOffscreenDocument(): Promise<void> {
  if (await hasOffscreenDocument()) return;
  creating ??= browser.offscreen
    .createDocument({
      url: OFFSCREEN_PATH,
      reasons: ['WEB_RTC' as Browser.offscreen.Reason, 'CLIPBOARD' as Browser.offscreen.Reason],
      justification:
        'Keeps the peer-to-peer WebRTC connections to your paired devices open and copies received text.',
    })
    .catch(async (error: unknown) => {
      // Another caller won the race: that is fine as long as the document now exists.
      if (!(await hasOffscreenDocument())) throw error;
    })
    .finally(() => {
      creating = undefined;
    });
  await creating;
}

export async function askOffscreenEngine(
  request: EngineRequest,
): Promise<RpcResult<EngineResponses[EngineRequest['type']]>> {
  const message: ToOffscreen = { to: 'offscreen', request };
  for (let attempt = 0; ; attempt++) {
    await ensureOffscreenDocument();
    try {
      const result = (await browser.runtime.sendMessage(message)) as
        | RpcResult<EngineResponses[EngineRequest['type']]>
        | undefined;
      if (result) return result;
    } catch (error) {
      if (attempt >= 20)
        return { ok: false, error: `DirectDrop’s connection host is not answering (${error}).` };
    }
    if (attempt >= 20) return { ok: false, error: 'DirectDrop’s connection host is not answering.' };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Background side: when the engine host's port closes, the document was closed or crashed (the worker's
 * own stop never gets here). Transfers and the outbox live in that document and only move while it runs,
 * and nothing else would start it again until the user next opens the popup, so it is created again now.
 */
export function watchOffscreenDocument(port: Browser.runtime.Port, onError: (error: unknown) => void): void {
  if (port.name !== ENGINE_HOST_PORT) return;
  port.onDisconnect.addListener(() => {
    for (const delay of RECHECK_DELAYS_MS) {
      setTimeout(() => void ensureOffscreenDocument().catch(onError), delay);
    }
  });
}

/** True while something waits to go out or is on its way, in either direction. */
export function hasPendingWork(snapshot: EngineSnapshot): boolean {
  return (
    snapshot.outbox.some((entry) => entry.state === 'queued' || entry.state === 'sending') ||
    snapshot.transfers.some((t) => ['offering', 'sending', 'receiving', 'interrupted'].includes(t.state))
  );
}

/**
 * Offscreen side: keeps a port open to the background so it notices if this document goes away. A stopped
 * worker closes the port; while work is pending the document opens it again (which starts the worker), so
 * a lost document is always noticed; otherwise it waits until it next has something to tell the worker,
 * which wakes it anyway, and lets an idle worker sleep.
 */
export function linkToBackground(): { touch(pending?: boolean): void } {
  let port: Browser.runtime.Port | undefined;
  let pending = false;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  const connect = () => {
    if (port) return;
    try {
      port = browser.runtime.connect({ name: ENGINE_HOST_PORT });
    } catch {
      // The extension is being reloaded or removed: this document is about to go too.
      return;
    }
    port.onDisconnect.addListener(() => {
      port = undefined;
      if (pending && reconnect === undefined) {
        reconnect = setTimeout(() => {
          reconnect = undefined;
          connect();
        }, RECONNECT_DELAY_MS);
      }
    });
  };
  return {
    touch(next) {
      if (next !== undefined) pending = next;
      connect();
    },
  };
}
