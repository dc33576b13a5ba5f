// Answers the extension's engine requests wherever the engine lives (the Chrome offscreen document or the
// Firefox background page), turning failures into messages the popup can show as they are.

import type { BrowserEngine } from './browser-engine';
import type { EngineRequest, EngineResponses, RpcResult } from './extension-messages';
import { fetchAsFile } from './fetch-as-file';
import { queueFilesForDevices } from './queue-files';

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
      return engine.sendItem(request.deviceId, request.item);
    case 'send-url-as-file':
      return queueFilesForDevices(engine, request.deviceIds, [await fetchAsFile(request.url, request.name)]);
    case 'accept-transfer':
      await engine.acceptTransfer(request.transferId);
      return null;
    case 'decline-transfer':
      engine.declineTransfer(request.transferId);
      return null;
    case 'cancel-transfer':
      await engine.cancelTransfer(request.transferId);
      return null;
    case 'set-auto-accept':
      await engine.setAutoAccept(request.deviceId, request.autoAccept);
      return null;
    case 'set-visible':
      await engine.setVisible(request.visible);
      return null;
    case 'connect-nearby':
      await engine.connectNearby(request.peerId);
      return null;
    case 'request-pairing':
      engine.requestPairing(request.deviceId);
      return null;
    case 'decline-pairing':
      engine.declinePairing(request.deviceId);
      return null;
    case 'received-file-url': {
      const entry = engine
        .inbox()
        .find(
          (e) =>
            e.item.kind === 'file' &&
            e.item.transferId === request.transferId &&
            e.item.file === request.file,
        );
      if (entry?.item.kind !== 'file') throw new Error('That file is no longer here.');
      const file = await host.files.getFile(
        request.transferId,
        request.file,
        entry.item.name,
        entry.item.type,
      );
      return URL.createObjectURL(file);
    }
    case 'release-received-file':
      if (request.url) URL.revokeObjectURL(request.url);
      await host.files.remove(request.transferId, request.file);
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
