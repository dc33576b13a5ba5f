// Shared pieces of the server integration tests: a real DirectDropServer on an ephemeral port with a
// throwaway companion directory, plain HTTP requests, and WebSocket clients (PeerJS signalling and
// presence) that queue what they receive so a test can await the next message of a given type.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createDirectDropServer, type DirectDropServer, type ServerOptions } from '../../server/app';
import { loadConfig } from '../../server/config';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Harness {
  companionDir: string;
  start(env?: Record<string, string>, options?: ServerOptions): Promise<DirectDropServer>;
  /** Closes every server and client opened through this harness. */
  cleanup(): Promise<void>;
  track(ws: WebSocket): WebSocket;
  remove(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'directdrop-server-test-'));
  const companionDir = join(root, 'companion');
  await mkdir(join(companionDir, 'assets'), { recursive: true });
  await writeFile(
    join(companionDir, 'index.html'),
    '<!doctype html><title>DirectDrop companion (test)</title>',
  );
  await writeFile(join(companionDir, 'assets', 'app-3f9a1c.js'), 'console.log("app");');
  await writeFile(join(companionDir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  await writeFile(join(companionDir, 'manifest.webmanifest'), '{"name":"DirectDrop"}');
  const servers: DirectDropServer[] = [];
  const sockets: WebSocket[] = [];
  return {
    companionDir,
    async start(env = {}, options = {}) {
      const config = loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        COMPANION_DIR: companionDir,
        ...env,
      });
      const server = await createDirectDropServer(config, options);
      servers.push(server);
      return server;
    },
    track(ws) {
      sockets.push(ws);
      return ws;
    },
    async cleanup() {
      for (const ws of sockets.splice(0)) ws.terminate();
      await Promise.all(servers.splice(0).map((s) => s.close()));
    },
    async remove() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

export function request(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<HttpResponse> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      { method, headers, agent: false, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Fails fast instead of at the test timeout when something a test waits for never happens. */
export function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function peerId(): string {
  return randomBytes(16).toString('hex');
}

export function token(): string {
  return randomBytes(16).toString('hex');
}

export function roomId(): string {
  return randomBytes(32).toString('base64url');
}

export function wsBase(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export function peerUrl(base: string, id: string, tok: string, key = 'peerjs'): string {
  return `${wsBase(base)}/peerjs/peerjs?key=${encodeURIComponent(key)}&id=${encodeURIComponent(id)}&token=${encodeURIComponent(tok)}`;
}

export type Message = { type: string } & Record<string, unknown>;

export interface Client {
  ws: WebSocket;
  /** Every message received so far, in order. */
  received: Message[];
  /** The next message not yet taken by next()/nextOf(). */
  next(ms?: number): Promise<Message>;
  /** The next message of this type (earlier messages of other types are skipped and stay in `received`). */
  nextOf(type: string, ms?: number): Promise<Message>;
  /** Resolves true if no message of this type arrives within `ms`. */
  quietFor(type: string, ms: number): Promise<boolean>;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a WebSocket and resolves once it is open (rejects with the HTTP status if refused). */
export function openClient(
  harness: Harness,
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<Client> {
  const ws = harness.track(new WebSocket(url, { rejectUnauthorized: false, ...options }));
  const received: Message[] = [];
  let cursor = 0;
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    received.push(JSON.parse(String(data)) as Message);
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const waitFor = (pick: () => Message | undefined, what: string, ms: number): Promise<Message> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = pick();
        if (!found) return false;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`no ${what} within ${ms} ms (received: ${JSON.stringify(received).slice(0, 600)})`));
      }, ms);
      if (!check()) waiters.add(wake);
    });
  const client: Client = {
    ws,
    received,
    next: (ms = 5_000) =>
      waitFor(() => (cursor < received.length ? received[cursor++] : undefined), 'message', ms),
    nextOf: (type, ms = 5_000) =>
      waitFor(
        () => {
          for (let i = cursor; i < received.length; i++) {
            if (received[i]?.type === type) {
              cursor = i + 1;
              return received[i];
            }
          }
          return undefined;
        },
        `"${type}" message`,
        ms,
      ),
    quietFor: (type, ms) =>
      waitFor(
        () => {
          for (let i = cursor; i < received.length; i++) if (received[i]?.type === type) return received[i];
          return undefined;
        },
        type,
        ms,
      ).then(
        () => false,
        () => true,
      ),
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    closed,
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () =>
        reject(
          Object.assign(new Error(`refused with ${res.statusCode}: ${body}`), {
            status: res.statusCode,
            body,
            headers: res.headers,
          }),
        ),
      );
    });
    ws.once('error', reject);
  });
}

/** The HTTP answer to a WebSocket upgrade that is expected to be refused. */
export function refusal(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error);
    });
  });
}

export interface Announce {
  peerId: string;
  name: string;
  deviceType: 'desktop' | 'laptop' | 'phone' | 'tablet';
  avatar: string;
  visible: boolean;
  rooms: string[];
}

export function announce(overrides: Partial<Announce> = {}): { type: 'announce' } & Announce {
  return {
    type: 'announce',
    peerId: peerId(),
    name: 'Test device',
    deviceType: 'phone',
    avatar: 'avatar-seed-1',
    visible: true,
    rooms: [],
    ...overrides,
  };
}

/** A presence client, optionally seen by the server as coming from `address` through a trusted proxy. */
export function presence(
  harness: Harness,
  server: DirectDropServer,
  address?: string,
  options: WebSocket.ClientOptions = {},
): Promise<Client> {
  const headers = { ...(address && { 'X-Forwarded-For': address }), ...options.headers };
  return openClient(harness, `${wsBase(server.httpUrl)}/presence`, { ...options, headers });
}
