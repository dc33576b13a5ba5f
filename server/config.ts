// Server configuration: turns environment variables (and optional --flags) into a validated ServerConfig.
// Every invalid value fails here, at startup, with a message naming the variable, so a typo never turns
// into a server that half works. File and network lookups are injectable to keep this unit-testable.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import { MAX_NEARBY_PEERS } from '../core/protocol/presence-messages';
import { AddressSet, parseCidr } from './client-address';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** The subset of RTCIceServer that is forwarded to clients through GET /config. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type TlsSource =
  /** PEM contents read from TLS_CERT / TLS_KEY. */
  | { kind: 'files'; cert: string; key: string }
  /** Generated (or reused from DATA_DIR) when the server starts, because generation is async. */
  | { kind: 'self-signed' };

export interface ServerConfig {
  host: string;
  port: number;
  /** Only used when `tls` is set. */
  httpsPort: number;
  tls: TlsSource | null;
  publicUrl: string;
  /** False when publicUrl was derived: the server then re-derives it from the ports it actually bound. */
  publicUrlFromEnv: boolean;
  /** Non-internal IPv4 addresses of this machine, the one a phone most likely reaches first. */
  lanAddresses: string[];
  companionDir: string;
  dataDir: string;
  iceServers: IceServer[];
  logLevel: LogLevel;
  /** Extra browser origins allowed to use CORS and the WebSockets (besides this server's and extensions'). */
  allowedOrigins: string[];
  /** Reverse proxies whose X-Forwarded-For is believed; empty: the header is ignored. */
  trustedProxies: AddressSet;
  limits: ServerLimits;
}

export interface ServerLimits {
  /** Open WebSockets (signalling and presence together) per client address (IPv6: per /64). */
  maxConnectionsPerAddress: number;
  /** WebSocket connections a client address may open per minute. */
  connectionRatePerAddress: number;
  /** Sustained messages per second per socket, and the burst allowed on top. */
  messageRate: number;
  messageBurst: number;
  /** HTTP requests per minute per client address. */
  httpRatePerAddress: number;
  /** Devices listed per presence network; more are told network-full and stay unlisted. */
  maxPresencePerNetwork: number;
  /** Signalling sockets in total, and presence sockets in total. */
  maxPeers: number;
}

export interface ConfigDeps {
  readFile(path: string): string;
  lanAddresses(): string[];
  cwd: string;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

// Flags mirror the variables so `npm run server -- --port 8080` works without exporting anything.
const FLAGS: Record<string, string> = {
  '--port': 'PORT',
  '--host': 'HOST',
  '--https-port': 'HTTPS_PORT',
  '--public-url': 'PUBLIC_URL',
  '--tls-cert': 'TLS_CERT',
  '--tls-key': 'TLS_KEY',
  '--tls-self-signed': 'TLS_SELF_SIGNED',
  '--companion-dir': 'COMPANION_DIR',
  '--data-dir': 'DATA_DIR',
  '--ice-servers': 'ICE_SERVERS',
  '--log-level': 'LOG_LEVEL',
  '--allowed-origins': 'ALLOWED_ORIGINS',
  '--trusted-proxy': 'TRUSTED_PROXY',
  '--max-connections-per-address': 'MAX_CONNECTIONS_PER_ADDRESS',
  '--connection-rate-per-address': 'CONNECTION_RATE_PER_ADDRESS',
  '--message-rate': 'MESSAGE_RATE',
  '--message-burst': 'MESSAGE_BURST',
  '--http-rate-per-address': 'HTTP_RATE_PER_ADDRESS',
  '--max-presence-per-network': 'MAX_PRESENCE_PER_NETWORK',
  '--max-peers': 'MAX_PEERS',
};
const BOOLEAN_FLAGS = new Set(['--tls-self-signed']);

export function loadConfig(
  env: NodeJS.ProcessEnv,
  argv: string[] = [],
  deps: ConfigDeps = defaultDeps(),
): ServerConfig {
  const vars = { ...env, ...parseFlags(argv) };
  const get = (name: string): string | undefined => {
    const value = vars[name]?.trim();
    return value === '' ? undefined : value;
  };

  const port = parsePort('PORT', get('PORT'), 9000);
  const httpsPort = parsePort('HTTPS_PORT', get('HTTPS_PORT'), 9443);
  const host = get('HOST') ?? '0.0.0.0';
  const tls = parseTls(get, deps);
  if (tls && port !== 0 && port === httpsPort) {
    throw new Error(
      `HTTPS_PORT must differ from PORT (both are ${port}): HTTP and HTTPS listen side by side.`,
    );
  }

  const lanAddresses = deps.lanAddresses();
  const explicitUrl = get('PUBLIC_URL');
  const publicUrl =
    explicitUrl === undefined
      ? derivePublicUrl({ tls: tls !== null, host, port, httpsPort, lanAddress: lanAddresses[0] })
      : parsePublicUrl(explicitUrl);

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!isLogLevel(logLevel)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}").`);
  }

  return {
    host,
    port,
    httpsPort,
    tls,
    publicUrl,
    publicUrlFromEnv: explicitUrl !== undefined,
    lanAddresses,
    companionDir: resolve(deps.cwd, get('COMPANION_DIR') ?? 'dist/companion'),
    dataDir: resolve(deps.cwd, get('DATA_DIR') ?? '.directdrop'),
    iceServers: parseIceServers(get('ICE_SERVERS')),
    logLevel,
    allowedOrigins: parseAllowedOrigins(get('ALLOWED_ORIGINS')),
    trustedProxies: parseTrustedProxies(get('TRUSTED_PROXY')),
    limits: parseLimits(get),
  };
}

// Defaults fit a home or small-office server: a household behind one public address opens a few sockets
// per device, and a page load of the companion app is a couple of dozen requests.
function parseLimits(get: (name: string) => string | undefined): ServerLimits {
  const int = (name: string, fallback: number, max: number): number =>
    parseCount(name, get(name), fallback, max);
  const messageRate = int('MESSAGE_RATE', 50, 100_000);
  const messageBurst = int('MESSAGE_BURST', Math.max(200, messageRate), 1_000_000);
  if (messageBurst < messageRate) {
    throw new Error(
      `MESSAGE_BURST must be at least MESSAGE_RATE (${messageRate}): a socket may always send one second's worth.`,
    );
  }
  return {
    maxConnectionsPerAddress: int('MAX_CONNECTIONS_PER_ADDRESS', 64, 1_000_000),
    connectionRatePerAddress: int('CONNECTION_RATE_PER_ADDRESS', 120, 10_000_000),
    messageRate,
    messageBurst,
    httpRatePerAddress: int('HTTP_RATE_PER_ADDRESS', 1_200, 10_000_000),
    maxPresencePerNetwork: int('MAX_PRESENCE_PER_NETWORK', 64, MAX_NEARBY_PEERS),
    maxPeers: int('MAX_PEERS', 10_000, 1_000_000),
  };
}

function parseCount(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new Error(`${name} must be a whole number from 1 to ${max} (got "${raw}").`);
  }
  return value;
}

function parseAllowedOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      const origin = url?.origin;
      if (
        !url ||
        (url.protocol !== 'http:' && url.protocol !== 'https:') ||
        entry.replace(/\/$/, '') !== origin
      ) {
        throw new Error(
          `ALLOWED_ORIGINS entries must be origins such as https://directdrop.example.org (got "${entry}").`,
        );
      }
      return origin;
    });
}

function parseTrustedProxies(raw: string | undefined): AddressSet {
  if (raw === undefined) return new AddressSet([]);
  const ranges = raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      const range = parseCidr(entry);
      if (!range) {
        throw new Error(
          `TRUSTED_PROXY entries must be IP addresses or CIDR ranges such as 127.0.0.1 or 10.0.0.0/8 (got "${entry}").`,
        );
      }
      return range;
    });
  return new AddressSet(ranges);
}

/**
 * Phones open this URL (it ends up in the pairing QR code). With TLS the LAN address is the useful one;
 * without TLS only localhost counts as a secure context, so a LAN http URL would be a trap.
 */
export function derivePublicUrl(opts: {
  tls: boolean;
  host: string;
  port: number;
  httpsPort: number;
  lanAddress: string | undefined;
}): string {
  const bound = isWildcardHost(opts.host) ? undefined : urlHost(opts.host);
  if (opts.tls) return `https://${bound ?? opts.lanAddress ?? 'localhost'}:${opts.httpsPort}`;
  const loopback = bound === undefined || bound === '127.0.0.1' || bound === '[::1]';
  return `http://${loopback ? 'localhost' : bound}:${opts.port}`;
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** HOST as it appears in a URL: wildcards become localhost, IPv6 literals get their brackets. */
export function urlHost(host: string): string {
  if (isWildcardHost(host)) return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Non-internal, non-link-local IPv4 addresses; virtual/VPN adapters last so Docker's bridge is not picked. */
export function lanIPv4Addresses(): string[] {
  const virtual = /^(docker|br-|veth|virbr|vboxnet|vmnet|tailscale|zt|wg|utun|tun|tap)/i;
  const found: { address: string; virtual: boolean }[] = [];
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4' || info.internal || info.address.startsWith('169.254.')) continue;
      found.push({ address: info.address, virtual: virtual.test(name) });
    }
  }
  return [...found.filter((f) => !f.virtual), ...found.filter((f) => f.virtual)].map((f) => f.address);
}

function defaultDeps(): ConfigDeps {
  return {
    readFile: (path) => readFileSync(path, 'utf8'),
    lanAddresses: lanIPv4Addresses,
    cwd: process.cwd(),
  };
}

function parseFlags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const name = FLAGS[flag];
    if (!name) {
      throw new Error(`Unknown option "${arg}". Known options: ${Object.keys(FLAGS).join(', ')}.`);
    }
    if (eq !== -1) {
      out[name] = arg.slice(eq + 1);
    } else if (BOOLEAN_FLAGS.has(flag)) {
      out[name] = '1';
    } else {
      const value = argv[++i];
      if (value === undefined) throw new Error(`Option ${flag} needs a value.`);
      out[name] = value;
    }
  }
  return out;
}

function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new Error(`${name} must be a port number between 0 and 65535 (got "${raw}").`);
  }
  return port;
}

function parseBoolean(name: string, raw: string | undefined): boolean {
  if (raw === undefined) return false;
  const value = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`${name} must be 1 or 0 (got "${raw}").`);
}

function parseTls(get: (name: string) => string | undefined, deps: ConfigDeps): TlsSource | null {
  const certPath = get('TLS_CERT');
  const keyPath = get('TLS_KEY');
  const selfSigned = parseBoolean('TLS_SELF_SIGNED', get('TLS_SELF_SIGNED'));

  if (certPath === undefined && keyPath === undefined) return selfSigned ? { kind: 'self-signed' } : null;
  if (selfSigned) throw new Error('Set either TLS_CERT and TLS_KEY, or TLS_SELF_SIGNED=1, not both.');
  if (certPath === undefined) throw new Error('TLS_KEY is set but TLS_CERT is missing: set both or neither.');
  if (keyPath === undefined) throw new Error('TLS_CERT is set but TLS_KEY is missing: set both or neither.');

  const cert = readVar('TLS_CERT', certPath, deps);
  const key = readVar('TLS_KEY', keyPath, deps);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new Error(`TLS_CERT (${certPath}) is not a PEM certificate.`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new Error(`TLS_KEY (${keyPath}) is not an unencrypted PEM private key.`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new Error(`TLS_KEY (${keyPath}) does not match the certificate in TLS_CERT (${certPath}).`);
  }
  return { kind: 'files', cert, key };
}

function readVar(name: string, path: string, deps: ConfigDeps): string {
  try {
    return deps.readFile(resolve(deps.cwd, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${name} file "${path}" cannot be read${code ? ` (${code})` : ''}.`);
  }
}

function parsePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute URL such as https://192.168.1.20:9443 (got "${raw}").`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`PUBLIC_URL must start with http:// or https:// (got "${raw}").`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new Error(`PUBLIC_URL must not contain credentials, a query or a fragment (got "${raw}").`);
  }
  // Clients append paths to it, so a trailing slash would produce "//".
  return url.href.replace(/\/+$/, '');
}

function parseIceServers(raw: string | undefined): IceServer[] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('ICE_SERVERS must be valid JSON: an array like [{"urls":"stun:stun.example.org:3478"}].');
  }
  if (!Array.isArray(parsed)) throw new Error('ICE_SERVERS must be a JSON array of RTCIceServer objects.');
  return parsed.map((entry: unknown, i) => {
    const where = `ICE_SERVERS[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new Error(`${where} must be an object with a "urls" field.`);
    }
    const { urls, username, credential } = entry as Record<string, unknown>;
    const list = typeof urls === 'string' ? [urls] : urls;
    if (!Array.isArray(list) || list.length === 0 || !list.every(isIceUrl)) {
      throw new Error(
        `${where}.urls must be a stun:, stuns:, turn: or turns: URL, or a non-empty array of them.`,
      );
    }
    if (username !== undefined && typeof username !== 'string') {
      throw new Error(`${where}.username must be a string.`);
    }
    if (credential !== undefined && typeof credential !== 'string') {
      throw new Error(`${where}.credential must be a string.`);
    }
    // Rebuilt field by field so nothing unexpected from the variable is echoed to clients.
    const server: IceServer = { urls: urls as string | string[] };
    if (username !== undefined) server.username = username;
    if (credential !== undefined) server.credential = credential;
    return server;
  });
}

function isIceUrl(value: unknown): value is string {
  return typeof value === 'string' && /^(stun|stuns|turn|turns):\S+$/.test(value);
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
