// The DirectDrop server process: one express app (health, client config, companion PWA files), the
// PeerJS signalling endpoint and the presence endpoint, served over HTTP and, when TLS is configured,
// over HTTPS as well. Both listeners share one signalling realm and one presence state: a phone on
// https://<lan-ip> and a desktop on http://localhost must be able to find each other. This module
// wires the parts together and owns the lifecycle: listening, draining on shutdown, closing.

import { X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, type Server, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { WebSocket } from 'ws';
import { PRESENCE_PATH } from '../core/protocol/presence-messages';
import { companionFiles } from './companion-files';
import { derivePublicUrl, isWildcardHost, type ServerConfig, urlHost } from './config';
import { ConnectionLimits } from './connection-limits';
import { httpRateLimit } from './http-rate-limit';
import { createLogger, errorKind, type Logger } from './log';
import { corsFor, OriginPolicy } from './origin-policy';
import { mountSignalling, PEER_KEY, PEER_PATH } from './peer-signalling';
import { PresenceRegistry } from './presence-registry';
import { PresenceServer } from './presence-server';
import { KeyedRateLimiter } from './rate-limiter';
import { LOCKED_DOWN_CSP, securityHeaders } from './security-headers';
import { every, realServerClock, type ServerClock } from './server-clock';
import { loadOrCreateSelfSignedCert } from './tls';
import { createUpgradeRouter } from './upgrade-router';

export { PEER_KEY, PEER_PATH };

/** How long a graceful shutdown waits for clients to finish the closing handshake. */
export const DRAIN_TIMEOUT_MS = 3_000;
const STATS_INTERVAL_MS = 5 * 60_000;
const SWEEP_INTERVAL_MS = 60_000;
// Slow-loris bounds: a request must send its headers, and finish, within these.
const HEADERS_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface DrainReport {
  /** Sockets that closed cleanly after being told the server is going away. */
  closed: number;
  /** Sockets that had not closed when the drain timed out, and were cut. */
  terminated: number;
  durationMs: number;
}

export interface ServerStats {
  peerSockets: number;
  presenceSockets: number;
  networks: number;
  announced: number;
  rooms: number;
  peerBadMessages: number;
  peerThrottled: number;
  peerSlowReaders: number;
  peerDroppedForSlowReader: number;
  peerAbsentRefused: number;
  peerHeldBytes: number;
  presenceListMessages: number;
  presenceBadMessages: number;
  presenceThrottled: number;
  presenceTimedOut: number;
  closedForAbuse: number;
  http429: number;
  upgrade400: number;
  upgrade403: number;
  upgrade429: number;
  upgrade503: number;
}

export interface DirectDropServer {
  httpUrl: string;
  httpPort: number;
  httpsUrl?: string;
  httpsPort?: number;
  publicUrl: string;
  /** SHA-256 fingerprint of the served certificate, so users can check what their phone is accepting. */
  certificateFingerprint?: string;
  /** Open sockets, listings and what the defences refused so far (what the periodic stats log reports). */
  stats(): ServerStats;
  /**
   * Graceful shutdown: refuses new WebSockets (503) and answers /health with 503, tells presence clients
   * to come back later, closes every socket with 1001, waits up to `timeoutMs` for them to close, then
   * closes the listeners. Safe to call more than once.
   */
  drain(timeoutMs?: number): Promise<DrainReport>;
  /** Stops at once: cuts all sockets and closes both listeners. Safe to call more than once. */
  close(): Promise<void>;
}

export interface ServerOptions {
  logger?: Logger;
  /**
   * The time of every limit, check and expiry: rate limits, presence liveness (pings, timeouts), held
   * signalling messages and the slow-reader check. Tests move it by hand; the default is real time.
   */
  clock?: ServerClock;
}

export async function createDirectDropServer(
  config: ServerConfig,
  options: ServerOptions = {},
): Promise<DirectDropServer> {
  const log = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? realServerClock;
  const now = (): number => clock.now();
  const limits = config.limits;
  const tls = await resolveTls(config, log);

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  const httpsServer = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, app) : null;
  const servers = httpsServer ? [httpServer, httpsServer] : [httpServer];
  for (const server of servers) {
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.requestTimeout = REQUEST_TIMEOUT_MS;
  }

  // Filled in once the ports are known; no request can arrive before that.
  const origins = new OriginPolicy(config.allowedOrigins);
  let publicUrl = config.publicUrl;
  let draining = false;
  const httpLimiter = new KeyedRateLimiter({ capacity: limits.httpRatePerAddress, windowMs: 60_000, now });
  const counters = { http429: 0 };

  app.use(securityHeaders());
  app.use(
    httpRateLimit(httpLimiter, config.trustedProxies, limits.httpRatePerAddress, () => {
      counters.http429++;
    }),
  );
  app.use(rejectMalformedPaths());
  app.use(corsFor(origins));

  app.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    if (draining) res.status(503).json({ status: 'draining' });
    else res.json({ status: 'ok' });
  });
  app.get('/config', (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .json({ publicUrl, peerPath: PEER_PATH, iceServers: config.iceServers });
  });

  const messageLimits = { rate: limits.messageRate, burst: limits.messageBurst };
  const signalling = mountSignalling(app, httpServer, {
    maxPeers: limits.maxPeers,
    limits: messageLimits,
    clock,
    log,
  });
  const registry = new PresenceRegistry({
    maxListedPerNetwork: limits.maxPresencePerNetwork,
    // Rooms are shared by paired devices: a few per device is plenty.
    maxRooms: limits.maxPeers * 4,
  });
  const presence = new PresenceServer({
    registry,
    limits: messageLimits,
    clock,
    log,
  });
  const connectionLimits = new ConnectionLimits({
    maxOpenPerAddress: limits.maxConnectionsPerAddress,
    perMinutePerAddress: limits.connectionRatePerAddress,
    now,
  });
  const router = createUpgradeRouter({
    signalling,
    presence,
    origins,
    limits: connectionLimits,
    trustedProxies: config.trustedProxies,
    maxPeers: limits.maxPeers,
    isDraining: () => draining,
    log,
  });
  for (const server of servers) server.on('upgrade', router.onUpgrade);

  app.use(companionFiles(config.companionDir, [PEER_PATH, PRESENCE_PATH]));
  app.use((_req, res) => {
    res.status(404).set('Content-Security-Policy', LOCKED_DOWN_CSP).type('text/plain').send('Not found\n');
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = httpStatusOf(err);
    if (status >= 500) log.warn('http.error', { status, kind: errorKind(err) });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res
      .status(status)
      .set('Content-Security-Policy', LOCKED_DOWN_CSP)
      .type('text/plain')
      .send(`${STATUS_CODES[status] ?? 'Error'}\n`);
  };
  app.use(onError);

  const stopSweep = every(clock, SWEEP_INTERVAL_MS, () => {
    httpLimiter.sweep();
    connectionLimits.sweep();
  });
  const stats = (): ServerStats => {
    const { networks, announced, rooms } = registry.stats;
    return {
      peerSockets: signalling.size,
      presenceSockets: presence.size,
      networks,
      announced,
      rooms,
      peerBadMessages: signalling.counters.badMessages,
      peerThrottled: signalling.counters.throttled,
      peerSlowReaders: signalling.counters.slowReaders,
      peerDroppedForSlowReader: signalling.counters.droppedForSlowReader,
      peerAbsentRefused: signalling.counters.absentRefused,
      peerHeldBytes: signalling.heldBytes,
      presenceListMessages: registry.counters.listMessages,
      presenceBadMessages: presence.counters.badMessages,
      presenceThrottled: presence.counters.throttled,
      presenceTimedOut: presence.counters.timedOut,
      closedForAbuse: signalling.counters.closedForAbuse + presence.counters.closedForAbuse,
      http429: counters.http429,
      upgrade400: router.refusals[400] ?? 0,
      upgrade403: router.refusals[403] ?? 0,
      upgrade429: router.refusals[429] ?? 0,
      upgrade503: router.refusals[503] ?? 0,
    };
  };
  // How late the event loop runs is what every client feels as added signalling latency.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const reporter = setInterval(() => {
    const loopP99Ms = Math.round(loopDelay.percentile(99) / 1e4) / 100;
    loopDelay.reset();
    log.info('server.stats', { loopP99Ms, ...stats() });
  }, STATS_INTERVAL_MS);
  reporter.unref();

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      stopSweep();
      clearInterval(reporter);
      loopDelay.disable();
      presence.close();
      signalling.close();
      for (const ws of signalling.openSockets()) ws.terminate();
      await Promise.all(servers.map(closeServer));
    })();
    return closing;
  };

  let draining$: Promise<DrainReport> | undefined;
  const drain = (timeoutMs = DRAIN_TIMEOUT_MS): Promise<DrainReport> => {
    draining$ ??= (async () => {
      const started = performance.now();
      draining = true;
      const open = [...signalling.openSockets(), ...presence.openSockets()];
      log.info('shutdown.draining', { peerSockets: signalling.size, presenceSockets: presence.size });
      presence.shutdown();
      signalling.shutdown();
      const unclosed = await waitForClose(open, timeoutMs);
      for (const ws of unclosed) ws.terminate();
      await close();
      const report: DrainReport = {
        closed: open.length - unclosed.length,
        terminated: unclosed.length,
        durationMs: Math.round(performance.now() - started),
      };
      log.info('shutdown.done', { ...report });
      return report;
    })();
    return draining$;
  };

  try {
    const httpPort = await listen(httpServer, config.port, config.host, 'PORT');
    const httpsPort = httpsServer
      ? await listen(httpsServer, config.httpsPort, config.host, 'HTTPS_PORT')
      : undefined;
    const hostForUrl = urlHost(config.host);
    // Derived again from the bound ports so PORT=0 (tests, parallel instances) yields a usable URL.
    if (!config.publicUrlFromEnv) {
      publicUrl = derivePublicUrl({
        tls: httpsPort !== undefined,
        host: config.host,
        port: httpPort,
        httpsPort: httpsPort ?? config.httpsPort,
        lanAddress: config.lanAddresses[0],
      });
    }
    origins.addOwnOrigins(originsFor(config, httpPort, httpsPort));
    origins.addOwnOrigins([new URL(publicUrl).origin]);
    log.info('server.listening', {
      httpPort,
      httpsPort,
      tls: config.tls?.kind ?? 'none',
      trustedProxies: config.trustedProxies.size,
      allowedOrigins: config.allowedOrigins.length,
    });

    return {
      httpUrl: `http://${hostForUrl}:${httpPort}`,
      httpPort,
      ...(httpsPort !== undefined && { httpsUrl: `https://${hostForUrl}:${httpsPort}`, httpsPort }),
      ...(tls && { certificateFingerprint: new X509Certificate(tls.cert).fingerprint256 }),
      publicUrl,
      stats,
      drain,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A path whose percent-encoding does not decode is a client error, not an app route. */
function rejectMalformedPaths(): RequestHandler {
  return (req, res, next) => {
    try {
      decodeURIComponent(req.path);
    } catch {
      res.status(400).type('text/plain').send('The request path is not valid percent-encoded UTF-8.\n');
      return;
    }
    next();
  };
}

async function resolveTls(config: ServerConfig, log: Logger): Promise<{ cert: string; key: string } | null> {
  if (!config.tls) return null;
  if (config.tls.kind === 'files') return config.tls;
  const pair = await loadOrCreateSelfSignedCert(config.dataDir, config.lanAddresses);
  log.info('tls.self-signed', { generated: pair.generated });
  return pair;
}

/** Resolves with the sockets that are still not closed after `timeoutMs`. */
async function waitForClose(sockets: readonly WebSocket[], timeoutMs: number): Promise<WebSocket[]> {
  const pending = sockets.filter((ws) => ws.readyState !== ws.CLOSED);
  if (pending.length === 0) return [];
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(pending.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())))),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return pending.filter((ws) => ws.readyState !== ws.CLOSED);
}

function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(new Error(listenErrorMessage(error, port, host, variable)));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // A deep accept queue: hundreds of devices reconnecting at once after a restart must not be dropped.
    server.listen({ port, host, backlog: 4096 });
  });
}

function listenErrorMessage(
  error: NodeJS.ErrnoException,
  port: number,
  host: string,
  variable: string,
): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `${variable} ${port} is already in use on ${host}: stop the other process or choose another ${variable}.`;
    case 'EACCES':
      return `${variable} ${port} needs elevated privileges on this system: choose a port above 1023.`;
    case 'EADDRNOTAVAIL':
      return `HOST ${host} is not an address of this machine.`;
    default:
      return `Cannot listen on ${host}:${port} (${variable}): ${error.code ?? error.message}.`;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Keep-alive connections would otherwise hold close() open for several seconds.
    server.closeAllConnections();
  });
}

/** Origins the companion can be served from by this process (for CORS and WebSocket Origin checks). */
function originsFor(config: ServerConfig, httpPort: number, httpsPort: number | undefined): string[] {
  const hosts = ['localhost', '127.0.0.1', '[::1]', ...config.lanAddresses];
  if (!isWildcardHost(config.host)) hosts.push(urlHost(config.host));
  const origins = hosts.map((h) => new URL(`http://${h}:${httpPort}`).origin);
  if (httpsPort !== undefined) origins.push(...hosts.map((h) => new URL(`https://${h}:${httpsPort}`).origin));
  return origins;
}

function httpStatusOf(err: unknown): number {
  const { status, statusCode } = (err ?? {}) as { status?: unknown; statusCode?: unknown };
  const code = status ?? statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}
