// Shared pieces of the server integration tests: a real DirectDropServer on an ephemeral port with a
// throwaway companion directory, plain HTTP requests, and WebSocket clients (PeerJS signalling and
// presence) that queue what they receive so a test can await the next message of a given type.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  /** The server as its own process (`server/main.ts`), as it runs in production: real time, signals. */
  startProcess(env?: Record<string, string>): Promise<ServerProcess>;
  /** Closes every server, process and client opened through this harness. */
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
  const children: ChildProcess[] = [];
  return {
    companionDir,
    startProcess(env = {}) {
      return startServerProcess(companionDir, env, (child) => children.push(child));
    },
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
      await Promise.all(
        children.splice(0).map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGKILL');
          await exited;
        }),
      );
    },
    async remove() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface ServerProcess {
  child: ChildProcess;
  httpUrl: string;
  /** Everything the process logged to stdout so far (one JSON event per line). */
  stdout(): string;
  exited: Promise<number | null>;
  /** Resident memory of the server process, in MiB. */
  rssMib(): number;
}

async function startServerProcess(
  companionDir: string,
  env: Record<string, string>,
  track: (child: ChildProcess) => void,
): Promise<ServerProcess> {
  // node itself runs the server (tsx only as a loader), so signals and /proc/<pid> are the server's own.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      COMPANION_DIR: companionDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      void exited.then((code) => reject(new Error(`the server exited with ${code}`)));
      const check = (): void => {
        const line = stdout.split('\n').find((l) => l.includes('"server.listening"'));
        if (line) resolve((JSON.parse(line) as { httpPort: number }).httpPort);
        else child.stdout?.once('data', check);
      };
      check();
    }),
    'the server process listening',
    30_000,
  );
  const pid = child.pid ?? 0;
  return {
    child,
    httpUrl: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    exited,
    rssMib: () => {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return Number(match?.[1] ?? Number.NaN) / 1024;
    },
  };
}

/** The JSON events a server process logged. */
export function logEvents(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
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

/**
 * Waits until `condition` holds, looking again every few milliseconds; for state that announces no event
 * (a server's counters, a child process's memory).
 */
export function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (condition()) resolve();
        else setTimeout(check, 10);
      };
      check();
    }),
    what,
    ms,
  );
}

/**
 * A WebSocket ping answered by the server: once the pong is back, the server has handled everything this
 * socket sent before, and this socket has received everything the server sent it before. Twice, so a pong
 * the client sent on its own to a ping of the server that crossed the first has been handled too.
 */
export async function roundTrip(ws: WebSocket, ms = 5_000): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await within(
      new Promise<void>((resolve, reject) => {
        const onClose = (): void => reject(new Error('the socket closed during a round trip'));
        ws.once('close', onClose);
        ws.once('pong', () => {
          ws.off('close', onClose);
          resolve();
        });
        ws.ping();
      }),
      'a ping answered by the server',
      ms,
    );
  }
}

/** Runs `step` again and again, `gapMs` after each one ends, until `during` settles: a sampler's pace. */
export async function repeatWhile(
  during: Promise<unknown>,
  gapMs: number,
  step: () => Promise<void>,
): Promise<void> {
  let done = false;
  void during.finally(() => {
    done = true;
  });
  while (!done) {
    await step();
    if (!done) await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
}

/** Calls `send` `rounds` times, one round every `intervalMs`: a load generator's fixed pace. */
export function paced(rounds: number, intervalMs: number, send: (round: number) => void): Promise<void> {
  return new Promise((resolve) => {
    let round = 0;
    const timer = setInterval(() => {
      if (round >= rounds) {
        clearInterval(timer);
        resolve();
        return;
      }
      send(round++);
    }, intervalMs);
  });
}

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
  /** The first message so far or later (regardless of what next()/nextOf() took) that `match` accepts. */
  seen(match: (message: Message) => boolean, what: string, ms?: number): Promise<Message>;
  /**
   * True if no message of this type is waiting (not yet taken by next()/nextOf()) once the server has
   * handled what `causes` sent (a round trip on each) and this client has what the server sent it meanwhile
   * (a round trip of its own): proof that something did not happen, without waiting for a fixed time.
   */
  heardNo(type: string, causes?: WebSocket[]): Promise<boolean>;
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
    seen: (match, what, ms = 5_000) => waitFor(() => received.find(match), what, ms),
    heardNo: async (type, causes = []) => {
      for (const cause of causes) await roundTrip(cause);
      await roundTrip(ws);
      return !received.slice(cursor).some((m) => m.type === type);
    },
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
