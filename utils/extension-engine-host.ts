// Hosts the engine inside the extension (Chrome: offscreen document; Firefox: background page): opens it
// with the user's settings, broadcasts its snapshots and notices, and answers requests once it is ready.

import { type BrowserEngine, openBrowserEngine } from './browser-engine';
import { copyTextWithoutFocus } from './clipboard';
import { answerEngineRequest } from './engine-requests';
import type { EngineEvent, EngineRequest, EngineResponses, RpcResult } from './extension-messages';
import { acceptHandedOverFiles } from './file-handoff';
import { queueFilesForDevices } from './queue-files';
import type { Settings } from './settings';

export interface ExtensionEngineHost {
  ready: Promise<BrowserEngine>;
  answer(request: EngineRequest): Promise<RpcResult<EngineResponses[EngineRequest['type']]>>;
}

export function hostExtensionEngine(options: {
  loadSettings(): Promise<Settings>;
  broadcast(event: EngineEvent): void;
}): ExtensionEngineHost {
  const ready = openBrowserEngine({
    serverUrl: async () => (await options.loadSettings()).serverUrl,
    iceServers: async () => (await options.loadSettings()).iceServers,
    userAgent: navigator.userAgent,
    log: (message) => console.info(`[DirectDrop] ${message}`),
  }).then((host) => {
    host.engine.onSnapshot((snapshot) => options.broadcast({ kind: 'snapshot', snapshot }));
    host.engine.onNotice((notice) => options.broadcast({ kind: 'notice', notice }));
    acceptHandedOverFiles(async (deviceIds, files) => {
      try {
        return { ok: true, value: await queueFilesForDevices(host.engine, deviceIds, files) };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    });
    return host;
  });
  return {
    ready,
    async answer(request) {
      let host: BrowserEngine;
      try {
        host = await ready;
      } catch (error) {
        return {
          ok: false,
          error: `DirectDrop could not start: ${error instanceof Error ? error.message : error}`,
        };
      }
      return answerEngineRequest({ host, copyText: copyTextWithoutFocus }, request);
    },
  };
}
