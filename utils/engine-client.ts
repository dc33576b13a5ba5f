// How extension pages (popup, options) reach the engine: a typed request to the background, which
// forwards it to wherever the engine runs, and a subscription to the engine's broadcasts.

import { browser } from 'wxt/browser';
import {
  type EngineEvent,
  type EngineRequest,
  type EngineResponses,
  isEngineBroadcast,
  type RpcResult,
  type ToBackground,
} from './extension-messages';

export async function askEngine<T extends EngineRequest['type']>(
  request: Extract<EngineRequest, { type: T }>,
): Promise<EngineResponses[T]> {
  const message: ToBackground = { to: 'background', request };
  const result = (await browser.runtime.sendMessage(message)) as RpcResult<EngineResponses[T]> | undefined;
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
