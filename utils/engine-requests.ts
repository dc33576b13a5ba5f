// Answers the extension's engine requests wherever the engine lives (the Chrome offscreen document or the
// Firefox background page), turning failures into messages the popup can show as they are.

import type { BrowserEngine } from './browser-engine';
import type { EngineRequest, EngineResponses, RpcResult } from './extension-messages';

export interface RequestContext {
  host: BrowserEngine;
  copyText(text: string): Promise<void>;
}

export async function answerEngineRequest(
  context: RequestContext,
  request: EngineRequest,
): Promise<RpcResult<EngineResponses[EngineRequest['type']]>> {
  try {
    return { ok: true, value: await perform(context, request) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

async function perform(
  { host, copyText }: RequestContext,
  request: EngineRequest,
): Promise<EngineResponses[EngineRequest['type']]> {
  const { engine } = host;
  switch (request.type) {
    case 'get-state':
      return { snapshot: engine.snapshot(), companionUrl: host.serverInfo().publicUrl };
    case 'get-inbox':
      return [...engine.inbox()];
    case 'start-pairing':
      return engine.startPairing((await host.refreshServerInfo()).publicUrl);
    case 'cancel-pairing':
      engine.cancelPairing();
      return null;
    case 'send-item':
      await engine.sendItem(request.deviceId, request.item);
      return null;
    case 'unpair':
      await engine.unpair(request.deviceId);
      return null;
    case 'rename':
      await engine.setName(request.name);
      return null;
    case 'remove-inbox-item':
      await engine.removeInboxItem(request.id);
      return null;
    case 'connection-path': {
      const session = engine.session(request.deviceId);
      return session ? await session.transport.path() : null;
    }
    case 'reconfigure':
      await host.reconfigure();
      return null;
    case 'copy-text':
      await copyText(request.text);
      return null;
  }
}
