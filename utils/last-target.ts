// The device the user last sent something to, for the "send this tab" keyboard shortcut. It is whatever
// device the last accepted send named (from the popup, a context menu or a notification), kept in
// extension storage so it survives the service worker and the browser restarting.

import { storage } from 'wxt/utils/storage';
import type { EngineAccess } from './engine-access';
import type { EngineRequest } from './extension-messages';

const lastTargetItem = storage.defineItem<string | null>('local:lastTarget', { fallback: null });

export function loadLastTarget(): Promise<string | null> {
  return lastTargetItem.getValue();
}

/** The one device a send request names; none for requests that are not sends or name several. */
export function sendTargetOf(request: EngineRequest): string | undefined {
  switch (request.type) {
    case 'send-item':
      return request.deviceId;
    case 'send-url-as-file':
      return request.deviceIds.length === 1 ? request.deviceIds[0] : undefined;
    default:
      return undefined;
  }
}

/** The same access, remembering the device of every send the engine accepted. */
export function rememberingLastTarget(access: EngineAccess): EngineAccess {
  return {
    start: () => access.start(),
    async request(request) {
      const result = await access.request(request);
      const target = sendTargetOf(request);
      if (result.ok && target) await lastTargetItem.setValue(target);
      return result;
    },
  };
}
