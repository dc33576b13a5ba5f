// Engines on real PeerJS and real WebRTC (node-datachannel) against a real DirectDrop server, for
// integration tests in Node.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDeviceProfile } from '../../core/device-naming';
import { Engine } from '../../core/engine/engine';
import { MemoryKeyValueStore } from '../../core/engine/key-value-store';
import { createDirectDropServer, type DirectDropServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { PeerJsNetwork, signallingServerFromUrl } from '../../utils/peerjs-network';
import { nodeCrypto, realClock } from './node-env';

export async function startServer(port = 0): Promise<DirectDropServer> {
  const companionDir = mkdtempSync(join(tmpdir(), 'directdrop-companion-'));
  writeFileSync(join(companionDir, 'index.html'), '<!doctype html><title>DirectDrop</title>');
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    COMPANION_DIR: companionDir,
    LOG_LEVEL: 'silent',
  });
  return createDirectDropServer(config);
}

export interface NetworkedDevice {
  engine: Engine;
  store: MemoryKeyValueStore;
  networks: PeerJsNetwork[];
}

export async function openNetworkedDevice(
  serverUrl: string,
  userAgent: string,
  store = new MemoryKeyValueStore(),
): Promise<NetworkedDevice> {
  const networks: PeerJsNetwork[] = [];
  const engine = await Engine.open({
    crypto: nodeCrypto,
    clock: realClock,
    store,
    defaultProfile: defaultDeviceProfile(userAgent),
    createNetwork: (credentials) => {
      const network = new PeerJsNetwork({
        server: signallingServerFromUrl(serverUrl),
        iceServers: [],
        credentials,
        clock: realClock,
      });
      networks.push(network);
      return network;
    },
  });
  return { engine, store, networks };
}
