// How extension pages (popup, options, send page) reach the engine: a typed request to the background,
// which answers it itself (downloads) or forwards it to wherever the engine runs, and a subscription to
// the engine's broadcasts.

import { browser } from 'wxt/browser';
import {
  type BackgroundRequest,
  type BackgroundResponses,
  type EngineEvent,
  type EngineRequest,
  type EngineResponses,
  isEngineBroadcast,
  type RpcResult,
  type ToBackground,
} from './extension-messages';

/** Everything a page can ask the background: engine requests it forwards, and its own (downloads). */
type PageRequest = EngineRequest | BackgroundRequest;
type PageResponses = EngineResponses & BackgroundResponses;

export async function askEngine<T extends PageRequest['type'] & keyof PageResponses>(
  request: Extract<PageRequest, { type: T }>,
): Promise<PageResponses[T]> {
  const message: ToBackground = { to: 'background', request };
  const result = (await browser.runtime.sendMessage(message)) as RpcResult<PageResponses[T]> | undefined;
  if (!result) throw new Error('DirectDrop’s background is not answering. Reload the extension.');
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

export function onEngineEvent(listener: (event: EngineEvent) => void): () => void {
  const handler = (message: unknown) => {
    if (isEngineBroadcast(message)) listener(message.event);
  };
  browser.runtime.onMessage.addListener(handler);
  return () => browser.runtime.onMessage.removeListener(handler);
}
