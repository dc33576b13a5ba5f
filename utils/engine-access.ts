// How the background reaches the engine: on Chrome it lives in the offscreen document (WebRTC needs a
// page); on Firefox the persistent background page hosts it directly. Same requests either way.

import { browser } from 'wxt/browser';
import { hostExtensionEngine } from './extension-engine-host';
import type { EngineEvent, EngineRequest, EngineResponses, RpcResult } from './extension-messages';
import { askOffscreenEngine, ensureOffscreenDocument } from './offscreen-engine';
import { loadSettings } from './settings';

export interface EngineAccess {
  /** Makes sure the engine is running (idempotent; called on every wake-up). */
  start(): Promise<void>;
  request<T extends EngineRequest['type']>(
    request: Extract<EngineRequest, { type: T }>,
  ): Promise<RpcResult<EngineResponses[T]>>;
}

export function offscreenEngineAccess(): EngineAccess {
  return { start: ensureOffscreenDocument, request: (request) => askOffscreenEngine(request) as never };
}

/** Firefox: the engine runs right here; its events go to our own handler and to open extension pages. */
export function localEngineAccess(onEvent: (event: EngineEvent) => void): EngineAccess {
  const host = hostExtensionEngine({
    loadSettings,
    broadcast: (event) => {
      onEvent(event);
      browser.runtime.sendMessage({ from: 'engine', event }).catch(() => {});
    },
  });
  return {
    start: async () => {
      await host.ready;
    },
    request: (request) => host.answer(request) as never,
  };
}
