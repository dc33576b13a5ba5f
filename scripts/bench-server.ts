// Load benchmark of the signalling server: ONE server process (spawned, on loopback) holding N simulated
// devices. Each device is a plain `ws` client speaking the PeerJS signalling protocol (OPEN, HEARTBEAT
// every 5 s, OFFER/ANSWER/CANDIDATE relayed with `src`) and, fd limit permitting, the presence protocol
// (announce into a network of 10 devices, simulated with X-Forwarded-For from a trusted proxy, plus two
// rooms shared with devices of neighbouring networks). The clients run in several worker processes, so
// no single client event loop limits what is measured; each worker reports its own event-loop delay.
//
// Measured: connection setups per second (time until OPEN), the server's RSS idle and with every device
// connected, relay latency p50/p99 at a sustained rate of relayed messages (every message accounted for),
// and presence fan-out latency p99 (an announce until all others in its network got peer-updated), with
// both loads running at once.
//
// Then a hostile phase: the same honest load again while another process attacks the server (receivers
// that stop reading with senders pushing 60 KiB offers at them, payloads nested thousands of levels deep
// sent to honest peer ids, 60 KiB offers flooded to ids nobody holds, and one presence network of 1,400
// devices of which 400 keep turning visible and hidden). Reported: the server's peak RSS growth over the
// loaded figure, the honest relay p50/p99 during the attack, /health p99, and whether any honest socket
// was closed. Targets: RSS growth < 100 MiB, honest relay p99 < 50 ms.
//
//   npm run bench:server -- [--peers 10000] [--rate 1000] [--duration 15] [--presence-rate 100]
//                           [--workers 3] [--out FILE] [--profile DIR] [--no-hostile]

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';

const NETWORK_SIZE = 10;
const HEARTBEAT_MS = 5_000;
const HEARTBEAT_TICK_MS = 100;
const HEARTBEAT = '{"type":"HEARTBEAT"}';
const CONNECT_CONCURRENCY = 256;
/** File descriptors the server keeps for itself beyond its sockets (stdio, epoll, listener, loader). */
const SERVER_FD_RESERVE = 200;
/** The hostile phase's sockets: one network of 1,400 presence devices plus the signalling attackers. */
const HOSTILE_MEMBERS = 1_400;
const HOSTILE_CHURNERS = 400;
const HOSTILE_STEADY = 40;
const HOSTILE_FDS = HOSTILE_MEMBERS + 100;

// ---------------------------------------------------------------------------------------------------
// Shared

interface Options {
  peers: number;
  rate: number;
  durationS: number;
  presenceRate: number;
  workers: number;
  out?: string;
  /** Directory for a V8 CPU profile of the server (node --cpu-prof), written when it exits. */
  profileDir?: string;
  hostile: boolean;
}

interface WorkerPlan {
  worker: number;
  port: number;
  totalPeers: number;
  /** Devices of this worker: [first, end) of the global index; networks never straddle workers. */
  first: number;
  end: number;
  /** Devices below this index also hold a presence socket. */
  presencePeers: number;
  sourceAddress: string;
}

type ToWorker =
  | { cmd: 'connect-peers' }
  | { cmd: 'connect-presence' }
  | { cmd: 'measure'; rate: number; presenceRate: number; durationS: number }
  | { cmd: 'exit' };

type FromWorker =
  | { event: 'ready' }
  | {
      event: 'peers-connected';
      startUs: number;
      endUs: number;
      count: number;
      failures: number;
      setupMs: number[];
    }
  | { event: 'presence-connected'; startUs: number; endUs: number; count: number; failures: number }
  | {
      event: 'measured';
      sent: number;
      received: number;
      relayLatenciesMs: number[];
      presenceLatenciesMs: number[];
      presenceIncomplete: number;
      closedUnexpectedly: number;
      /** Unexpected closes by socket kind and close code, e.g. "presence 1006". */
      closedBy: Record<string, number>;
      loopDelayP99Ms: number;
    };

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

const peerIdOf = (i: number): string =>
  createHash('sha256').update(`bench-peer-${i}`).digest('hex').slice(0, 32);
const tokenOf = (i: number): string =>
  createHash('sha256').update(`bench-token-${i}`).digest('hex').slice(0, 24);
/** Network k is seen as coming from 198.18.x.y (the benchmarking range, a public address for grouping). */
const networkAddress = (k: number): string => `198.18.${(k >> 8) & 255}.${k & 255}`;
const roomOf = (a: number, b: number): string =>
  createHash('sha256')
    .update(`bench-room-${Math.min(a, b)}-${Math.max(a, b)}`)
    .digest('base64url');

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

// Shaped like a real PeerJS data connection: one offer and one answer (about a kilobyte of SDP each) and
// a handful of ICE candidates per connection.
const SDP = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=candidate:1 1 udp 2122260223 192.168.1.20 54321 typ host generation 0\r\n'.repeat(8)}${'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n'.repeat(3)}`;
const KINDS = ['OFFER', 'ANSWER', 'CANDIDATE', 'CANDIDATE', 'CANDIDATE', 'CANDIDATE'] as const;

function signal(kind: (typeof KINDS)[number], dst: string, seq: number, worker: number): string {
  const stamp = { t: nowUs(), s: seq, w: worker };
  const payload =
    kind === 'CANDIDATE'
      ? {
          candidate: {
            candidate:
              'candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 0.0.0.0 rport 0',
            sdpMid: '0',
            sdpMLineIndex: 0,
          },
          type: 'data',
          connectionId: 'dc_bench',
          bench: stamp,
        }
      : {
          sdp: { type: kind === 'OFFER' ? 'offer' : 'answer', sdp: SDP },
          type: 'data',
          connectionId: 'dc_bench',
          label: 'dc_bench',
          reliable: true,
          serialization: 'raw',
          browser: 'chrome',
          bench: stamp,
        };
  return JSON.stringify({ type: kind, dst, payload });
}

// ---------------------------------------------------------------------------------------------------
// Worker: holds a slice of the devices

async function runWorker(plan: WorkerPlan): Promise<void> {
  const send = (message: FromWorker): void => {
    process.send?.(message);
  };
  const base = `ws://127.0.0.1:${plan.port}`;
  const peerSockets: WebSocket[] = [];
  const presenceSockets = new Map<number, WebSocket>();
  let received = 0;
  let closedUnexpectedly = 0;
  let closedBy: Record<string, number> = {};
  const noteClosed = (kind: string, code: number): void => {
    if (stopping) return;
    closedUnexpectedly++;
    closedBy[`${kind} ${code}`] = (closedBy[`${kind} ${code}`] ?? 0) + 1;
  };
  let stopping = false;
  const relayLatenciesMs: number[] = [];
  const presenceLatenciesMs: number[] = [];
  /** name -> pending fan-out: when it was announced and how many members still have to hear of it. */
  const pendingPresence = new Map<string, { startUs: number; remaining: number }>();
  /** Per presence device: the peer ids of the others it knows of in its network. */
  const known = new Map<number, Set<string>>();
  let onNetworkKnown: (() => void) | undefined;
  let complete = 0;

  // The listener is attached before the handshake: the server's first message can arrive in the same
  // read as the handshake response.
  const open = (
    url: string,
    headers: Record<string, string>,
    onMessage: (text: string) => void,
  ): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers,
        perMessageDeflate: false,
        localAddress: plan.sourceAddress,
        handshakeTimeout: 30_000,
      });
      ws.on('message', (data) => onMessage(String(data)));
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });

  async function pool(count: number, task: (i: number) => Promise<void>): Promise<number> {
    let next = 0;
    let failures = 0;
    const lanes = Array.from({ length: Math.min(CONNECT_CONCURRENCY, count) }, async () => {
      while (next < count) {
        const i = next++;
        for (let attempt = 0; ; attempt++) {
          try {
            await task(i);
            break;
          } catch (error) {
            if (failures === 0)
              console.error(`worker ${plan.worker}: first connection failure: ${String(error)}`);
            failures++;
            if (attempt >= 3) throw new Error(`a connection failed 4 times, last with: ${String(error)}`);
            await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
          }
        }
      }
    });
    await Promise.all(lanes);
    return failures;
  }

  const setupMs: number[] = [];
  const connectPeer = async (index: number): Promise<void> => {
    const startedUs = nowUs();
    const network = Math.floor(index / NETWORK_SIZE);
    let opened: (() => void) | undefined;
    let refused: ((error: Error) => void) | undefined;
    const whenOpen = new Promise<void>((resolve, reject) => {
      opened = resolve;
      refused = reject;
    });
    const ws = await open(
      `${base}/peerjs/peerjs?key=peerjs&id=${peerIdOf(index)}&token=${tokenOf(index)}`,
      { 'X-Forwarded-For': networkAddress(network) },
      (text) => {
        const message = JSON.parse(text) as { type: string; payload?: { bench?: { t: number } } };
        if (message.type === 'OPEN') {
          opened?.();
          return;
        }
        // Only measurement messages carry a stamp; they are counted even if this worker's measurement
        // started a moment after the sender's.
        const stamp = message.payload?.bench;
        if (stamp) {
          received++;
          relayLatenciesMs.push((nowUs() - stamp.t) / 1000);
        } else if (message.type !== 'EXPIRE' && message.type !== 'LEAVE') {
          refused?.(new Error(`unexpected ${message.type}`));
        }
      },
    );
    await whenOpen;
    setupMs.push((nowUs() - startedUs) / 1000);
    ws.on('close', (code) => noteClosed('signalling', code));
    peerSockets.push(ws);
  };

  // PeerJS clients send a heartbeat every 5 s. One timer walks the sockets in slices (each socket every
  // 5 s, spread evenly), which costs the client side far less than one timer per socket.
  let heartbeatCursor = 0;
  const heartbeatTimer = setInterval(() => {
    const slice = Math.ceil((peerSockets.length * HEARTBEAT_TICK_MS) / HEARTBEAT_MS);
    for (let n = 0; n < slice && peerSockets.length > 0; n++) {
      heartbeatCursor = (heartbeatCursor + 1) % peerSockets.length;
      const ws = peerSockets[heartbeatCursor];
      if (ws?.readyState === WebSocket.OPEN) ws.send(HEARTBEAT);
    }
  }, HEARTBEAT_TICK_MS);

  const announceOf = (index: number, version: number): string => {
    const network = Math.floor(index / NETWORK_SIZE);
    const networks = Math.ceil(plan.presencePeers / NETWORK_SIZE);
    const slot = index % NETWORK_SIZE;
    // Paired with the device in the same slot of the next and the previous network.
    const next = ((network + 1) % networks) * NETWORK_SIZE + slot;
    const previous = ((network + networks - 1) % networks) * NETWORK_SIZE + slot;
    const rooms = [...new Set([roomOf(index, next), roomOf(index, previous)])];
    return JSON.stringify({
      type: 'announce',
      peerId: peerIdOf(index),
      name: `Bench device ${index} v${version}`,
      deviceType: 'laptop',
      avatar: `avatar-${String(index).padStart(6, '0')}`,
      visible: true,
      rooms,
    });
  };

  const connectPresence = async (index: number): Promise<void> => {
    const network = Math.floor(index / NETWORK_SIZE);
    let handle: (text: string) => void = () => {};
    const ws = await open(`${base}/presence`, { 'X-Forwarded-For': networkAddress(network) }, (text) =>
      handle(text),
    );
    const mine = new Set<string>();
    known.set(index, mine);
    const networkMembers = Math.min(NETWORK_SIZE, plan.presencePeers - network * NETWORK_SIZE) - 1;
    let counted = false;
    const noteKnown = (): void => {
      if (!counted && mine.size >= networkMembers) {
        counted = true;
        complete++;
        onNetworkKnown?.();
      }
    };
    await new Promise<void>((resolve, reject) => {
      handle = (text) => {
        const message = JSON.parse(text) as {
          type: string;
          peers?: { peerId: string }[];
          peer?: { peerId: string; name: string };
          code?: string;
        };
        switch (message.type) {
          case 'nearby':
            for (const p of message.peers ?? []) mine.add(p.peerId);
            noteKnown();
            resolve();
            break;
          case 'peer-joined':
            if (message.peer) mine.add(message.peer.peerId);
            noteKnown();
            break;
          case 'peer-updated': {
            const pending = message.peer && pendingPresence.get(message.peer.name);
            if (pending && --pending.remaining === 0) {
              presenceLatenciesMs.push((nowUs() - pending.startUs) / 1000);
              if (message.peer) pendingPresence.delete(message.peer.name);
            }
            break;
          }
          case 'error':
            reject(new Error(`presence error ${message.code}`));
            break;
        }
      };
      ws.send(announceOf(index, 0));
    }).catch((error: unknown) => {
      ws.terminate();
      throw error;
    });
    ws.on('close', (code) => noteClosed('presence', code));
    presenceSockets.set(index, ws);
  };

  const measure = async (rate: number, presenceRate: number, durationS: number): Promise<void> => {
    presenceLatenciesMs.length = 0;
    relayLatenciesMs.length = 0;
    received = 0;
    closedUnexpectedly = 0;
    closedBy = {};
    // This process's own event-loop delay adds to what it measures: reported so the figures can be read.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    let sent = 0;
    let announced = 0;
    let version = 1;
    const presenceIndexes = [...presenceSockets.keys()];
    const startUs = nowUs();
    const endUs = startUs + durationS * 1e6;
    await new Promise<void>((resolve) => {
      // Sends what is due every 2 ms, so the rate holds even when a tick comes late.
      const tick = setInterval(() => {
        const now = nowUs();
        const elapsedS = (Math.min(now, endUs) - startUs) / 1e6;
        const relayDue = Math.floor(elapsedS * rate);
        while (sent < relayDue) {
          const from = peerSockets[Math.floor(Math.random() * peerSockets.length)];
          const dst = peerIdOf(Math.floor(Math.random() * plan.totalPeers));
          from?.send(signal(KINDS[sent % KINDS.length] ?? 'CANDIDATE', dst, sent, plan.worker));
          sent++;
        }
        const presenceDue = presenceIndexes.length > 0 ? Math.floor(elapsedS * presenceRate) : 0;
        while (announced < presenceDue) {
          const index = presenceIndexes[Math.floor(Math.random() * presenceIndexes.length)] ?? 0;
          const text = announceOf(index, version++);
          const name = (JSON.parse(text) as { name: string }).name;
          const network = Math.floor(index / NETWORK_SIZE);
          const members = Math.min(NETWORK_SIZE, plan.presencePeers - network * NETWORK_SIZE) - 1;
          pendingPresence.set(name, { startUs: nowUs(), remaining: members });
          presenceSockets.get(index)?.send(text);
          announced++;
        }
        if (now >= endUs) {
          clearInterval(tick);
          resolve();
        }
      }, 2);
    });
    // Everything in flight arrives well within this.
    loopDelay.disable();
    await new Promise((r) => setTimeout(r, 3_000));
    send({
      event: 'measured',
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      sent,
      received,
      relayLatenciesMs,
      presenceLatenciesMs,
      presenceIncomplete: pendingPresence.size,
      closedUnexpectedly,
      closedBy,
    });
  };

  process.on('message', (message: ToWorker) => {
    switch (message.cmd) {
      case 'connect-peers': {
        const startUs = nowUs();
        const count = plan.end - plan.first;
        pool(count, (i) => connectPeer(plan.first + i)).then(
          (failures) => send({ event: 'peers-connected', startUs, endUs: nowUs(), count, failures, setupMs }),
          (error: unknown) => {
            console.error(`worker ${plan.worker}: ${String(error)}`);
            process.exit(1);
          },
        );
        break;
      }
      case 'connect-presence': {
        const startUs = nowUs();
        const first = plan.first;
        const end = Math.min(plan.end, plan.presencePeers);
        const count = Math.max(0, end - first);
        const allKnown = new Promise<void>((resolve) => {
          onNetworkKnown = () => {
            if (complete >= count) resolve();
          };
          if (count === 0) resolve();
        });
        pool(count, (i) => connectPresence(first + i))
          .then(async (failures) => {
            const endUs = nowUs();
            await allKnown;
            send({ event: 'presence-connected', startUs, endUs, count, failures });
          })
          .catch((error: unknown) => {
            console.error(`worker ${plan.worker}: ${String(error)}`);
            process.exit(1);
          });
        break;
      }
      case 'measure':
        void measure(message.rate, message.presenceRate, message.durationS);
        break;
      case 'exit':
        stopping = true;
        clearInterval(heartbeatTimer);
        for (const ws of [...peerSockets, ...presenceSockets.values()]) ws.terminate();
        process.exit(0);
    }
  });
  // Never outlive the benchmark.
  process.on('disconnect', () => process.exit(0));
  send({ event: 'ready' });
}

// ---------------------------------------------------------------------------------------------------
// Hostile worker: the attacks of the hostile phase, from one process, each from addresses of its own

interface HostilePlan {
  port: number;
  sourceAddress: string;
  totalPeers: number;
}

type ToHostile = { cmd: 'go'; durationS: number } | { cmd: 'exit' };
type FromHostile =
  | { event: 'hostile-ready' }
  | {
      event: 'hostile-done';
      slowReaderOffers: number;
      slowReadersClosed: number;
      deepSent: number;
      deepSendersClosed: number;
      absentOffers: number;
      absentExpired: number;
      churnAnnounces: number;
      churnListMessages: number;
    };

/** A ~60 KiB offer, within the server's 64 KiB message limit. */
function bigOffer(dst: string): string {
  return JSON.stringify({
    type: 'OFFER',
    dst,
    payload: { sdp: { type: 'offer', sdp: 'a=x '.repeat(15_000) } },
  });
}

/** Nested far deeper than JSON.stringify can follow (it throws from about 5,000 levels). */
function deepOffer(dst: string): string {
  return `{"type":"OFFER","dst":"${dst}","payload":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
}

async function runHostile(plan: HostilePlan): Promise<void> {
  const send = (message: FromHostile): void => {
    process.send?.(message);
  };
  const base = `ws://127.0.0.1:${plan.port}`;
  const randomId = (): string => createHash('sha256').update(`${Math.random()}`).digest('hex').slice(0, 32);
  const sockets: WebSocket[] = [];
  const open = (url: string, address: string): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        headers: { 'X-Forwarded-For': address },
        perMessageDeflate: false,
        localAddress: plan.sourceAddress,
      });
      sockets.push(ws);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  const peerSocket = (id: string, address: string): Promise<WebSocket> =>
    open(`${base}/peerjs/peerjs?key=peerjs&id=${id}&token=${randomId().slice(0, 24)}`, address);
  const stats = {
    slowReaderOffers: 0,
    slowReadersClosed: 0,
    deepSent: 0,
    deepSendersClosed: 0,
    absentOffers: 0,
    absentExpired: 0,
    churnAnnounces: 0,
    churnListMessages: 0,
  };

  // Receivers that never read (one address) and four senders each (each its own address).
  const readers = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const id = randomId();
      const ws = await peerSocket(id, '198.19.1.1');
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      ws.once('close', () => stats.slowReadersClosed++);
      return id;
    }),
  );
  const senders = await Promise.all(
    Array.from({ length: 32 }, (_, i) => peerSocket(randomId(), `198.19.2.${i + 1}`)),
  );
  // Offers to ids nobody holds, 16 sockets of one address.
  const flooders = await Promise.all(Array.from({ length: 16 }, () => peerSocket(randomId(), '198.19.3.1')));
  for (const ws of flooders) {
    ws.on('message', (data) => {
      if (String(data).includes('"EXPIRE"')) stats.absentExpired++;
    });
  }
  // One LAN of 1,400 devices, each its own private address: 40 stay visible, 400 churn, the rest watch.
  const members = await Promise.all(
    Array.from({ length: HOSTILE_MEMBERS }, async (_, i) => {
      const ws = await open(`${base}/presence`, `10.2.${i >> 8}.${i & 255}`);
      const id = randomId();
      ws.on('message', (data) => {
        if (!String(data).includes('"error"')) stats.churnListMessages++;
      });
      const visible = i >= HOSTILE_CHURNERS && i < HOSTILE_CHURNERS + HOSTILE_STEADY;
      ws.send(announceText(id, `Hostile LAN ${i}`, visible));
      return { ws, id };
    }),
  );
  send({ event: 'hostile-ready' });

  const go = async (durationS: number): Promise<void> => {
    stats.churnListMessages = 0;
    const endAt = performance.now() + durationS * 1000;
    const timers: NodeJS.Timeout[] = [];
    // Each attacker sends at the message rate (50/s) as long as the server reads what it sent.
    timers.push(
      setInterval(() => {
        for (const [i, ws] of senders.entries()) {
          if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 1024 * 1024) continue;
          ws.send(bigOffer(readers[i % readers.length] ?? ''));
          stats.slowReaderOffers++;
        }
        for (const ws of flooders) {
          if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 1024 * 1024) continue;
          ws.send(bigOffer(randomId()));
          stats.absentOffers++;
        }
      }, 20),
    );
    // A new socket every 200 ms sends deep payloads to honest peer ids until the server closes it.
    let deepRound = 0;
    timers.push(
      setInterval(() => {
        const address = `198.19.4.${(deepRound++ % 250) + 1}`;
        peerSocket(randomId(), address).then(
          (ws) => {
            ws.once('close', (code) => {
              if (code === 1008) stats.deepSendersClosed++;
            });
            for (let k = 0; k < 12 && ws.readyState === WebSocket.OPEN; k++) {
              ws.send(deepOffer(peerIdOf(Math.floor(Math.random() * plan.totalPeers))));
              stats.deepSent++;
            }
          },
          () => {},
        );
      }, 200),
    );
    // 400 devices turn visible and hidden ten times a second each.
    let round = 0;
    timers.push(
      setInterval(() => {
        round++;
        for (let c = 0; c < HOSTILE_CHURNERS; c++) {
          const m = members[c];
          if (m?.ws.readyState !== WebSocket.OPEN) continue;
          m.ws.send(announceText(m.id, `Hostile LAN ${c} r${round}`, round % 2 === 0));
          stats.churnAnnounces++;
        }
      }, 100),
    );
    while (performance.now() < endAt) await new Promise((r) => setTimeout(r, 100));
    for (const timer of timers) clearInterval(timer);
    send({ event: 'hostile-done', ...stats });
  };

  process.on('message', (message: ToHostile) => {
    if (message.cmd === 'go') void go(message.durationS);
    else {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

function announceText(peerId: string, name: string, visible: boolean): string {
  return JSON.stringify({
    type: 'announce',
    peerId,
    name,
    deviceType: 'laptop',
    avatar: 'hostile-avatar',
    visible,
    rooms: [],
  });
}

// ---------------------------------------------------------------------------------------------------
// Main: the server, the workers, the figures

function parseArgs(argv: string[]): Options {
  const options: Options = {
    peers: 10_000,
    rate: 1_000,
    durationS: 15,
    presenceRate: 100,
    workers: 3,
    hostile: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const number = (): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
      i++;
      return n;
    };
    switch (flag) {
      case '--peers':
        options.peers = Math.floor(number());
        break;
      case '--rate':
        options.rate = number();
        break;
      case '--duration':
        options.durationS = number();
        break;
      case '--presence-rate':
        options.presenceRate = number();
        break;
      case '--workers':
        options.workers = Math.floor(number());
        break;
      case '--out':
        if (!value) throw new Error('--out needs a file name');
        options.out = value;
        i++;
        break;
      case '--no-hostile':
        options.hostile = false;
        break;
      case '--profile':
        if (!value) throw new Error('--profile needs a directory');
        options.profileDir = value;
        i++;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return options;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function procValue(pid: number, file: 'status' | 'limits', pattern: RegExp): number {
  const match = pattern.exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
  return match?.[1] ? Number(match[1]) : Number.NaN;
}
const rssKib = (pid: number): number => procValue(pid, 'status', /^VmRSS:\s+(\d+)\s+kB/m);
const fdLimit = (pid: number): number => procValue(pid, 'limits', /^Max open files\s+(\d+)/m);

async function waitForHealth(port: number, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with code ${server.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the server did not become healthy within 60 s');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const port = await freePort();
  const root = join(import.meta.dirname, '..');
  console.log(`Starting the server on 127.0.0.1:${port} ...`);
  // The hard limit may not allow 65536 (containers); then the server gets what the hard limit allows.
  const server = spawn(
    'bash',
    [
      '-c',
      'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec node "$@" --import tsx server/main.ts',
      'bash',
      ...(options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : []),
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        TRUSTED_PROXY: '127.0.0.0/8',
        // The hostile phase's sockets come on top of the honest devices'.
        MAX_PEERS: String(options.peers + (options.hostile ? HOSTILE_FDS : 0)),
        // Per-address limits stay at their defaults: each simulated network is its own address.
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const serverPid = server.pid ?? 0;
  try {
    await waitForHealth(port, server);
    await new Promise((r) => setTimeout(r, 1_000));
    const idleRss = rssKib(serverPid);
    const limit = fdLimit(serverPid);
    const presenceCapacity = Math.max(
      0,
      limit - options.peers - SERVER_FD_RESERVE - (options.hostile ? HOSTILE_FDS : 0),
    );
    const presencePeers = Math.min(options.peers, Math.floor(presenceCapacity / NETWORK_SIZE) * NETWORK_SIZE);
    console.log(`Server pid ${serverPid}: idle RSS ${(idleRss / 1024).toFixed(1)} MiB, fd limit ${limit}`);
    if (presencePeers < options.peers) {
      console.log(
        `The server's fd limit (${limit}) holds ${options.peers} signalling sockets plus ${presencePeers} ` +
          'presence sockets: the other devices connect without presence.',
      );
    }

    // Whole networks per worker, each worker on its own loopback source address (own ephemeral ports).
    const networks = Math.ceil(options.peers / NETWORK_SIZE);
    const workers: { child: ChildProcess; inbox: FromWorker[]; waiters: (() => void)[] }[] = [];
    for (let w = 0; w < options.workers; w++) {
      const first = Math.floor((networks * w) / options.workers) * NETWORK_SIZE;
      const end = Math.min(options.peers, Math.floor((networks * (w + 1)) / options.workers) * NETWORK_SIZE);
      const plan: WorkerPlan = {
        worker: w,
        port,
        totalPeers: options.peers,
        first,
        end,
        presencePeers,
        sourceAddress: `127.0.0.${2 + w}`,
      };
      const child = fork(import.meta.filename, ['--worker', JSON.stringify(plan)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const entry = { child, inbox: [] as FromWorker[], waiters: [] as (() => void)[] };
      child.on('message', (message: FromWorker) => {
        entry.inbox.push(message);
        for (const wake of entry.waiters.splice(0)) wake();
      });
      child.on('exit', (code) => {
        if (code !== 0) {
          console.error(`worker ${w} exited with code ${code}`);
          server.kill('SIGKILL');
          process.exit(1);
        }
      });
      workers.push(entry);
    }
    const collect = async <E extends FromWorker['event']>(
      event: E,
    ): Promise<Extract<FromWorker, { event: E }>[]> =>
      Promise.all(
        workers.map(
          (w) =>
            new Promise<Extract<FromWorker, { event: E }>>((resolve) => {
              const check = (): void => {
                const index = w.inbox.findIndex((m) => m.event === event);
                if (index === -1) {
                  w.waiters.push(check);
                  return;
                }
                resolve(w.inbox.splice(index, 1)[0] as Extract<FromWorker, { event: E }>);
              };
              check();
            }),
        ),
      );
    const broadcast = (message: ToWorker): void => {
      for (const w of workers) w.child.send(message);
    };
    await collect('ready');

    console.log(`Connecting ${options.peers} signalling clients ...`);
    broadcast({ cmd: 'connect-peers' });
    const peerPhases = await collect('peers-connected');
    const setupS =
      (Math.max(...peerPhases.map((p) => p.endUs)) - Math.min(...peerPhases.map((p) => p.startUs))) / 1e6;
    const setupsPerS = options.peers / setupS;
    const peerFailures = peerPhases.reduce((sum, p) => sum + p.failures, 0);
    const setupTimes = peerPhases.flatMap((p) => p.setupMs).sort((a, b) => a - b);
    console.log(
      `  ${options.peers} OPEN in ${setupS.toFixed(2)} s: ${setupsPerS.toFixed(0)} setups/s ` +
        `(each: p50 ${percentile(setupTimes, 50).toFixed(1)} ms, p99 ${percentile(setupTimes, 99).toFixed(1)} ms, ` +
        `max ${(setupTimes.at(-1) ?? 0).toFixed(0)} ms, ${Math.min(...peerPhases.map(() => CONNECT_CONCURRENCY)) * options.workers} in flight)`,
    );

    console.log(
      `Connecting ${presencePeers} presence clients in ${presencePeers / NETWORK_SIZE} networks ...`,
    );
    broadcast({ cmd: 'connect-presence' });
    const presencePhases = await collect('presence-connected');
    const presenceS =
      (Math.max(...presencePhases.map((p) => p.endUs)) - Math.min(...presencePhases.map((p) => p.startUs))) /
      1e6;
    const presenceFailures = presencePhases.reduce((sum, p) => sum + p.failures, 0);
    console.log(
      `  ${presencePeers} announced in ${presenceS.toFixed(2)} s (${(presencePeers / presenceS).toFixed(0)}/s); every network complete`,
    );

    await new Promise((r) => setTimeout(r, 2_000));
    const loadedRss = rssKib(serverPid);

    console.log(
      `Relaying ${options.rate} messages/s for ${options.durationS} s, with ${options.presenceRate} presence updates/s ...`,
    );
    // Each worker carries its share of the load.
    broadcast({
      cmd: 'measure',
      rate: options.rate / options.workers,
      presenceRate: options.presenceRate / options.workers,
      durationS: options.durationS,
    });
    const results = await collect('measured');
    const endRss = rssKib(serverPid);

    const sent = results.reduce((sum, r) => sum + r.sent, 0);
    const received = results.reduce((sum, r) => sum + r.received, 0);
    const relay = results.flatMap((r) => r.relayLatenciesMs).sort((a, b) => a - b);
    const presence = results.flatMap((r) => r.presenceLatenciesMs).sort((a, b) => a - b);
    const presenceIncomplete = results.reduce((sum, r) => sum + r.presenceIncomplete, 0);
    const closedUnexpectedly = results.reduce((sum, r) => sum + r.closedUnexpectedly, 0);
    const rssMib = Math.max(loadedRss, endRss) / 1024;
    const figures = {
      peers: options.peers,
      presence_peers: presencePeers,
      relay_rate_per_s: options.rate,
      relay_sent: sent,
      relay_dropped: sent - received,
      relay_p50_ms: round(percentile(relay, 50)),
      relay_p99_ms: round(percentile(relay, 99)),
      presence_updates: presence.length,
      presence_incomplete: presenceIncomplete,
      presence_p50_ms: round(percentile(presence, 50)),
      presence_p99_ms: round(percentile(presence, 99)),
      setups_per_s: Math.round(setupsPerS),
      connect_retries: peerFailures + presenceFailures,
      closed_unexpectedly: closedUnexpectedly,
      idle_rss_mib: round(idleRss / 1024),
      rss_mib: round(rssMib),
      rss_per_peer_kib: round((Math.max(loadedRss, endRss) - idleRss) / options.peers),
    };
    console.log('');
    console.log(`Peers held                 ${options.peers} signalling + ${presencePeers} presence`);
    console.log(`Connection setups          ${figures.setups_per_s}/s (retries: ${figures.connect_retries})`);
    console.log(
      `Relay latency              p50 ${figures.relay_p50_ms} ms, p99 ${figures.relay_p99_ms} ms at ${options.rate}/s`,
    );
    console.log(`Relayed                    ${received} of ${sent} (dropped: ${figures.relay_dropped})`);
    console.log(
      `Presence fan-out latency   p50 ${figures.presence_p50_ms} ms, p99 ${figures.presence_p99_ms} ms ` +
        `(${presence.length} updates, ${presenceIncomplete} incomplete)`,
    );
    console.log(`Server RSS                 ${figures.idle_rss_mib} MiB idle, ${figures.rss_mib} MiB loaded`);
    console.log(`RSS per peer               ${figures.rss_per_peer_kib} KiB`);
    console.log(`Sockets closed unexpectedly ${closedUnexpectedly}`);
    console.log(
      `Client event-loop delay    p99 ${results.map((r) => r.loopDelayP99Ms.toFixed(1)).join(' / ')} ms ` +
        '(per worker, 5 ms sampling: part of every latency above)',
    );
    let hostileOk = true;
    let hostileFigures: Record<string, number> = {};
    if (options.hostile) {
      hostileFigures = await hostilePhase(
        options,
        port,
        serverPid,
        Math.max(loadedRss, endRss),
        broadcast,
        collect,
      );
      hostileOk =
        hostileFigures.hostile_relay_dropped === 0 && hostileFigures.hostile_closed_unexpectedly === 0;
    }
    broadcast({ cmd: 'exit' });
    if (options.out) {
      writeFileSync(options.out, `${JSON.stringify({ ...figures, ...hostileFigures }, null, 2)}\n`);
      console.log(`Wrote ${options.out}`);
    }
    const ok =
      figures.relay_dropped === 0 && presenceIncomplete === 0 && closedUnexpectedly === 0 && hostileOk;
    if (!ok) process.exitCode = 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

type Collect = <E extends FromWorker['event']>(event: E) => Promise<Extract<FromWorker, { event: E }>[]>;

/** The honest load again, with the attacks of a hostile worker running at the same time. */
async function hostilePhase(
  options: Options,
  port: number,
  serverPid: number,
  loadedRssKib: number,
  broadcast: (message: ToWorker) => void,
  collect: Collect,
): Promise<Record<string, number>> {
  console.log('');
  console.log(
    `Hostile phase: ${HOSTILE_MEMBERS} presence devices in one network (${HOSTILE_CHURNERS} churning), ` +
      '8 slow readers with 32 senders, 16 absent-id flooders, deep payloads to honest ids ...',
  );
  const plan: HostilePlan = {
    port,
    sourceAddress: `127.0.0.${2 + options.workers}`,
    totalPeers: options.peers,
  };
  const child = fork(import.meta.filename, ['--hostile', JSON.stringify(plan)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Attackers run on machines of their own; here they share the server's cores, and the CPU they spend
  // making their traffic would otherwise be counted as the server's slowness. At the lowest priority they
  // still get every idle cycle, so the server sees all the traffic they can make.
  if (child.pid !== undefined) setPriority(child.pid, 19);
  const inbox: FromHostile[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (message: FromHostile) => {
    inbox.push(message);
    wake?.();
  });
  const next = async <E extends FromHostile['event']>(
    event: E,
  ): Promise<Extract<FromHostile, { event: E }>> => {
    for (;;) {
      const found = inbox.find((m) => m.event === event);
      if (found) return found as Extract<FromHostile, { event: E }>;
      if (child.exitCode !== null) throw new Error(`the hostile worker exited with ${child.exitCode}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 500);
      });
    }
  };
  await next('hostile-ready');
  await new Promise((r) => setTimeout(r, 1_000));
  const beforeRss = rssKib(serverPid);
  let peakRss = beforeRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssKib(serverPid));
  }, 100);
  const health: number[] = [];
  let measuring = true;
  const healthLoop = (async () => {
    while (measuring) {
      const started = performance.now();
      await fetch(`http://127.0.0.1:${port}/health`).then((res) => res.text());
      health.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  child.send({ cmd: 'go', durationS: options.durationS } satisfies ToHostile);
  broadcast({
    cmd: 'measure',
    rate: options.rate / options.workers,
    presenceRate: options.presenceRate / options.workers,
    durationS: options.durationS,
  });
  const [{ event: _done, ...attack }, results] = await Promise.all([
    next('hostile-done'),
    collect('measured'),
  ]);
  measuring = false;
  await healthLoop;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, rssKib(serverPid));
  child.send({ cmd: 'exit' } satisfies ToHostile);
  await new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 5_000));
  const afterRss = rssKib(serverPid);

  const sent = results.reduce((sum, r) => sum + r.sent, 0);
  const received = results.reduce((sum, r) => sum + r.received, 0);
  const relay = results.flatMap((r) => r.relayLatenciesMs).sort((a, b) => a - b);
  const presence = results.flatMap((r) => r.presenceLatenciesMs).sort((a, b) => a - b);
  const closed = results.reduce((sum, r) => sum + r.closedUnexpectedly, 0);
  health.sort((a, b) => a - b);
  const figures = {
    hostile_rss_before_mib: round(beforeRss / 1024),
    hostile_rss_peak_mib: round(peakRss / 1024),
    hostile_rss_growth_mib: round((peakRss - Math.min(beforeRss, loadedRssKib)) / 1024),
    hostile_rss_after_mib: round(afterRss / 1024),
    hostile_relay_p50_ms: round(percentile(relay, 50)),
    hostile_relay_p99_ms: round(percentile(relay, 99)),
    hostile_relay_dropped: sent - received,
    hostile_presence_p99_ms: round(percentile(presence, 99)),
    hostile_health_p99_ms: round(percentile(health, 99)),
    hostile_closed_unexpectedly: closed,
    ...attack,
  };
  console.log(
    `Server RSS                 ${figures.hostile_rss_before_mib} MiB before, peak ${figures.hostile_rss_peak_mib} MiB ` +
      `(+${figures.hostile_rss_growth_mib} MiB over the loaded figure), ${figures.hostile_rss_after_mib} MiB 5 s after`,
  );
  console.log(
    `Honest relay latency       p50 ${figures.hostile_relay_p50_ms} ms, p99 ${figures.hostile_relay_p99_ms} ms ` +
      `(${received} of ${sent} relayed)`,
  );
  console.log(`Honest presence fan-out    p99 ${figures.hostile_presence_p99_ms} ms`);
  console.log(`/health                    p99 ${figures.hostile_health_p99_ms} ms`);
  const closedBy: Record<string, number> = {};
  for (const r of results) {
    for (const [key, n] of Object.entries(r.closedBy)) closedBy[key] = (closedBy[key] ?? 0) + n;
  }
  console.log(
    `Honest sockets closed      ${closed}${
      closed > 0
        ? ` (${Object.entries(closedBy)
            .map(([k, n]) => `${n} ${k}`)
            .join(', ')})`
        : ''
    }`,
  );
  console.log(
    `Attacks                    ${attack.slowReaderOffers} offers to slow readers (${attack.slowReadersClosed}/8 cut), ` +
      `${attack.deepSent} deep payloads (${attack.deepSendersClosed} senders closed), ` +
      `${attack.absentOffers} offers to absent ids (${attack.absentExpired} EXPIRE), ` +
      `${attack.churnAnnounces} churn announces (${attack.churnListMessages} list messages to the network)`,
  );
  return figures;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

if (process.argv[2] === '--worker') {
  void runWorker(JSON.parse(process.argv[3] ?? '{}') as WorkerPlan);
} else if (process.argv[2] === '--hostile') {
  runHostile(JSON.parse(process.argv[3] ?? '{}') as HostilePlan).catch((error: unknown) => {
    console.error(`hostile worker: ${String(error)}`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
