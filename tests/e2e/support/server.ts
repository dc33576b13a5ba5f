// The real DirectDrop server (PeerServer + companion app), started in the test process on loopback so a
// test can stop and restart it on the same port. COMPANION_DIR in `env` serves another companion build.

import { resolve } from 'node:path';
import { createDirectDropServer, type DirectDropServer } from '../../../server/app';
import { loadConfig } from '../../../server/config';

export async function startServer(port = 0, env: Record<string, string> = {}): Promise<DirectDropServer> {
  const config = loadConfig({
    COMPANION_DIR: resolve('dist/companion'),
    ...env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  return createDirectDropServer(config);
}
