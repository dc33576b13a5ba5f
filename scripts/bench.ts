// Throughput benchmark, desktop extension -> companion app in a separate Chromium, on loopback, in ONE run:
//   - DirectDrop: a real transfer from the popup's file picker, with hashing and disk writes on both ends,
//     timed on the receiver from its first byte to the file being written and verified;
//   - a plain RTCDataChannel between the same two browsers, the ceiling, twice: 64 KiB and 256 KiB messages
//     (256 KiB is this Chromium's maxMessageSize, and DirectDrop's frame size), each with the buffer
//     thresholds that gave it its best speed here;
//   - PeerJS with its default `binary` serialization, as PeerJS apps use it: sent the way FilePizza sends
//     a file; and, for reference, the cheapest way PeerJS can be driven.
// Every sender reads the same real file from disk (a File from a file input), as DirectDrop does. One
// warm-up transfer per contender comes first and is not counted; then several rounds, in an order that
// rotates from round to round, so neither a noisy moment nor going first or last favours one contender.
// Every step has a time limit (bench-limits.ts): a stalled contender fails the run, naming the step.
//
//   npm run bench -- [--size-mib 256] [--runs 5] [--out bench.json] [--warmup-mib 32]
//                    [--only directdrop,plain-64k,...] [--step-limit-s 30] [--min-mbps 2]
//                    [--stall CONTENDER]
//
// --stall CONTENDER pauses the JavaScript of that contender's receiving page before its first transfer, to
// check that the limits hold: the run must then exit (code 2) within the limit, naming the step.
// MB/s here are 10^6 bytes per second. BENCH_DEBUG=1 also prints each step as it starts, the transfer rows
// every 5 s and the CPU time each browser process used per contender; BENCH_PROFILE=1 prints where the
// extension's and the companion app's JavaScript spent the first measured DirectDrop run (the profiler
// slows that run down).

import { spawnSync } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import {
  configureExtension,
  launchDesktop,
  launchPhone,
  newProfileDir,
  openPopup,
} from '../tests/e2e/support/browsers';
import { startServer } from '../tests/e2e/support/server';
import { startSite } from '../tests/e2e/support/test-site';
import { connectOffscreen, type Offscreen, profileTargets, startProfiles } from './bench-devtools';
import { DEFAULT_LIMITS, type LimitPolicy, StalledError, transferLimitMs, within } from './bench-limits';
import { cpuReport, cpuTicks, quiet, rssMib, sampleMemory } from './bench-machine';

const CONTENDERS = ['directdrop', 'plain-64k', 'plain-256k', 'peerjs-app', 'peerjs-bare'] as const;
type ContenderName = (typeof CONTENDERS)[number];

/** Launching a browser, pairing, building: steps whose time does not depend on the options. */
const SETUP_LIMIT_MS = 90_000;
/** Closing everything after the run, a stalled one included. */
const CLEANUP_LIMIT_MS = 10_000;

interface Options {
  sizeMib: number;
  runs: number;
  out?: string;
  warmupMib: number;
  only: ContenderName[];
  stall?: ContenderName;
  limits: LimitPolicy;
}

function contenderNames(value: string): ContenderName[] {
  const names = value.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!(CONTENDERS as readonly string[]).includes(name))
      throw new Error(`unknown contender "${name}" (known: ${CONTENDERS.join(', ')})`);
  }
  return names as ContenderName[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    sizeMib: 256,
    runs: 5,
    warmupMib: 32,
    only: [...CONTENDERS],
    limits: { ...DEFAULT_LIMITS },
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--size-mib') options.sizeMib = Number(value);
    else if (flag === '--runs') options.runs = Number(value);
    else if (flag === '--out') options.out = value;
    else if (flag === '--warmup-mib') options.warmupMib = Number(value);
    else if (flag === '--only') options.only = contenderNames(value);
    else if (flag === '--stall') options.stall = contenderNames(value)[0];
    else if (flag === '--step-limit-s') options.limits.stepMs = Number(value) * 1000;
    else if (flag === '--min-mbps') options.limits.floorMbps = Number(value);
    else throw new Error(`unknown option ${flag}`);
    i++;
  }
  if (!Number.isFinite(options.sizeMib) || options.sizeMib <= 0)
    throw new Error('--size-mib must be a positive number');
  if (!Number.isInteger(options.runs) || options.runs < 1)
    throw new Error('--runs must be a positive integer');
  if (!Number.isFinite(options.warmupMib) || options.warmupMib < 0)
    throw new Error('--warmup-mib must be 0 or more');
  if (!(options.limits.stepMs > 0)) throw new Error('--step-limit-s must be positive');
  if (!(options.limits.floorMbps > 0)) throw new Error('--min-mbps must be positive');
  if (options.stall && !options.only.includes(options.stall))
    throw new Error(`--stall ${options.stall}: that contender is not run`);
  return options;
}

const debugging = Boolean(process.env.BENCH_DEBUG);

/** BENCH_DEBUG=1: where the run is. */
function trace(message: string): void {
  if (debugging) console.error(`${new Date().toISOString().slice(11, 23)} ${message}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The steps of one transfer, each under its limit: `step(name, work)` for a step that moves no file bytes,
 * `step(name, work, bytes)` for one that moves `bytes` (its limit grows with them).
 */
type Step = <T>(name: string, work: () => Promise<T>, bytes?: number) => Promise<T>;

function stepsOf(label: string, limits: LimitPolicy): Step {
  return (name, work, bytes) => {
    const step = `${label}: ${name}`;
    trace(step);
    return within(step, bytes ? transferLimitMs(limits, bytes) : limits.stepMs, work());
  };
}

/** Pauses a page's JavaScript, as a hung tab would be: the --stall check. */
async function freeze(page: Page, label: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Debugger.enable');
  await cdp.send('Debugger.pause');
  console.error(`bench: forced stall: ${label}: the receiving page's JavaScript is paused`);
}

/** A test file on disk, and the name of the File that stands for it in the offscreen document. */
interface BenchFile {
  path: string;
  bytes: number;
  offscreenName: string;
}

/** Random bytes, written in blocks: neither this nor a later run holds the whole file in memory. */
function ensureFile(mib: number, offscreenName: string): BenchFile {
  const bytes = Math.round(mib * 1024 * 1024);
  const path = join(tmpdir(), `directdrop-bench-${mib}mib.bin`);
  if (!existsSync(path) || statSync(path).size !== bytes) {
    const fd = openSync(path, 'w');
    try {
      const block = Buffer.alloc(1024 * 1024);
      for (let offset = 0; offset < bytes; offset += block.length) {
        const length = Math.min(block.length, bytes - offset);
        randomFillSync(block, 0, length);
        writeSync(fd, block, 0, length);
      }
    } finally {
      closeSync(fd);
    }
  }
  return { path, bytes, offscreenName };
}

// ---- DirectDrop ----

/** Where a DirectDrop run is, for the message of a stalled one: the rows on both screens. */
async function transferRows(popup: Page, phone: Page): Promise<string> {
  const rowsOf = (page: Page, selector: string) =>
    within(
      'reading rows',
      3000,
      page
        .locator(selector)
        .evaluateAll((els) =>
          els.map((e) => `${(e as HTMLElement).dataset.state} ${e.textContent?.slice(0, 100)}`),
        ),
    ).catch((e: unknown) => [`(unreadable: ${e instanceof Error ? e.message : e})`]);
  const phoneRows = await rowsOf(phone, '[data-testid="transfer-row"]');
  const desktopRows = await rowsOf(
    popup,
    '[data-testid="transfer-row"],[data-testid="outbox-row"],[data-testid="send-files-result"]',
  );
  return `phone: ${JSON.stringify(phoneRows)} desktop: ${JSON.stringify(desktopRows)}`;
}

async function runDirectDrop(
  step: Step,
  popup: Page,
  phone: Page,
  file: BenchFile,
  stall: boolean,
): Promise<number> {
  // Rows of earlier runs stay on screen (already done); only the new transfer is timed.
  await step('watching the phone for the new transfer', () =>
    phone.evaluate(() => {
      const w = window as unknown as {
        benchMarks: Record<string, number | string>;
        benchObserver?: MutationObserver;
      };
      const earlier = new Set(
        [...document.querySelectorAll<HTMLElement>('[data-testid="transfer-row"]')].map(
          (r) => r.dataset.transferId ?? '',
        ),
      );
      w.benchMarks = {};
      w.benchObserver?.disconnect();
      w.benchObserver = new MutationObserver(() => {
        for (const row of document.querySelectorAll<HTMLElement>('[data-testid="transfer-row"]')) {
          const id = row.dataset.transferId ?? '';
          if (earlier.has(id)) continue;
          const state = row.dataset.state;
          if (state === 'receiving' && !w.benchMarks.start) w.benchMarks.start = performance.now();
          if (state === 'done' && !w.benchMarks.done) w.benchMarks.done = performance.now();
          if (state === 'failed' || state === 'cancelled') w.benchMarks.failed = row.textContent ?? state;
        }
      });
      w.benchObserver.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-state'],
      });
    }),
  );
  if (stall) await freeze(phone, 'directdrop');
  await step('choosing the file in the popup', async () => {
    const target = popup.getByTestId('send-files-target');
    if (await target.count()) await target.selectOption({ index: 0 });
    await popup.getByTestId('send-files-input').setInputFiles(file.path);
    const confirm = popup.getByTestId('send-files-button');
    if (await confirm.count()) await confirm.click();
  });
  const watch = debugging
    ? setInterval(async () => console.error(await transferRows(popup, phone)), 5000)
    : undefined;
  // Resolves with the mark once it is set; a failed transfer ends the wait at once.
  const mark = (name: 'start' | 'done') =>
    phone
      .waitForFunction(
        (name) => {
          const marks = (window as unknown as { benchMarks: Record<string, number | string> }).benchMarks;
          if (marks.failed !== undefined) return { failed: String(marks.failed) };
          return marks[name] === undefined ? false : { at: Number(marks[name]) };
        },
        name,
        { timeout: 0, polling: 100 },
      )
      .then((handle) => handle.jsonValue() as Promise<{ failed?: string; at?: number }>)
      .then((result) => {
        if (result.failed !== undefined) throw new Error(`the DirectDrop transfer failed: ${result.failed}`);
        return result.at ?? 0;
      });
  try {
    const start = await step('waiting for the phone to start receiving', () => mark('start'));
    const done = await step(
      `receiving ${file.bytes} bytes (first byte to file verified)`,
      () => mark('done'),
      file.bytes,
    );
    return file.bytes / 1e6 / ((done - start) / 1000);
  } catch (error) {
    if (error instanceof StalledError) console.error(`bench: ${await transferRows(popup, phone)}`);
    throw error;
  } finally {
    clearInterval(watch);
  }
}

// ---- what the plain-channel and PeerJS senders share: reading the file, counting on the receiver ----

/**
 * Defines `benchBlocks(file)` in the offscreen document: the file's bytes in 1 MiB blocks (DirectDrop's
 * read size), the next block read while the current one is sent.
 */
const BLOCK_READER = `
  window.benchBlocks ??= async function* (file) {
    const BLOCK = 1024 * 1024;
    let next = file.slice(0, BLOCK).arrayBuffer();
    for (let position = 0; position < file.size; position += BLOCK) {
      const block = new Uint8Array(await next);
      if (position + BLOCK < file.size) next = file.slice(position + BLOCK, position + 2 * BLOCK).arrayBuffer();
      yield block;
    }
  };`;

/**
 * Receiver side of the plain and PeerJS runs: the MB/s from the first message's arrival on the channel to
 * the last bytes' delivery. The first message's own bytes arrived before the clock started, so they do
 * not count. PeerJS also reports what reaches its channel (`benchOnWire`): it cuts messages into 16 KiB
 * pieces and hands over a whole message only once all its pieces are in, so the clock starts at its first
 * piece, as for the other contenders, and not 10 MiB later.
 */
const RECEIVER_COUNTER = `
  window.benchState = { bytes: 0, got: 0, messages: 0, unarmed: 0 };
  window.benchOnData = () => { window.benchState.unarmed++; };
  window.benchCount = (bytes) => new Promise((resolve) => {
    const state = window.benchState;
    state.bytes = bytes;
    let first = 0, firstSize = 0;
    window.benchOnWire = (size) => {
      if (!first) { first = performance.now(); firstSize = size; }
    };
    window.benchOnData = (size) => {
      window.benchOnWire(size);
      state.got += size;
      state.messages++;
      if (state.got >= bytes) resolve((state.got - firstSize) / 1e3 / (performance.now() - first));
    };
  });`;

/** What the receiving tab has counted, for the message of a stalled run. */
async function receiverState(tab: Page): Promise<string> {
  return within(
    'reading the receiver state',
    3000,
    tab.evaluate(() => JSON.stringify((window as unknown as { benchState?: unknown }).benchState)),
  ).catch((e: unknown) => `(unreadable: ${e instanceof Error ? e.message : e})`);
}

/**
 * Arms the receiving tab's counter, and only then returns: bytes that arrived before it would be missed
 * and the count would never reach the total (the benchmark's own stall). The promise it returns resolves
 * with the MB/s once all bytes are in; it is marked handled at once so that a sender's failure is the one
 * reported.
 */
async function armCounter(step: Step, tab: Page, bytes: number): Promise<{ counted: Promise<number> }> {
  await step('arming the receiver', () =>
    tab.evaluate((n) => {
      const w = window as unknown as {
        benchCount(n: number): Promise<number>;
        benchCounted: Promise<number>;
      };
      w.benchCounted = w.benchCount(n);
    }, bytes),
  );
  const counted = tab.evaluate(() => (window as unknown as { benchCounted: Promise<number> }).benchCounted);
  counted.catch(() => {});
  // Wrapped: an async function returning the promise itself would wait for it.
  return { counted };
}

// ---- plain RTCDataChannel ----

/**
 * Message size and the bufferedAmount thresholds (send while at or below `highBytes`, then wait for
 * `bufferedamountlow` at `lowBytes`). Each has the thresholds that gave it its best mean here, out of
 * 256 KiB / 1 MiB, 1 / 4 MiB (DirectDrop's own), 4 / 8 MiB and 8 / 15 MiB (Chromium refuses to buffer
 * 16 MiB), in 6 interleaved 64 MiB rounds each on a loaded machine; all four were within noise of each other.
 */
interface PlainShape {
  chunkBytes: number;
  lowBytes: number;
  highBytes: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const PLAIN: Record<'plain-64k' | 'plain-256k', PlainShape> = {
  'plain-64k': { chunkBytes: 64 * KiB, lowBytes: 256 * KiB, highBytes: 1 * MiB },
  'plain-256k': { chunkBytes: 256 * KiB, lowBytes: 8 * MiB, highBytes: 15 * MiB },
};

async function runPlainChannel(
  step: Step,
  shape: PlainShape,
  offscreen: Offscreen,
  tab: Page,
  file: BenchFile,
  stall: boolean,
): Promise<number> {
  const offer = (await step('creating the offer', () =>
    offscreen.evaluate(`(async () => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      const dc = pc.createDataChannel('bench', { ordered: true });
      dc.binaryType = 'arraybuffer';
      window.benchRaw = { pc, dc, opened: new Promise((r) => (dc.onopen = r)) };
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); else pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
      return pc.localDescription.sdp;
    })()`),
  )) as string;
  const answer = await step('answering on the receiver', () =>
    tab.evaluate(
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
    ),
  );
  await step('connecting', () =>
    offscreen.evaluate(
      `(async () => { await window.benchRaw.pc.setRemoteDescription({ type: 'answer', sdp: ${JSON.stringify(answer)} }); await window.benchRaw.opened; })()`,
    ),
  );
  const { counted } = await armCounter(step, tab, file.bytes);
  if (stall) await freeze(tab, 'plain channel');
  await step(
    `sending ${file.bytes} bytes`,
    () =>
      offscreen.evaluate(`(async () => {
        ${BLOCK_READER}
        const { dc } = window.benchRaw;
        dc.bufferedAmountLowThreshold = ${shape.lowBytes};
        for await (const block of window.benchBlocks(window.${file.offscreenName})) {
          for (let offset = 0; offset < block.length; offset += ${shape.chunkBytes}) {
            if (dc.bufferedAmount > ${shape.highBytes}) await new Promise((r) => (dc.onbufferedamountlow = r));
            dc.send(block.subarray(offset, offset + ${shape.chunkBytes}));
          }
        }
      })()`),
    file.bytes,
  );
  const mbps = await step('receiving the last bytes', () => counted);
  await step('closing', async () => {
    await offscreen.evaluate('window.benchRaw.pc.close()');
    await tab.evaluate(() => (window as unknown as { benchRawPc: RTCPeerConnection }).benchRawPc.close());
  });
  return mbps;
}

// ---- PeerJS ----

/**
 * How the PeerJS contenders send: `app` the way FilePizza, the best-known PeerJS file-sharing app, sends a
 * file (a `{type, fileName, offset, bytes, final}` message per 10 MiB slice of the File, the next one on a
 * zero timeout, PeerJS's own queue as the only flow control); `bare` the cheapest PeerJS can be made to go
 * (bare 64 KiB ArrayBuffers, waiting whenever PeerJS queues more than 64 messages).
 */
type PeerJsStyle = 'app' | 'bare';

const PEERJS_SENDERS: Record<PeerJsStyle, (fileName: string) => string> = {
  app: (fileName) => `(async () => {
    const { conn } = window.benchPeerJs;
    const file = window.${fileName};
    const CHUNK = 10 * 1024 * 1024;
    let offset = 0;
    await new Promise((done) => {
      const next = () => setTimeout(() => {
        const end = Math.min(file.size, offset + CHUNK);
        const final = end === file.size;
        conn.send({ type: 'chunk', fileName: 'bench.bin', offset, bytes: file.slice(offset, end), final });
        offset = end;
        if (final) done(); else next();
      }, 0);
      next();
    });
  })()`,
  bare: (fileName) => `(async () => {
    ${BLOCK_READER}
    const { conn } = window.benchPeerJs;
    const CHUNK = 64 * 1024;
    for await (const block of window.benchBlocks(window.${fileName})) {
      for (let offset = 0; offset < block.length; offset += CHUNK) {
        while (conn.bufferSize > 64) await new Promise((r) => setTimeout(r, 5));
        conn.send(block.slice(offset, offset + CHUNK).buffer);
      }
    }
  })()`,
};

async function runPeerJs(
  step: Step,
  style: PeerJsStyle,
  offscreen: Offscreen,
  tab: Page,
  file: BenchFile,
  server: { host: string; port: number },
  peerJsSource: string,
  stall: boolean,
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
  await step('receiver joining the server', () =>
    tab.evaluate(
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
        const w = window as unknown as {
          benchOnData?: (n: number) => void;
          benchOnWire?: (n: number) => void;
        };
        peer.on(
          'connection',
          (conn: {
            dataChannel: RTCDataChannel;
            on(e: string, cb: (d: Bytes | { bytes: Bytes }) => void): void;
          }) => {
            conn.on('open', () =>
              conn.dataChannel.addEventListener('message', (m: MessageEvent<ArrayBuffer>) =>
                w.benchOnWire?.(m.data.byteLength),
              ),
            );
            conn.on('data', (data) =>
              w.benchOnData?.('bytes' in data ? data.bytes.byteLength : data.byteLength),
            );
          },
        );
        await new Promise((r) => peer.on('open', r as never));
      },
      { source: peerJsSource, counter: RECEIVER_COUNTER, id, options },
    ),
  );
  await step('connecting', () =>
    offscreen.evaluate(`(async () => {
      if (!window.peerjs) (0, eval)(${JSON.stringify(peerJsSource)});
      const peer = new window.peerjs.Peer(${JSON.stringify(senderId)}, ${options});
      await new Promise((r) => peer.on('open', r));
      const conn = peer.connect(${JSON.stringify(id)});
      await new Promise((r) => conn.on('open', r));
      window.benchPeerJs = { peer, conn };
    })()`),
  );
  const { counted } = await armCounter(step, tab, file.bytes);
  if (stall) await freeze(tab, `peerjs ${style}`);
  // The app style only hands PeerJS its slices: the bytes move while the receiver counts them.
  await step(
    `sending ${file.bytes} bytes`,
    () => offscreen.evaluate(PEERJS_SENDERS[style](file.offscreenName)),
    file.bytes,
  );
  const mbps = await step(`receiving ${file.bytes} bytes`, () => counted, file.bytes);
  await step('closing', async () => {
    await offscreen.evaluate('window.benchPeerJs.peer.destroy()');
    await tab.evaluate(() => (window as unknown as { benchPeer: { destroy(): void } }).benchPeer.destroy());
  });
  return mbps;
}

// ---- the run ----

/** Runs `work` under the setup limit, naming the step. */
function setup<T>(name: string, work: () => Promise<T>): Promise<T> {
  trace(`setup: ${name}`);
  return within(`setup: ${name}`, SETUP_LIMIT_MS, work());
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function main(options: Options): Promise<void> {
  if (!existsSync('.output/chrome-mv3/manifest.json') || !existsSync('dist/companion/index.html')) {
    console.log('Building the extension and the companion app first...');
    const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit', timeout: 15 * 60_000 });
    if (built.status !== 0) throw new Error('The build failed.');
  }
  const peerJsSource = readFileSync(
    createRequire(import.meta.url).resolve('peerjs/dist/peerjs.min.js'),
    'utf8',
  );
  const file = ensureFile(options.sizeMib, 'benchFile');
  const warmupFile =
    options.warmupMib > 0
      ? ensureFile(Math.min(options.warmupMib, options.sizeMib), 'benchWarmupFile')
      : undefined;

  // The plain-channel and PeerJS receivers run in an empty page of their own origin, which the server
  // is told to allow (it refuses WebSockets from pages of unknown origins).
  const receiverSite = await setup("starting the receivers' site", () =>
    startSite(
      {
        '/receiver.html': { body: Buffer.from('<!doctype html><title>receiver</title>'), type: 'text/html' },
      },
      '127.0.0.1',
    ),
  );
  const server = await setup('starting the server', () =>
    startServer(0, { ALLOWED_ORIGINS: receiverSite.origin }),
  );
  const desktopProfile = newProfileDir('bench-desktop');
  const phoneProfile = newProfileDir('bench-phone');
  const closers: Array<() => Promise<unknown>> = [() => receiverSite.close(), () => server.close()];
  try {
    const desktop = await setup('launching the desktop browser', () =>
      launchDesktop(desktopProfile, ['--remote-debugging-port=0']),
    );
    closers.unshift(() => desktop.context.close());
    const phone = await setup('launching the phone browser', () => launchPhone(phoneProfile));
    closers.unshift(() => phone.context.close());
    const popup = await setup('pairing the phone with the desktop', async () => {
      await configureExtension(desktop, server.httpUrl);
      const popup = await openPopup(desktop);
      await popup.getByTestId('server-status').and(popup.locator('[data-status="online"]')).waitFor();
      const link = ((await popup.getByTestId('pairing-link').textContent()) ?? '').trim();
      await phone.page.goto(link);
      await phone.page.locator('[data-testid="pairing-status"][data-state="paired"]').waitFor();
      await popup.locator('[data-testid="device-row"][data-status="online"]').waitFor();
      return popup;
    });
    const offscreen = await setup('reaching the offscreen document', async () => {
      const offscreen = await connectOffscreen(desktopProfile);
      for (const f of [file, warmupFile]) if (f) await offscreen.pickFile(f.offscreenName, f.path);
      return offscreen;
    });
    phone.page.on('crash', () => console.error('the companion app crashed'));
    phone.page.on('console', (m) => debugging && console.error('phone:', m.text()));
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
      if (debugging) console.error(cpuReport(label, before, cpu()));
    };
    const idleCpu = cpu();
    await new Promise((r) => setTimeout(r, 5000));
    debug('cpu idle 5 s', idleCpu);
    const idleRss = rssMib(phoneProfile);
    let peakRss = idleRss;
    const results = new Map<ContenderName, number[]>(options.only.map((name) => [name, []]));
    let stallPending = options.stall;

    /** One transfer of `f` by `name`; a measured one is added to the results. */
    const transfer = async (name: ContenderName, f: BenchFile, label: string, measured: boolean) => {
      const step = stepsOf(`${name} ${label}`, options.limits);
      const stall = stallPending === name;
      if (stall) stallPending = undefined;
      await quiet([desktopProfile, phoneProfile]);
      const before = cpu();
      let mbps: number;
      if (name === 'directdrop') {
        const memory = measured ? sampleMemory(phoneProfile) : undefined;
        const stopProfiles =
          process.env.BENCH_PROFILE && measured && !results.get(name)?.length
            ? await step('starting the profiler', async () =>
                startProfiles(await profileTargets(desktopProfile, phone.page)),
              )
            : undefined;
        mbps = await runDirectDrop(step, popup, phone.page, f, stall);
        if (stopProfiles)
          for (const report of await step('stopping the profiler', stopProfiles)) console.error(report);
        if (memory) peakRss = Math.max(peakRss, memory.stop());
      } else {
        const tab = await step('opening a receiver tab', openBare);
        try {
          if (name === 'plain-64k' || name === 'plain-256k')
            mbps = await runPlainChannel(step, PLAIN[name], offscreen, tab, f, stall);
          else
            mbps = await runPeerJs(
              step,
              name === 'peerjs-app' ? 'app' : 'bare',
              offscreen,
              tab,
              f,
              signalling,
              peerJsSource,
              stall,
            );
        } catch (error) {
          if (error instanceof StalledError)
            console.error(`bench: receiver counted ${await receiverState(tab)}`);
          throw error;
        }
        await step('closing the receiver tab', () => tab.close());
      }
      debug(`cpu ${name} ${label}`, before);
      if (measured) results.get(name)?.push(mbps);
      return mbps;
    };

    if (warmupFile) {
      for (const name of options.only) {
        const mbps = await transfer(name, warmupFile, 'warm-up', false);
        trace(`${name} warm-up: ${mbps.toFixed(1)} MB/s`);
      }
    }
    for (let run = 1; run <= options.runs; run++) {
      const order = rotate(options.only, run - 1);
      const line: string[] = [];
      for (const name of order) {
        const mbps = await transfer(name, file, `run ${run}/${options.runs}`, true);
        line.push(`${name} ${mbps.toFixed(1)}`);
      }
      console.log(`run ${run}/${options.runs} (MB/s, in the order run): ${line.join(', ')}`);
    }
    report(options, results, idleRss, peakRss);
  } finally {
    // A failure above is the one worth reporting, not a browser that is already gone or stuck.
    for (const close of closers) await within('cleanup', CLEANUP_LIMIT_MS, close()).catch(() => {});
    // Each profile holds what its browser received: up to runs x size of disk.
    for (const dir of [desktopProfile, phoneProfile]) rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  options: Options,
  results: Map<ContenderName, number[]>,
  idleRss: number,
  peakRss: number,
): void {
  const medianOf = (name: ContenderName) => {
    const values = results.get(name);
    return values?.length ? round(median(values)) : null;
  };
  const plain64 = medianOf('plain-64k');
  const plain256 = medianOf('plain-256k');
  const plainBest =
    plain64 === null && plain256 === null
      ? null
      : (plain256 ?? 0) >= (plain64 ?? 0)
        ? { name: 'plain-256k', mbps: plain256 ?? 0 }
        : { name: 'plain-64k', mbps: plain64 ?? 0 };
  const directdrop = medianOf('directdrop');
  const summary = {
    size_mib: options.sizeMib,
    runs: options.runs,
    warmup_mib: options.warmupMib,
    directdrop_mbps: directdrop,
    plain_64k_mbps: plain64,
    plain_256k_mbps: plain256,
    raw_channel_mbps: plainBest?.mbps ?? null,
    raw_channel_contender: plainBest?.name ?? null,
    ratio_vs_raw: directdrop !== null && plainBest ? round(directdrop / plainBest.mbps, 3) : null,
    peerjs_binary_mbps: medianOf('peerjs-app'),
    peerjs_binary_bare_mbps: medianOf('peerjs-bare'),
    per_run_mbps: Object.fromEntries(
      [...results].map(([name, values]) => [name, values.map((v) => round(v))]),
    ),
    receiver_peak_rss_mib: round(peakRss, 1),
    receiver_idle_rss_mib: round(idleRss, 1),
    receiver_rss_growth_mib: round(peakRss - idleRss, 1),
  };
  const show = (value: number | null) => (value === null ? 'not run' : `${value} MB/s`);
  console.log(`\nMedians over ${options.runs} runs of ${options.sizeMib} MiB (MB = 10^6 bytes):`);
  console.log(`  DirectDrop (hashing + disk writes)  ${show(summary.directdrop_mbps)}`);
  console.log(`  plain RTCDataChannel, 64 KiB        ${show(summary.plain_64k_mbps)}`);
  console.log(`  plain RTCDataChannel, 256 KiB       ${show(summary.plain_256k_mbps)}`);
  console.log(`  PeerJS binary, sent like an app     ${show(summary.peerjs_binary_mbps)}`);
  console.log(`  PeerJS binary, bare and paced       ${show(summary.peerjs_binary_bare_mbps)}`);
  if (summary.ratio_vs_raw !== null)
    console.log(
      `  ratio vs the faster plain channel (${summary.raw_channel_contender}) ${summary.ratio_vs_raw}`,
    );
  if (results.has('directdrop'))
    console.log(
      `  receiving browser memory: idle ${summary.receiver_idle_rss_mib} MiB, peak ${summary.receiver_peak_rss_mib} MiB (+${summary.receiver_rss_growth_mib} MiB)`,
    );
  if (options.out) writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
}

let options: Options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${error instanceof Error ? error.message : error}`);
  process.exit(64);
}
main(options).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof StalledError) {
      console.error(`bench: ${error.message}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
