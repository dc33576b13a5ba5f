// Throughput benchmark, desktop extension -> companion app in a separate Chromium, on loopback, in ONE run:
//   - DirectDrop: a real transfer from the popup's file picker, with hashing and disk writes on both ends,
//     timed on the receiver from its first byte to the file being written and verified;
//   - a plain RTCDataChannel between the same two browsers (64 KiB chunks, bufferedamountlow flow
//     control), the ceiling;
//   - PeerJS with its default `binary` serialization, as PeerJS apps use it: sent the way FilePizza sends
//     a file (the reported PeerJS figure); and, for reference, the cheapest way PeerJS can be driven.
// Several runs each, interleaved, so a noisy moment hits all three alike. Prints medians, ratios and the
// receiving browser's peak memory; with --out FILE also writes them as JSON.
//
//   npm run bench -- [--size-mib 256] [--runs 5] [--out bench.json]
//
// MB/s here are 10^6 bytes per second. BENCH_DEBUG=1 also prints the transfer rows every 5 s and the CPU
// time each browser process used per contender; BENCH_PROFILE=1 prints where the extension's and the
// companion app's JavaScript spent the first DirectDrop run (the profiler slows that run down).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import WebSocket from 'ws';
import {
  configureExtension,
  launchDesktop,
  launchPhone,
  newProfileDir,
  openPopup,
} from '../tests/e2e/support/browsers';
import { startServer } from '../tests/e2e/support/server';
import { startSite } from '../tests/e2e/support/test-site';

interface Options {
  sizeMib: number;
  runs: number;
  out?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { sizeMib: 256, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--size-mib' && value) options.sizeMib = Number(value);
    else if (flag === '--runs' && value) options.runs = Number(value);
    else if (flag === '--out' && value) options.out = value;
    else continue;
    i++;
  }
  if (!Number.isFinite(options.sizeMib) || options.sizeMib <= 0)
    throw new Error('--size-mib must be a positive number');
  if (!Number.isInteger(options.runs) || options.runs < 1)
    throw new Error('--runs must be a positive integer');
  return options;
}

/** BENCH_DEBUG=1: where the run is, so a stall shows the step it stalled in. */
function trace(step: string): void {
  if (process.env.BENCH_DEBUG) console.error(`${new Date().toISOString().slice(11, 23)} ${step}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

// ---- memory of the receiving browser: every process started with its profile directory ----

function processesOf(profileDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(profileDir)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Sums VmRSS over the given processes. */
function rssOf(pids: readonly number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += Number(match?.[1] ?? 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return kib / 1024;
}

function rssMib(profileDir: string): number {
  return rssOf(processesOf(profileDir));
}

/**
 * Samples every 100 ms, but looks for the browser's processes (a walk over all of /proc) only once a
 * second: the sampling must not take CPU from the transfer it measures.
 */
function sampleMemory(profileDir: string): { stop(): number } {
  let pids = processesOf(profileDir);
  let peak = rssOf(pids);
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks % 10 === 0) pids = processesOf(profileDir);
    peak = Math.max(peak, rssOf(pids));
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMib(profileDir));
    },
  };
}

// ---- where the CPU goes (BENCH_DEBUG): CPU seconds per process kind of both browsers ----

function processKind(cmdline: string): string {
  const type = /--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser';
  if (type === 'renderer')
    return cmdline.includes('--extension-process') ? 'renderer(extension)' : 'renderer';
  if (type === 'utility') return `utility(${/--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1] ?? '?'})`;
  return type;
}

function cpuTicks(profileDir: string): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of processesOf(profileDir)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const used = Number(fields[11]) + Number(fields[12]);
      const key = `${processKind(cmdline)}#${pid}`;
      ticks.set(key, used);
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks;
}

function cpuReport(label: string, before: Map<string, number>, after: Map<string, number>): string {
  const parts: string[] = [];
  for (const [key, used] of after) {
    const seconds = (used - (before.get(key) ?? 0)) / 100;
    if (seconds >= 0.05) parts.push(`${key} ${seconds.toFixed(1)}s`);
  }
  return `${label}: ${parts.join(', ')}`;
}

/**
 * Waits (up to 10 s) until both browsers are nearly idle, so that each contender starts on a quiet machine
 * and not while the previous one's clean-up (garbage collection, deleting a received file) still runs.
 */
async function quiet(profileDirs: readonly string[]): Promise<void> {
  const total = () =>
    profileDirs.reduce((sum, dir) => sum + [...cpuTicks(dir).values()].reduce((a, b) => a + b, 0), 0);
  for (let tries = 0; tries < 20; tries++) {
    const before = total();
    await new Promise((r) => setTimeout(r, 500));
    // Ticks are 10 ms: under 5 ticks in 500 ms is under a tenth of one core.
    if (total() - before < 5) return;
  }
}

// ---- DevTools protocol: the offscreen document and other extension targets are not Playwright pages ----

type CdpSend = (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;

async function devToolsTargets(
  profileDir: string,
): Promise<Array<{ type: string; url: string; webSocketDebuggerUrl: string }>> {
  const portFile = join(profileDir, 'DevToolsActivePort');
  for (let i = 0; i < 100 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  const port = readFileSync(portFile, 'utf8').split('\n')[0];
  return (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    type: string;
    url: string;
    webSocketDebuggerUrl: string;
  }>;
}

async function cdpConnect(webSocketUrl: string): Promise<CdpSend> {
  const socket = new WebSocket(webSocketUrl, { perMessageDeflate: false, maxPayload: 1024 ** 3 });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let nextId = 1;
  const waiting = new Map<number, (message: { result?: Record<string, unknown>; error?: unknown }) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: unknown;
    };
    if (message.id !== undefined) waiting.get(message.id)?.(message);
  });
  // A target that goes away (a closed document) must fail the call waiting on it, not leave it hanging.
  let closed = false;
  socket.once('close', () => {
    closed = true;
    for (const answer of [...waiting.values()]) answer({ error: 'the DevTools target went away' });
  });
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new Error(`${method}: the DevTools target went away`));
      const id = nextId++;
      waiting.set(id, (message) => {
        waiting.delete(id);
        if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result ?? {});
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
}

async function offscreenEvaluator(profileDir: string): Promise<(expression: string) => Promise<unknown>> {
  let target: { url: string; webSocketDebuggerUrl: string } | undefined;
  for (let i = 0; i < 100 && !target; i++) {
    target = (await devToolsTargets(profileDir)).find((t) => t.url.endsWith('/offscreen.html'));
    if (!target) await new Promise((r) => setTimeout(r, 100));
  }
  if (!target) throw new Error('The offscreen document did not start.');
  const send = await cdpConnect(target.webSocketDebuggerUrl);
  return async (expression) => {
    const result = (await send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    })) as {
      result?: { value?: unknown };
      exceptionDetails?: unknown;
    };
    if (result.exceptionDetails) throw new Error(JSON.stringify(result.exceptionDetails).slice(0, 500));
    return result.result?.value;
  };
}

// ---- JavaScript CPU profiles (BENCH_PROFILE=1): where each target's main thread spends its time ----

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function summariseProfile(
  label: string,
  profile: { nodes: ProfileNode[]; samples?: number[]; startTime: number; endTime: number },
): string {
  const total = profile.samples?.length ?? 0;
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const sample of profile.samples ?? []) {
    const node = byId.get(sample);
    if (!node) continue;
    const url = node.callFrame.url.split('/').pop() ?? '';
    const key = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 18);
  return [
    `profile ${label} (${seconds.toFixed(1)} s, ${total} samples):`,
    ...top.map(([key, count]) => `  ${((count / Math.max(1, total)) * 100).toFixed(1).padStart(5)}% ${key}`),
  ].join('\n');
}

async function startProfiles(
  targets: Array<{ label: string; send: CdpSend }>,
): Promise<() => Promise<string[]>> {
  for (const { send } of targets) {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: 1000 });
    await send('Profiler.start');
  }
  return async () => {
    const reports: string[] = [];
    for (const { label, send } of targets) {
      const { profile } = (await send('Profiler.stop')) as {
        profile: Parameters<typeof summariseProfile>[1];
      };
      reports.push(summariseProfile(label, profile));
    }
    return reports;
  };
}

// ---- the three contenders ----

async function runDirectDrop(popup: Page, phone: Page, file: string, bytes: number): Promise<number> {
  // Rows of earlier runs stay on screen (already done); only the new transfer is timed.
  const earlier = await phone
    .getByTestId('transfer-row')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.transferId ?? ''));
  await phone.evaluate((earlierIds) => {
    const w = window as unknown as { benchMarks: Record<string, number>; benchObserver?: MutationObserver };
    w.benchMarks = {};
    w.benchObserver?.disconnect();
    w.benchObserver = new MutationObserver(() => {
      for (const row of document.querySelectorAll<HTMLElement>('[data-testid="transfer-row"]')) {
        const id = row.dataset.transferId ?? '';
        if (earlierIds.includes(id)) continue;
        const state = row.dataset.state;
        if (state === 'receiving' && !w.benchMarks[`${id}:start`])
          w.benchMarks[`${id}:start`] = performance.now();
        if (state === 'done' && !w.benchMarks[`${id}:done`]) w.benchMarks[`${id}:done`] = performance.now();
      }
    });
    w.benchObserver.observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-state'],
    });
  }, earlier);
  const target = popup.getByTestId('send-files-target');
  if (await target.count()) await target.selectOption({ index: 0 });
  await popup.getByTestId('send-files-input').setInputFiles(file);
  const confirm = popup.getByTestId('send-files-button');
  if (await confirm.count()) await confirm.click();
  const watch = process.env.BENCH_DEBUG
    ? setInterval(async () => {
        const rows = await phone
          .locator('[data-testid="transfer-row"]')
          .evaluateAll((els) =>
            els.map((e) => `${(e as HTMLElement).dataset.state} ${e.textContent?.slice(0, 80)}`),
          )
          .catch(() => []);
        const sender = await popup
          .locator(
            '[data-testid="transfer-row"],[data-testid="outbox-row"],[data-testid="send-files-result"]',
          )
          .evaluateAll((els) =>
            els.map((e) => `${(e as HTMLElement).dataset.state} ${e.textContent?.slice(0, 80)}`),
          )
          .catch(() => []);
        console.error('phone:', JSON.stringify(rows), 'desktop:', JSON.stringify(sender));
      }, 5000)
    : undefined;
  const elapsedMs = (await phone
    .waitForFunction(
      () => {
        const marks = (window as unknown as { benchMarks: Record<string, number> }).benchMarks;
        const done = Object.keys(marks).find((k) => k.endsWith(':done'));
        if (!done) return false;
        const start = marks[done.replace(':done', ':start')];
        return start === undefined ? false : (marks[done] ?? 0) - start;
      },
      undefined,
      { timeout: 10 * 60_000, polling: 100 },
    )
    .then((h) => h.jsonValue())) as number;
  clearInterval(watch);
  return bytes / 1e6 / (elapsedMs / 1000);
}

/**
 * Receiver side of the raw and PeerJS runs: the MB/s from the first message's arrival to the last one's.
 * The first message's own bytes arrived before the clock started, so they do not count.
 */
const RECEIVER_COUNTER = `
  window.benchCount = (bytes) => new Promise((resolve) => {
    let got = 0, first = 0, firstSize = 0;
    window.benchOnData = (size) => {
      if (!first) { first = performance.now(); firstSize = size; }
      got += size;
      if (got >= bytes) resolve((got - firstSize) / 1e3 / (performance.now() - first));
    };
  });`;

async function runRawChannel(
  offscreen: (e: string) => Promise<unknown>,
  phone: Page,
  bytes: number,
): Promise<number> {
  trace('plain: offer');
  const offer = (await offscreen(`(async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel('bench', { ordered: true });
    dc.binaryType = 'arraybuffer';
    window.benchRaw = { pc, dc, opened: new Promise((r) => (dc.onopen = r)) };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); else pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
    return pc.localDescription.sdp;
  })()`)) as string;
  const answer = await phone.evaluate(
    async ({ sdp, counter }) => {
      new Function(counter)();
      const pc = new RTCPeerConnection({ iceServers: [] });
      (window as unknown as { benchRawPc: RTCPeerConnection }).benchRawPc = pc;
      pc.ondatachannel = (event) => {
        event.channel.binaryType = 'arraybuffer';
        event.channel.onmessage = (m) =>
          (window as unknown as { benchOnData?: (n: number) => void }).benchOnData?.(
            (m.data as ArrayBuffer).byteLength,
          );
      };
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await new Promise<void>((r) => {
        if (pc.iceGatheringState === 'complete') r();
        else pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
      });
      return pc.localDescription?.sdp ?? '';
    },
    { sdp: offer, counter: RECEIVER_COUNTER },
  );
  trace('plain: answer');
  await offscreen(
    `(async () => { await window.benchRaw.pc.setRemoteDescription({ type: 'answer', sdp: ${JSON.stringify(answer)} }); await window.benchRaw.opened; })()`,
  );
  const counted = phone.evaluate(
    (n) => (window as unknown as { benchCount(n: number): Promise<number> }).benchCount(n),
    bytes,
  );
  // Settled even when the sender fails first, so that failure is the one reported.
  counted.catch(() => {});
  trace('plain: sending');
  await offscreen(`(async () => {
    const { dc } = window.benchRaw;
    const chunk = new Uint8Array(64 * 1024);
    crypto.getRandomValues(chunk.subarray(0, 65536));
    dc.bufferedAmountLowThreshold = 1024 * 1024;
    let sent = 0;
    while (sent < ${bytes}) {
      if (dc.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => (dc.onbufferedamountlow = r));
      const size = Math.min(chunk.length, ${bytes} - sent);
      dc.send(size === chunk.length ? chunk : chunk.subarray(0, size));
      sent += size;
    }
  })()`);
  trace('plain: sent');
  const mbps = await counted;
  await offscreen('window.benchRaw.pc.close()');
  await phone.evaluate(() => (window as unknown as { benchRawPc: RTCPeerConnection }).benchRawPc.close());
  return mbps;
}

/**
 * How the PeerJS contenders send: `app` the way FilePizza, the best-known PeerJS file-sharing app, sends a
 * file (a `{type, fileName, offset, bytes, final}` message per 10 MiB Blob slice, the next one on a zero
 * timeout, PeerJS's own queue as the only flow control); `bare` the cheapest PeerJS can be made to go
 * (bare 64 KiB ArrayBuffers, waiting whenever PeerJS queues more than 64 messages).
 */
type PeerJsStyle = 'app' | 'bare';

const PEERJS_SENDERS: Record<PeerJsStyle, (bytes: number) => string> = {
  app: (bytes) => `(async () => {
    const { conn } = window.benchPeerJs;
    const piece = new Uint8Array(1024 * 1024);
    crypto.getRandomValues(piece.subarray(0, 65536));
    const file = new Blob(Array.from({ length: Math.ceil(${bytes} / piece.length) }, () => piece));
    const CHUNK = 10 * 1024 * 1024;
    let offset = 0;
    await new Promise((done) => {
      const next = () => setTimeout(() => {
        const end = Math.min(${bytes}, offset + CHUNK);
        const final = end === ${bytes};
        conn.send({ type: 'chunk', fileName: 'bench.bin', offset, bytes: file.slice(offset, end), final });
        offset = end;
        if (final) done(); else next();
      }, 0);
      next();
    });
  })()`,
  bare: (bytes) => `(async () => {
    const { conn } = window.benchPeerJs;
    const chunk = new Uint8Array(64 * 1024);
    let sent = 0;
    while (sent < ${bytes}) {
      while (conn.bufferSize > 64) await new Promise((r) => setTimeout(r, 5));
      const size = Math.min(chunk.length, ${bytes} - sent);
      conn.send(size === chunk.length ? chunk.buffer : chunk.slice(0, size).buffer);
      sent += size;
    }
  })()`,
};

async function runPeerJs(
  style: PeerJsStyle,
  offscreen: (e: string) => Promise<unknown>,
  phone: Page,
  bytes: number,
  server: { host: string; port: number },
  peerJsSource: string,
): Promise<number> {
  // The server only takes well-formed ids and tokens (random hex, like the app's own).
  const id = randomBytes(16).toString('hex');
  const senderId = randomBytes(16).toString('hex');
  const options = JSON.stringify({
    host: server.host,
    port: server.port,
    path: '/peerjs',
    config: { iceServers: [] },
    token: randomBytes(16).toString('hex'),
  });
  trace(`peerjs ${style}: receiver`);
  await phone.evaluate(
    async ({ source, counter, id, options }) => {
      new Function(source)();
      new Function(counter)();
      const { Peer } = (window as unknown as { peerjs: { Peer: new (id: string, o: unknown) => PeerLike } })
        .peerjs;
      interface PeerLike {
        on(event: string, cb: (...args: never[]) => void): void;
        destroy(): void;
      }
      const peer = new Peer(id, JSON.parse(options));
      (window as unknown as { benchPeer: PeerLike }).benchPeer = peer;
      // Bare bytes, or the app's chunk message carrying them.
      type Bytes = { byteLength: number };
      peer.on('connection', (conn: { on(e: string, cb: (d: Bytes | { bytes: Bytes }) => void): void }) =>
        conn.on('data', (data) =>
          (window as unknown as { benchOnData?: (n: number) => void }).benchOnData?.(
            'bytes' in data ? data.bytes.byteLength : data.byteLength,
          ),
        ),
      );
      await new Promise((r) => peer.on('open', r as never));
    },
    { source: peerJsSource, counter: RECEIVER_COUNTER, id, options },
  );
  trace(`peerjs ${style}: connect`);
  await offscreen(`(async () => {
    if (!window.peerjs) (0, eval)(${JSON.stringify(peerJsSource)});
    const peer = new window.peerjs.Peer(${JSON.stringify(senderId)}, ${options});
    await new Promise((r) => peer.on('open', r));
    const conn = peer.connect(${JSON.stringify(id)});
    await new Promise((r) => conn.on('open', r));
    window.benchPeerJs = { peer, conn };
  })()`);
  const counted = phone.evaluate(
    (n) => (window as unknown as { benchCount(n: number): Promise<number> }).benchCount(n),
    bytes,
  );
  // Settled even when the sender fails first, so that failure is the one reported.
  counted.catch(() => {});
  trace(`peerjs ${style}: sending`);
  await offscreen(PEERJS_SENDERS[style](bytes));
  trace(`peerjs ${style}: sent`);
  const mbps = await counted;
  await offscreen('window.benchPeerJs.peer.destroy()');
  await phone.evaluate(() => (window as unknown as { benchPeer: { destroy(): void } }).benchPeer.destroy());
  return mbps;
}

async function profileTargets(
  desktopProfile: string,
  phone: Page,
): Promise<Array<{ label: string; send: CdpSend }>> {
  const targets: Array<{ label: string; send: CdpSend }> = [];
  for (const target of await devToolsTargets(desktopProfile)) {
    if (!target.url.startsWith('chrome-extension://')) continue;
    targets.push({
      label: `desktop ${target.type} ${target.url.split('/').pop()}`,
      send: await cdpConnect(target.webSocketDebuggerUrl),
    });
  }
  const session = await phone.context().newCDPSession(phone);
  targets.push({
    label: 'phone page',
    send: (method, params) =>
      session.send(method as never, params as never) as Promise<Record<string, unknown>>,
  });
  return targets;
}

// ---- the run ----

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const bytes = Math.round(options.sizeMib * 1024 * 1024);
  if (!existsSync('.output/chrome-mv3/manifest.json') || !existsSync('dist/companion/index.html')) {
    console.log('Building the extension and the companion app first...');
    const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error('The build failed.');
  }
  const peerJsSource = readFileSync(
    createRequire(import.meta.url).resolve('peerjs/dist/peerjs.min.js'),
    'utf8',
  );
  const file = join(tmpdir(), `directdrop-bench-${options.sizeMib}mib.bin`);
  if (!existsSync(file) || readFileSync(file).length !== bytes) {
    const data = Buffer.alloc(bytes);
    for (let offset = 0; offset < bytes; offset += 65536) {
      crypto.getRandomValues(data.subarray(offset, Math.min(bytes, offset + 65536)));
    }
    writeFileSync(file, data);
  }

  // The plain-channel and PeerJS receivers run in an empty page of their own origin, which the server
  // is told to allow (it refuses WebSockets from pages of unknown origins).
  const receiverSite = await startSite(
    { '/receiver.html': { body: Buffer.from('<!doctype html><title>receiver</title>'), type: 'text/html' } },
    '127.0.0.1',
  );
  const server = await startServer(0, { ALLOWED_ORIGINS: receiverSite.origin });
  const desktopProfile = newProfileDir('bench-desktop');
  const phoneProfile = newProfileDir('bench-phone');
  const desktop = await launchDesktop(desktopProfile, ['--remote-debugging-port=0']);
  const phone = await launchPhone(phoneProfile);
  try {
    await configureExtension(desktop, server.httpUrl);
    const popup = await openPopup(desktop);
    await popup
      .getByTestId('server-status')
      .and(popup.locator('[data-status="online"]'))
      .waitFor({ timeout: 30_000 });
    const link = ((await popup.getByTestId('pairing-link').textContent()) ?? '').trim();
    await phone.page.goto(link);
    await phone.page
      .locator('[data-testid="pairing-status"][data-state="paired"]')
      .waitFor({ timeout: 30_000 });
    await popup.locator('[data-testid="device-row"][data-status="online"]').waitFor({ timeout: 30_000 });
    const offscreen = await offscreenEvaluator(desktopProfile);
    phone.page.on('crash', () => console.error('the companion app crashed'));
    phone.page.on('console', (m) => process.env.BENCH_DEBUG && console.error('phone:', m.text()));
    // The plain-channel and PeerJS receivers run in a blank tab of the same (phone) browser: no app code
    // and no content security policy in their way. A fresh tab per contender, closed after it, so what
    // one left behind is neither in the next one's way nor counted in the companion app's memory.
    const openBare = async () => {
      const bare = await phone.context.newPage();
      bare.on('crash', () => console.error('the receiver tab crashed'));
      await bare.goto(`${receiverSite.origin}/receiver.html`);
      return bare;
    };
    const signalling = { host: new URL(server.publicUrl).hostname, port: server.httpPort };

    const cpu = () =>
      new Map([
        ...cpuTicks(desktopProfile),
        ...cpuTicks(phoneProfile),
        ['bench', Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1e4)],
      ]);
    const debug = (label: string, before: Map<string, number>) => {
      if (process.env.BENCH_DEBUG) console.error(cpuReport(label, before, cpu()));
    };
    const idleCpu = cpu();
    await new Promise((r) => setTimeout(r, 5000));
    debug('cpu idle 5 s', idleCpu);
    const idleRss = rssMib(phoneProfile);
    let peakRss = idleRss;
    const results = {
      directdrop: [] as number[],
      raw: [] as number[],
      peerjs: [] as number[],
      peerjsBare: [] as number[],
    };
    for (let run = 1; run <= options.runs; run++) {
      await quiet([desktopProfile, phoneProfile]);
      const memory = sampleMemory(phoneProfile);
      let before = cpu();
      const stopProfiles =
        process.env.BENCH_PROFILE && run === 1
          ? await startProfiles(await profileTargets(desktopProfile, phone.page))
          : undefined;
      results.directdrop.push(await runDirectDrop(popup, phone.page, file, bytes));
      if (stopProfiles) for (const report of await stopProfiles()) console.error(report);
      peakRss = Math.max(peakRss, memory.stop());
      debug('cpu DirectDrop', before);
      const contenders: [number[], string, (tab: Page) => Promise<number>][] = [
        [results.raw, 'plain', (tab) => runRawChannel(offscreen, tab, bytes)],
        [
          results.peerjs,
          'peerjs app',
          (tab) => runPeerJs('app', offscreen, tab, bytes, signalling, peerJsSource),
        ],
        [
          results.peerjsBare,
          'peerjs bare',
          (tab) => runPeerJs('bare', offscreen, tab, bytes, signalling, peerJsSource),
        ],
      ];
      for (const [into, label, contender] of contenders) {
        trace(`${label}: new tab`);
        const tab = await openBare();
        await quiet([desktopProfile, phoneProfile]);
        before = cpu();
        into.push(await contender(tab));
        debug(`cpu ${label}`, before);
        await tab.close();
      }
      const last = (values: number[]) => values.at(-1)?.toFixed(1);
      console.log(
        `run ${run}/${options.runs}: DirectDrop ${last(results.directdrop)} MB/s, ` +
          `plain channel ${last(results.raw)} MB/s, PeerJS binary ${last(results.peerjs)} MB/s ` +
          `(bare ${last(results.peerjsBare)} MB/s)`,
      );
    }
    const summary = {
      size_mib: options.sizeMib,
      runs: options.runs,
      directdrop_mbps: round(median(results.directdrop)),
      raw_channel_mbps: round(median(results.raw)),
      peerjs_binary_mbps: round(median(results.peerjs)),
      ratio_vs_raw: round(median(results.directdrop) / median(results.raw), 3),
      ratio_vs_peerjs_binary: round(median(results.directdrop) / median(results.peerjs), 3),
      peerjs_binary_bare_mbps: round(median(results.peerjsBare)),
      ratio_vs_peerjs_binary_bare: round(median(results.directdrop) / median(results.peerjsBare), 3),
      receiver_peak_rss_mib: round(peakRss, 1),
      receiver_idle_rss_mib: round(idleRss, 1),
      receiver_rss_growth_mib: round(peakRss - idleRss, 1),
    };
    console.log(`\nMedians over ${options.runs} runs of ${options.sizeMib} MiB (MB = 10^6 bytes):`);
    console.log(`  DirectDrop (hashing + disk writes) ${summary.directdrop_mbps} MB/s`);
    console.log(`  plain RTCDataChannel (ceiling)     ${summary.raw_channel_mbps} MB/s`);
    console.log(`  PeerJS binary, sent like an app    ${summary.peerjs_binary_mbps} MB/s`);
    console.log(`  PeerJS binary, bare and paced      ${summary.peerjs_binary_bare_mbps} MB/s`);
    console.log(
      `  ratio vs plain channel ${summary.ratio_vs_raw}, vs PeerJS binary ${summary.ratio_vs_peerjs_binary}` +
        ` (vs bare ${summary.ratio_vs_peerjs_binary_bare})`,
    );
    console.log(
      `  receiving browser memory: idle ${summary.receiver_idle_rss_mib} MiB, peak ${summary.receiver_peak_rss_mib} MiB (+${summary.receiver_rss_growth_mib} MiB)`,
    );
    if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
  } finally {
    // A failure above is the one worth reporting, not a browser that is already gone.
    await desktop.context.close().catch(() => {});
    await phone.context.close().catch(() => {});
    await server.close();
    await receiverSite.close();
    // Each profile holds what its browser received: up to runs x size of disk.
    for (const dir of [desktopProfile, phoneProfile]) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
