// Hosts the engine inside the extension (Chrome: offscreen document; Firefox: background page): opens it
// with the user's settings, broadcasts its snapshots (the latest one, at a bounded rate) and notices, and
// answers requests once it is ready, rebuilding the network only when its settings really changed.

import { latestOnly } from '../core/latest-only';
import { type BrowserEngine, browserClock, openBrowserEngine } from './browser-engine';
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

/**
 * Snapshots go to every extension context as a message, serialised whole (the outbox alone can list a
 * thousand entries). The engine emits one per state change, which in a burst (a thousand items queued or
 * delivered) is thousands of large messages that the worker and an open popup must each parse and draw;
 * listeners only ever need the latest. The popup shares its renderer's main thread with the offscreen
 * engine, so its redraws are bounded as the engine bounds progress-only snapshots.
 */
const SNAPSHOT_BROADCAST_INTERVAL_MS = 250;

export function hostExtensionEngine(options: {
  loadSettings(): Promise<Settings>;
  broadcast(event: EngineEvent): void;
}): ExtensionEngineHost {
  // What the engine's network was last built from. Rebuilding it closes every peer connection, and with
  // them every transfer under way, so a reconfigure that would change nothing (another setting was saved,
  // or the settings were written just before the engine first read them) leaves a working network alone.
  const inUse: { serverUrl?: string; iceServers?: string } = {};
  const ready = openBrowserEngine({
    serverUrl: async () => {
      inUse.serverUrl = (await options.loadSettings()).serverUrl;
      return inUse.serverUrl;
    },
    iceServers: async () => {
      const { iceServers } = await options.loadSettings();
      inUse.iceServers = JSON.stringify(iceServers);
      return iceServers;
    },
    userAgent: navigator.userAgent,
    log: (message) => console.info(`[DirectDrop] ${message}`),
  }).then((host) => {
    host.engine.onSnapshot(
      latestOnly(browserClock, SNAPSHOT_BROADCAST_INTERVAL_MS, (snapshot) =>
        options.broadcast({ kind: 'snapshot', snapshot }),
      ),
    );
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
      if (request.type === 'reconfigure' && host.engine.snapshot().server === 'online') {
        const settings = await options.loadSettings();
        if (
          settings.serverUrl === inUse.serverUrl &&
          JSON.stringify(settings.iceServers) === inUse.iceServers
        ) {
          return { ok: true, value: null };
        }
      }
      return answerEngineRequest({ host, copyText: copyTextWithoutFocus }, request);
    },
  };
}
