// Entry point (`npm run server`, i.e. `tsx server/main.ts`): configuration from the environment and
// --flags, a startup banner telling the user which URL to open where (with a QR code of it for phones),
// and a graceful shutdown on SIGTERM/SIGINT: clients are told to come back, sockets drain, exit 0.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { createDirectDropServer, type DirectDropServer, PEER_KEY, PEER_PATH } from './app';
import { loadConfig, type ServerConfig } from './config';
import { createLogger } from './log';

// Draining is bounded (DRAIN_TIMEOUT_MS); this only catches a close() that hangs regardless.
const FORCE_EXIT_AFTER_MS = 8_000;

async function main(): Promise<void> {
  let config: ServerConfig;
  let server: DirectDropServer;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (error) {
    console.error(`DirectDrop server could not start: ${messageOf(error)}`);
    process.exit(1);
  }
  const log = createLogger(config.logLevel);
  try {
    server = await createDirectDropServer(config, { logger: log });
  } catch (error) {
    console.error(`DirectDrop server could not start: ${messageOf(error)}`);
    process.exit(1);
  }

  if (config.logLevel !== 'silent') console.log(await banner(config, server));

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    // A second Ctrl+C means "now".
    if (stopping) process.exit(1);
    stopping = true;
    log.info('shutdown.signal', { signal });
    setTimeout(() => process.exit(1), FORCE_EXIT_AFTER_MS).unref();
    server.drain().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function banner(config: ServerConfig, server: DirectDropServer): Promise<string> {
  const companionBuilt = existsSync(join(config.companionDir, 'index.html'));
  const lines = ['', 'DirectDrop server is running', `  HTTP             ${server.httpUrl}`];
  if (server.httpsUrl) {
    const kind = config.tls?.kind === 'self-signed' ? 'self-signed certificate' : 'certificate';
    lines.push(`  HTTPS            ${server.httpsUrl}`);
    lines.push(`                   ${kind}, SHA-256 ${server.certificateFingerprint ?? 'unknown'}`);
  }
  lines.push(`  Open on phones   ${server.publicUrl}`);
  lines.push(
    `  Companion app    ${config.companionDir}${companionBuilt ? '' : '  (not built yet: run `npm run build:companion`)'}`,
  );
  lines.push(`  PeerJS           path ${PEER_PATH}, key ${PEER_KEY}`);
  lines.push('  Presence         path /presence');

  const url = new URL(server.publicUrl);
  const localOnly = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && !localOnly) {
    lines.push(
      '',
      `WARNING: PUBLIC_URL is plain http on ${url.hostname}. Browsers only allow the encryption the app`,
      'relies on (Web Crypto) over HTTPS or on localhost, so phones will not work with this URL.',
      'Use TLS_SELF_SIGNED=1, or TLS_CERT and TLS_KEY, or an https PUBLIC_URL behind a TLS proxy.',
    );
  } else if (localOnly) {
    lines.push(
      '',
      'Note: phones cannot open a localhost URL. To pair a phone on this network, restart with',
      'TLS_SELF_SIGNED=1 (or TLS_CERT/TLS_KEY) so the companion is served over HTTPS on your LAN address.',
    );
  }
  if (!localOnly) {
    // Scanning this opens the companion app on a phone; pairing itself uses the code the extension shows.
    const qr = await QRCode.toString(server.publicUrl, { type: 'terminal', small: true });
    lines.push('', `Scan to open ${server.publicUrl} on a phone:`, qr.trimEnd());
  }
  lines.push('');
  return lines.join('\n');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

void main();
