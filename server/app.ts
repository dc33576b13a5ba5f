// The DirectDrop server process: one express app (health, client config, companion PWA files) plus the
// PeerJS signalling server, served over HTTP and, when TLS is configured, over HTTPS as well. Both
// listeners feed a single WebSocketServer so that every client lands in the same PeerServer realm: a
// phone on https://<lan-ip> and a desktop on http://localhost must be able to find each other.

import { X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { join, relative, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { ExpressPeerServer } from 'peer';
import { WebSocketServer } from 'ws';
import { derivePublicUrl, isWildcardHost, type ServerConfig, urlHost } from './config';
import { createLogger, type Logger } from './log';
import { loadOrCreateSelfSignedCert } from './tls';

/** Where the PeerServer is mounted; PeerJS clients use `{ path: PEER_PATH, key: PEER_KEY }`. */
export const PEER_PATH = '/peerjs';
export const PEER_KEY = 'peerjs';
// Signalling messages are SDP offers/answers and ICE candidates (a few KiB); file data never goes through
// the server, so anything much larger is abuse.
const MAX_SIGNAL_BYTES = 64 * 1024;
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface DirectDropServer {
  httpUrl: string;
  httpPort: number;
  httpsUrl?: string;
  httpsPort?: number;
  publicUrl: string;
  /** SHA-256 fingerprint of the served certificate, so users can check what their phone is accepting. */
  certificateFingerprint?: string;
  /** Stops both listeners and drops all signalling sockets; safe to call more than once. */
  close(): Promise<void>;
}

export async function createDirectDropServer(
  config: ServerConfig,
  options: { logger?: Logger } = {},
): Promise<DirectDropServer> {
  const log = options.logger ?? createLogger(config.logLevel);
  const tls = await resolveTls(config, log);

  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  const httpsServer = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, app) : null;
  const servers = httpsServer ? [httpServer, httpsServer] : [httpServer];

  // Filled in once the ports are known; no request can arrive before that.
  const ownOrigins = new Set<string>();
  let publicUrl = config.publicUrl;

  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  app.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  const configCors: RequestHandler = (req, res, next) => {
    const origin = req.get('Origin');
    res.vary('Origin');
    if (origin && (isExtensionOrigin(origin) || ownOrigins.has(origin))) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Methods', 'GET');
      res.set('Access-Control-Max-Age', '600');
    }
    next();
  };
  app.options('/config', configCors, (_req, res) => {
    res.sendStatus(204);
  });
  app.get('/config', configCors, (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .json({ publicUrl, peerPath: PEER_PATH, iceServers: config.iceServers });
  });

  // peer only exposes its WebSocketServer through this factory. It is called synchronously when the
  // PeerServer app is mounted below, with the mounted path; `server` is ignored on purpose so neither
  // listener gets ws's own upgrade handler and the routing below stays the only way in.
  let wss: WebSocketServer | undefined;
  let wsPath = '';
  const peer = ExpressPeerServer(httpServer, {
    path: '/',
    key: PEER_KEY,
    allow_discovery: false,
    proxied: false,
    createWebSocketServer: (wsOptions) => {
      wsPath = wsOptions.path ?? '';
      wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SIGNAL_BYTES });
      return wss;
    },
  });
  app.use(PEER_PATH, peer);
  if (!wss || !wsPath) throw new Error('PeerServer did not create its WebSocket server on mount.');
  const sockets = wss;

  // Ids, tokens and message payloads stay out of the log: only counts and error kinds are reported.
  peer.on('connection', () => log.debug(`Signalling client connected (${sockets.clients.size} open)`));
  peer.on('disconnect', () => log.debug(`Signalling client disconnected (${sockets.clients.size} open)`));
  // Without a listener, peer's `error` event (e.g. a client sending invalid JSON) would crash the process.
  peer.on('error', (error) => log.warn(`Signalling error ignored (${describeError(error)})`));

  let closing: Promise<void> | undefined;
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Split rather than `new URL()`: a malformed request line must not throw inside an event handler.
    const pathname = (req.url ?? '').split('?')[0];
    if (pathname !== wsPath || closing) {
      socket.on('error', () => socket.destroy());
      socket.once('finish', () => socket.destroy());
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      // peer answers a new client with OPEN, but a client coming back with its own id and token while its
      // old socket is still registered (a reconnect after a network blip) gets silence and would wait
      // forever. Anything peer sent means it decided; if it sent nothing, the client was re-attached.
      let answered = false;
      const send = ws.send.bind(ws) as (...args: unknown[]) => void;
      ws.send = ((...args: unknown[]) => {
        answered = true;
        send(...args);
      }) as typeof ws.send;
      sockets.emit('connection', ws, req);
      ws.send = send as typeof ws.send;
      if (!answered && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'OPEN' }));
    });
  };
  for (const server of servers) server.on('upgrade', onUpgrade);

  app.use(companionFiles(config.companionDir));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = httpStatusOf(err);
    if (status >= 500) log.warn(`Request failed (${describeError(err)})`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res
      .status(status)
      .type('text/plain')
      .send(STATUS_CODES[status] ?? 'Error');
  };
  app.use(onError);

  const shutdown = async (): Promise<void> => {
    for (const ws of sockets.clients) ws.terminate();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
    await Promise.all(servers.map(closeServer));
  };
  const close = (): Promise<void> => {
    closing ??= shutdown();
    return closing;
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
    for (const o of originsFor(config, httpPort, httpsPort)) ownOrigins.add(o);
    ownOrigins.add(new URL(publicUrl).origin);

    return {
      httpUrl: `http://${hostForUrl}:${httpPort}`,
      httpPort,
      ...(httpsPort !== undefined && { httpsUrl: `https://${hostForUrl}:${httpsPort}`, httpsPort }),
      ...(tls && { certificateFingerprint: new X509Certificate(tls.cert).fingerprint256 }),
      publicUrl,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function resolveTls(config: ServerConfig, log: Logger): Promise<{ cert: string; key: string } | null> {
  if (!config.tls) return null;
  if (config.tls.kind === 'files') return config.tls;
  const pair = await loadOrCreateSelfSignedCert(config.dataDir, config.lanAddresses);
  log.info(
    pair.generated
      ? 'Generated a new self-signed certificate (phones will ask to accept it once)'
      : 'Reusing the cached self-signed certificate',
  );
  return pair;
}

/**
 * Static files of the companion PWA with a fallback to index.html for client-side routes. Hashed
 * /assets/* never change, so they are cached forever; everything else (index.html, sw.js, the manifest)
 * must be revalidated or an installed PWA would keep running an old build.
 */
function companionFiles(dir: string): RequestHandler {
  const files = express.static(dir, {
    index: false,
    redirect: false,
    cacheControl: false,
    setHeaders: (res, filePath) => {
      const rel = relative(dir, filePath).split(sep).join('/');
      res.setHeader('Cache-Control', rel.startsWith('assets/') ? IMMUTABLE : 'no-cache');
    },
  });
  const indexPath = join(dir, 'index.html');

  const fallback: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // A missing script or image must stay a 404: answering HTML would be cached by the service worker
    // and fail in confusing ways. Only extension-less paths are treated as app routes.
    const lastSegment = req.path.split('/').pop() ?? '';
    if (
      req.path.startsWith('/assets/') ||
      req.path.startsWith(`${PEER_PATH}/`) ||
      lastSegment.includes('.')
    ) {
      return next();
    }
    stat(indexPath)
      .then(
        (info) => info.isFile(),
        () => false,
      )
      .then((built) => {
        if (!built) {
          res
            .status(503)
            .set('Cache-Control', 'no-store')
            .type('text/plain')
            .send(
              'The DirectDrop companion app has not been built yet.\n' +
                'Run `npm run build:companion` on the machine running this server, then reload this page.\n',
            );
          return;
        }
        res.sendFile(indexPath, { cacheControl: false, headers: { 'Cache-Control': 'no-cache' } }, (err) => {
          if (err) next(err);
        });
      })
      .catch(next);
  };

  return (req, res, next) => files(req, res, () => fallback(req, res, next));
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
    server.listen(port, host);
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

/** Origins the companion can be served from by this process (for CORS on /config). */
function originsFor(config: ServerConfig, httpPort: number, httpsPort: number | undefined): string[] {
  const hosts = ['localhost', '127.0.0.1', '[::1]', ...config.lanAddresses];
  if (!isWildcardHost(config.host)) hosts.push(urlHost(config.host));
  const origins = hosts.map((h) => new URL(`http://${h}:${httpPort}`).origin);
  if (httpsPort !== undefined) origins.push(...hosts.map((h) => new URL(`https://${h}:${httpsPort}`).origin));
  return origins;
}

function isExtensionOrigin(origin: string): boolean {
  return /^(chrome-extension|moz-extension):\/\/[a-z0-9-]+$/i.test(origin);
}

function httpStatusOf(err: unknown): number {
  const { status, statusCode } = (err ?? {}) as { status?: unknown; statusCode?: unknown };
  const code = status ?? statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

/** Error kind only: messages can quote the offending input (JSON.parse does), which may be user content. */
function describeError(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.name;
  return typeof error;
}
