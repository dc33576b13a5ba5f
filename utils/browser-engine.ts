// Opens the engine in a browser context (the Chrome offscreen document, the Firefox background page, the
// companion app): WebCrypto, IndexedDB, the real clock and a PeerJS network to the configured server.

import type { Clock } from '../core/clock';
import { createWebCryptoEnv, type WebCryptoLike } from '../core/crypto';
import { defaultDeviceProfile } from '../core/device-naming';
import { Engine } from '../core/engine/engine';
import { blobSource } from './blob-source';
import type { BrowserFileStore } from './browser-file-store';
import { createIdbKeyValueStore } from './idb-store';
import { createOpfsFileStore } from './opfs-file-store';
import { PeerJsNetwork, signallingServerFromUrl } from './peerjs-network';
import { PresenceSocket } from './presence-socket';
import { fetchServerInfo, type ServerInfo } from './server-info';

/** Partial files of transfers that never resumed are removed after a day. */
const PARTIAL_FILE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export const browserClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

export interface BrowserEngineOptions {
  /** Where the signalling server is reached, e.g. http://localhost:9000. Read again on every reconnect. */
  serverUrl(): Promise<string> | string;
  /** ICE servers chosen by the user; when empty, the server's suggestion (GET /config) is used. */
  iceServers?(): Promise<RTCIceServer[] | undefined> | RTCIceServer[] | undefined;
  userAgent: string;
  log?(message: string): void;
}

export interface BrowserEngine {
  engine: Engine;
  /** Where received files are kept until they are saved, shared or removed. */
  files: BrowserFileStore;
  /** The latest server facts, refreshed whenever the network is rebuilt. */
  serverInfo(): ServerInfo;
  /** Asks the server again, e.g. before showing a pairing code (the server may have started since). */
  refreshServerInfo(): Promise<ServerInfo>;
  /** Re-reads settings and reconnects to the (possibly new) server. */
  reconfigure(): Promise<void>;
}

export function isSecureEnough(): boolean {
  return globalThis.isSecureContext === true && !!globalThis.crypto?.subtle;
}

export async function openBrowserEngine(options: BrowserEngineOptions): Promise<BrowserEngine> {
  if (!isSecureEnough()) {
    throw new Error(
      'This page is not a secure context (it was opened over plain http on a network address), so the browser withholds the cryptography DirectDrop needs. Open it over https.',
    );
  }
  let serverUrl = await options.serverUrl();
  let info = await fetchServerInfo(serverUrl);
  const chosenIce = await options.iceServers?.();
  let iceServers = chosenIce?.length ? chosenIce : info.iceServers;

  const files = createOpfsFileStore();
  void files.sweep(PARTIAL_FILE_MAX_AGE_MS).catch(() => {});
  const engine = await Engine.open({
    crypto: createWebCryptoEnv(globalThis.crypto as unknown as WebCryptoLike),
    clock: browserClock,
    store: createIdbKeyValueStore(),
    defaultProfile: defaultDeviceProfile(options.userAgent),
    createNetwork: (credentials) =>
      new PeerJsNetwork({
        server: signallingServerFromUrl(serverUrl, info.peerPath),
        iceServers,
        credentials,
        clock: browserClock,
      }),
    createPresence: () =>
      new PresenceSocket({
        serverUrl,
        clock: browserClock,
        ...(options.log ? { log: options.log } : {}),
      }),
    files: {
      store: files,
      sourceFor: (stored, file) => (stored instanceof Blob ? blobSource(stored, file) : undefined),
    },
    ...(options.log ? { log: options.log } : {}),
  });

  return {
    engine,
    files,
    serverInfo: () => info,
    async refreshServerInfo() {
      info = await fetchServerInfo(serverUrl);
      return info;
    },
    async reconfigure() {
      serverUrl = await options.serverUrl();
      info = await fetchServerInfo(serverUrl);
      const chosen = await options.iceServers?.();
      iceServers = chosen?.length ? chosen : info.iceServers;
      engine.reconnectNetwork(info.publicUrl);
    },
  };
}
