// Fuzzing with a seeded generator: at least FUZZ_ITERATIONS (default 100,000) random and mutated frames go
// to the decoders (control messages, data frames, pairing links, file and device names), and further
// streams of them drive the receiving and sending transfer state machines, the handshake, the pre-handshake
// queue and a whole engine through a hostile paired device. Nothing may throw or reject unhandled, what is
// accepted must satisfy the protocol's bounds, and every queue, map and store stays within its limit.
// The default seed is fixed; FUZZ_SEED=random explores new inputs. A failure names its seed: rerun with
// FUZZ_SEED=<seed> and the same FUZZ_ITERATIONS to reproduce it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8 } from '../../core/bytes';
import type { FileEnv } from '../../core/engine/transfer-center';
import { buildPairingLink, encodePairingFragment, parsePairingInvite } from '../../core/pairing/pairing-link';
import { PairingOffers } from '../../core/pairing/pairing-offers';
import { cleanDeviceName } from '../../core/protocol/device';
import {
  MAX_CONTROL_MESSAGE_BYTES,
  MAX_DEVICE_NAME_LENGTH,
  MAX_FILE_SIZE,
  MAX_FILES_PER_OFFER,
  MAX_INCOMING_TRANSFERS,
  MAX_QUEUED_MESSAGES,
  MAX_TEXT_BYTES,
  MAX_URL_LENGTH,
  PROTOCOL_VERSION,
  RECEIVE_WINDOW_BYTES,
} from '../../core/protocol/limits';
import {
  type ControlMessage,
  parseControlMessage,
  TRANSFER_MESSAGE_TYPES,
  type TransferMessage,
} from '../../core/protocol/messages';
import type { OfferedFile } from '../../core/protocol/transfer-messages';
import { HandshakeError, type ResponderPolicy, runHandshake } from '../../core/session/handshake';
import { MessageQueue } from '../../core/session/message-queue';
import { DATA_HEADER_BYTES, decodeDataFrame, encodeDataFrame } from '../../core/transfer/data-frame';
import type { FileSink, FileSource, FileStore, Hasher, SinkRequest } from '../../core/transfer/file-io';
import { sanitizeFileName } from '../../core/transfer/file-name';
import { IncomingTransfer } from '../../core/transfer/incoming-transfer';
import { OutgoingTransfer } from '../../core/transfer/outgoing-transfer';
import type { TransferPort } from '../../core/transfer/transfer-port';
import { DESKTOP_UA, MemoryHub, openDevice, type TestDevice, waitFor } from '../helpers/engine-fixture';
import {
  hexPeerId,
  mutateBytes,
  mutatedMessage,
  mutateLink,
  mutateText,
  nastyString,
  Rng,
  validMessage,
} from '../helpers/fuzz';
import { device, selfOf } from '../helpers/handshake-fixture';
import {
  connectAuthenticated,
  eventually,
  type HostilePeer,
  pairHostile,
  settle,
  transferDigest,
} from '../helpers/hostile-peer';
import { channelPair } from '../helpers/memory-network';
import { ManualClock, nodeCrypto } from '../helpers/node-env';
import { unsafeDisplayNameReason, unsafeFileNameReason } from '../helpers/safe-names';
import { MemoryStore } from '../helpers/transfer-harness';

/** FUZZ_SEED=<number> replays a run; FUZZ_SEED=random explores new inputs. */
const SEED =
  process.env.FUZZ_SEED === 'random'
    ? (Math.random() * 2 ** 32) >>> 0
    : Number(process.env.FUZZ_SEED ?? 0x0dd0f00d) >>> 0;
const ITERATIONS = Math.max(1, Number(process.env.FUZZ_ITERATIONS ?? 100_000));
const RECEIVER_SENDS = new Set(['accept', 'decline', 'ack', 'file-ok', 'file-failed', 'cancel']);
const SENDER_SENDS = new Set(['offer', 'file-end', 'cancel']);
const ENDED = new Set(['done', 'failed', 'cancelled', 'declined']);
/** Runs this long are expected to reach every outcome; shorter ones only check the invariants. */
const THOROUGH = ITERATIONS >= 10_000;

class FuzzFailure extends Error {
  override name = 'FuzzFailure';
}

/** Throws with everything needed to reproduce: the seed, where, and the input. */
function check(condition: unknown, what: string, input?: unknown): asserts condition {
  if (condition) return;
  const shown = input === undefined ? '' : ` on input ${preview(input)}`;
  throw new FuzzFailure(`${what}${shown} (reproduce with FUZZ_SEED=${SEED} FUZZ_ITERATIONS=${ITERATIONS})`);
}

function preview(input: unknown): string {
  if (input instanceof Uint8Array) return `bytes[${input.length}] ${[...input.subarray(0, 40)].join(',')}`;
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  return JSON.stringify((text ?? String(input)).slice(0, 300));
}

/** Runs one input through `body`, turning any exception into a failure that names the seed and input. */
function guarded<T>(what: string, input: unknown, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof FuzzFailure) throw error;
    check(false, `${what} threw ${error instanceof Error ? error.stack : String(error)}`, input);
    throw error;
  }
}

/**
 * Wraps a callback the code under test calls, keeping any failed check: the code may catch what its
 * callbacks throw (a sender's pump does), and the check must not be lost with it.
 */
function keeping<A extends unknown[]>(violations: unknown[], callback: (...args: A) => void) {
  return (...args: A) => {
    try {
      callback(...args);
    } catch (error) {
      violations.push(error);
      throw error;
    }
  };
}

function noViolations(violations: unknown[]): void {
  if (violations.length > 0) throw violations[0];
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});
function noUnhandledRejections(): void {
  const first = unhandled[0];
  check(
    unhandled.length === 0,
    `unhandled rejection: ${first instanceof Error ? first.stack : String(first)}`,
  );
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

// ---- deterministic file contents and a cheap digest both ends agree on ----

function byteAt(file: number, offset: number): number {
  return ((Math.imul(offset + 1, 2654435761) >>> 24) ^ (file * 37)) & 0xff;
}

function contentOf(file: number, offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = byteAt(file, offset + i);
  return out;
}

function fnv(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

function digestBytes(hash: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(0, hash);
  return out;
}

function fakeHasher(): Hasher {
  let hash = 2166136261;
  return {
    update: (bytes) => {
      hash = fnv(hash, bytes);
    },
    digest: async () => digestBytes(hash),
  };
}

/** Files that only keep a length and a running digest, so fuzzing stays fast and memory stays flat. */
class FuzzStore implements FileStore {
  readonly files = new Map<string, { written: number; hash: number; open: boolean }>();
  readonly stored = new Set<string>();
  constructor(
    private readonly rng: Rng,
    private readonly free: number | undefined,
  ) {}

  async available() {
    return this.free;
  }

  async open(request: SinkRequest): Promise<FileSink> {
    const key = `${request.transferId}/${request.file}`;
    const previous = this.files.get(key);
    const state =
      request.resume && previous ? { ...previous, open: true } : { written: 0, hash: 2166136261, open: true };
    this.files.set(key, state);
    const rng = this.rng;
    const files = this.files;
    const stored = this.stored;
    return {
      get written() {
        return state.written;
      },
      async write(bytes) {
        if (rng.chance(0.0005)) throw new Error('disk error');
        state.written += bytes.length;
        state.hash = fnv(state.hash, bytes);
      },
      async finish() {
        state.open = false;
        stored.add(key);
        files.delete(key);
        return digestBytes(state.hash);
      },
      async discard() {
        state.open = false;
        files.delete(key);
        stored.delete(key);
      },
    };
  }

  async discardPartial(transferId: string) {
    for (const key of [...this.files.keys()]) if (key.startsWith(`${transferId}/`)) this.files.delete(key);
  }
}

/** A text frame: a valid message, one mutated as an object, or one mutated as text. */
function controlFrame(rng: Rng, transferId?: string, fileCount?: number): string {
  const base = validMessage(rng, transferId, fileCount);
  const roll = rng.next();
  if (roll < 0.2) return JSON.stringify(base);
  if (roll < 0.6) return mutatedMessage(rng, base);
  let text = JSON.stringify(base);
  const rounds = rng.range(1, 3);
  for (let i = 0; i < rounds; i++) text = mutateText(rng, text);
  return text;
}

function dataFrame(rng: Rng, transferId = rng.b64(16)): Uint8Array {
  const offset = rng.chance(0.8) ? rng.int(100_000) : rng.int(MAX_FILE_SIZE + 1);
  const valid = encodeDataFrame(transferId, rng.int(MAX_FILES_PER_OFFER), offset, rng.bytes(rng.int(48)));
  return rng.chance(0.2) ? valid : mutateBytes(rng, valid);
}

// ---- decoder checks ----

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  for (const child of Object.values(value)) max = Math.max(max, depthOf(child));
  return max + 1;
}

function checkNumbers(value: unknown, input: string): void {
  if (typeof value === 'number') check(Number.isFinite(value), 'a non-finite number was accepted', input);
  else if (value !== null && typeof value === 'object')
    for (const v of Object.values(value)) checkNumbers(v, input);
}

function checkControl(text: string): ControlMessage | undefined {
  const result = guarded('parseControlMessage', text, () => parseControlMessage(text));
  if (!result.ok) {
    check(typeof result.error === 'string' && result.error.length < 1000, 'an unbounded error', text);
    return undefined;
  }
  const m = result.message;
  check(depthOf(m) <= 4, 'a validated message nests deeper than any schema', text);
  checkNumbers(m, text);
  const again = JSON.stringify(m);
  if (utf8(again).length <= MAX_CONTROL_MESSAGE_BYTES) {
    check(parseControlMessage(again).ok, 'a validated message does not validate again', text);
  }
  if (TRANSFER_MESSAGE_TYPES.has(m.t)) {
    const t = m as TransferMessage;
    check(/^[A-Za-z0-9_-]{22}$/.test(t.id), 'a transfer id of the wrong shape', text);
    if ('file' in t)
      check(Number.isInteger(t.file) && t.file >= 0 && t.file < MAX_FILES_PER_OFFER, 'file index', text);
    if ('offset' in t)
      check(Number.isInteger(t.offset) && t.offset >= 0 && t.offset <= MAX_FILE_SIZE, 'offset', text);
    if ('window' in t) check(t.window >= 0 && t.window <= RECEIVE_WINDOW_BYTES, 'window', text);
    if (t.t === 'offer') {
      check(t.files.length >= 1 && t.files.length <= MAX_FILES_PER_OFFER, 'file count', text);
      for (const f of t.files)
        check(Number.isInteger(f.size) && f.size >= 0 && f.size <= MAX_FILE_SIZE, 'size', text);
    }
  }
  if (m.t === 'item') {
    check(Number.isSafeInteger(m.sentAt) && m.sentAt >= 0, 'sentAt', text);
    if (m.item.kind === 'text') check(utf8(m.item.text).length <= MAX_TEXT_BYTES, 'text size', text);
    else check(m.item.url.length <= MAX_URL_LENGTH, 'url length', text);
  }
  return m;
}

function checkData(bytes: Uint8Array) {
  const result = guarded('decodeDataFrame', bytes, () => decodeDataFrame(bytes));
  if (!result.ok) return undefined;
  const { frame } = result;
  check(
    bytes.length >= DATA_HEADER_BYTES && bytes[0] === 0xdd && bytes[1] === 0x01,
    'a non-frame decoded',
    bytes,
  );
  check(
    Number.isInteger(frame.file) && frame.file >= 0 && frame.file < MAX_FILES_PER_OFFER,
    'file index',
    bytes,
  );
  check(
    Number.isInteger(frame.offset) && frame.offset >= 0 && frame.offset <= MAX_FILE_SIZE,
    'offset',
    bytes,
  );
  check(frame.payload.length === bytes.length - DATA_HEADER_BYTES, 'payload length', bytes);
  const again = encodeDataFrame(frame.transferId, frame.file, frame.offset, frame.payload);
  check(
    Buffer.from(again).equals(Buffer.from(bytes)),
    'a decoded frame does not encode back to itself',
    bytes,
  );
  return frame;
}

function checkLink(text: string): void {
  const result = guarded('parsePairingInvite', text, () => parsePairingInvite(text));
  if (!result.ok) return;
  const { invite } = result;
  check(invite.secret.length === 16, 'secret length', text);
  check(/^[a-z0-9]{16,64}$/.test(invite.peerId), 'peer id', text);
  check(fromBase64Url(invite.deviceId)?.length === 16, 'device id', text);
  check(Number.isSafeInteger(invite.expiresAt) && invite.expiresAt > 0, 'expiry', text);
  const hashAt = text.indexOf('#');
  const fragment = (hashAt >= 0 ? text.slice(hashAt + 1) : text).trim();
  check(
    encodePairingFragment(invite) === fragment,
    'an accepted link is not the one spelling of its invite',
    text,
  );
}

function checkNames(raw: string): void {
  const name = guarded('sanitizeFileName', raw, () => sanitizeFileName(raw));
  check(
    unsafeFileNameReason(name) === '',
    `unsafe file name (${unsafeFileNameReason(name)}): ${preview(name)}`,
    raw,
  );
  check(utf8(name).length <= 180, 'file name over 180 bytes', raw);
  check(sanitizeFileName(name) === name, 'sanitising is not idempotent', raw);
  const shown = guarded('cleanDeviceName', raw, () => cleanDeviceName(raw));
  const reason = unsafeDisplayNameReason(shown, MAX_DEVICE_NAME_LENGTH);
  check(reason === '', `unsafe device name (${reason}): ${preview(shown)}`, raw);
  check(cleanDeviceName(shown) === shown, 'cleaning a device name is not idempotent', raw);
}

function randomLink(rng: Rng): string {
  return buildPairingLink(
    rng.pick(['https://192.168.1.2:9443', 'http://localhost:9000/', 'https://x.example/app?x=1']),
    {
      peerId: hexPeerId(rng),
      deviceId: rng.b64(16),
      pairingId: rng.b64(8),
      secret: rng.bytes(16),
      expiresAt: rng.range(1, 2 ** 40) * 1000,
    },
  );
}

describe(`fuzz with seed ${SEED}`, { timeout: 120_000 }, () => {
  it(`decoders: ${ITERATIONS} random and mutated frames, links and names`, () => {
    const rng = new Rng(SEED);
    const counts = { control: 0, accepted: 0, data: 0, decoded: 0, links: 0, names: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const roll = rng.int(100);
      if (roll < 45) {
        counts.control++;
        if (checkControl(controlFrame(rng))) counts.accepted++;
      } else if (roll < 80) {
        counts.data++;
        if (checkData(dataFrame(rng))) counts.decoded++;
      } else if (roll < 90) {
        counts.links++;
        const link = randomLink(rng);
        checkLink(rng.chance(0.1) ? link : mutateLink(rng, link));
      } else {
        counts.names++;
        checkNames(nastyString(rng, rng.chance(0.05) ? 1100 : 80));
      }
    }
    expect(counts.control + counts.data + counts.links + counts.names).toBe(ITERATIONS);
    if (!THOROUGH) return;
    // The generator reaches both sides of every decoder.
    expect(counts.accepted).toBeGreaterThan(counts.control / 20);
    expect(counts.accepted).toBeLessThan(counts.control);
    expect(counts.decoded).toBeGreaterThan(counts.data / 20);
    expect(counts.decoded).toBeLessThan(counts.data);
  });

  it('the receiving state machine, fed valid, mutated and random frames', async () => {
    const rng = new Rng(SEED ^ 0x1111);
    const budget = Math.max(200, Math.floor(ITERATIONS / 4));
    let frames = 0;
    let episodes = 0;
    const endings = new Map<string, number>();
    while (frames < budget) {
      const { steps, state } = await incomingEpisode(rng, episodes++);
      frames += steps;
      endings.set(state, (endings.get(state) ?? 0) + 1);
    }
    noUnhandledRejections();
    if (!THOROUGH) return;
    // Transfers both completed and failed along the way.
    expect(endings.get('done') ?? 0).toBeGreaterThan(0);
    expect((endings.get('failed') ?? 0) + (endings.get('cancelled') ?? 0)).toBeGreaterThan(0);
  });

  it('the sending state machine, fed valid, mutated and random answers', async () => {
    const rng = new Rng(SEED ^ 0x2222);
    const budget = Math.max(200, Math.floor(ITERATIONS / 4));
    let frames = 0;
    let episodes = 0;
    const endings = new Map<string, number>();
    while (frames < budget) {
      const { steps, state, hostile } = await outgoingEpisode(rng, episodes++);
      frames += steps;
      const ending = `${hostile ? 'hostile' : 'honest'} ${state}`;
      endings.set(ending, (endings.get(ending) ?? 0) + 1);
    }
    noUnhandledRejections();
    if (!THOROUGH) return;
    expect(endings.get('honest done') ?? 0).toBeGreaterThan(0);
    expect(endings.get('hostile failed') ?? 0).toBeGreaterThan(0);
  });

  it('the handshake and the queue before it, fed mutated hellos and proofs', async () => {
    const rng = new Rng(SEED ^ 0x3333);
    const runs = Math.max(100, Math.floor(ITERATIONS / 100));
    const clock = new ManualClock();
    const desktop = await device('Desktop', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const phone = await device('Phone', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
    const offers = new PairingOffers(nodeCrypto, clock);
    const policy: ResponderPolicy = {
      pinnedKey: (id) => (id === phone.identity.deviceId ? phone.identity.publicKey : undefined),
      takeOffer: (id) => offers.take(id),
    };
    const reasons = new Map<string, number>();
    for (let run = 0; run < runs; run++) {
      if (run % 10 === 0) offers.issue();
      const frames = handshakeFrames(rng, phone.identity, offers);
      const sent: string[] = [];
      let index = 0;
      const channel = {
        send: (text: string) => void sent.push(text),
        next: () => {
          const frame = frames[index++];
          return frame === undefined
            ? Promise.reject(new HandshakeError('closed', true, 'closed'))
            : Promise.resolve(frame);
        },
      };
      const asResponder = rng.chance(0.75);
      const outcome = await runHandshake({
        ...(asResponder
          ? { role: 'responder' as const, policy }
          : {
              role: 'initiator' as const,
              intent: {
                mode: 'session' as const,
                peer: { deviceId: phone.identity.deviceId, publicKey: phone.identity.publicKey },
              },
            }),
        crypto: nodeCrypto,
        clock,
        self: selfOf(desktop),
        fingerprints: { local: 'sha-256 AA', remote: 'sha-256 BB' },
        channel,
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      check(outcome instanceof HandshakeError, `a fuzzed handshake ended with ${String(outcome)}`, frames);
      reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1);
      for (const text of sent)
        check(parseControlMessage(text).ok, 'the handshake sent an invalid frame', text);
      checkQueue(rng);
    }
    noUnhandledRejections();
    if (!THOROUGH) return;
    // Refusals came from every stage: the hello, the pairing code, the pinned key and the proof.
    for (const reason of ['protocol', 'bad-proof', 'pairing-unknown', 'closed']) {
      expect(reasons.get(reason) ?? 0, reason).toBeGreaterThan(0);
    }
  });

  it('an engine receiving from a hostile paired device', async () => {
    const rng = new Rng(SEED ^ 0x4444);
    const budget = Math.max(500, Math.floor(ITERATIONS / 10));
    await engineFuzz(rng, budget);
    noUnhandledRejections();
  });
});

// ---- the receiving state machine ----

async function incomingEpisode(rng: Rng, episode: number): Promise<{ steps: number; state: string }> {
  const id = rng.b64(16);
  const offered: OfferedFile[] = Array.from({ length: rng.range(1, 3) }, () => ({
    name: nastyString(rng, 30),
    size: rng.chance(0.15) ? 0 : rng.int(6000),
    type: '',
  }));
  const total = offered.reduce((sum, f) => sum + f.size, 0);
  const store = new FuzzStore(rng, rng.chance(0.05) ? rng.int(total + 1) : undefined);
  const sent: TransferMessage[] = [];
  const storedFiles: number[] = [];
  const violations: unknown[] = [];
  const portFor = (): TransferPort => ({
    isOpen: true,
    maxFrameBytes: 64 * 1024,
    sendControl: keeping(violations, (m: TransferMessage) => {
      check(RECEIVER_SENDS.has(m.t), `the receiver sent "${m.t}"`);
      check(parseControlMessage(JSON.stringify(m)).ok, 'the receiver sent an invalid message', m);
      sent.push(m);
    }),
    sendData: keeping(violations, () => check(false, 'the receiver sent data')),
    whenWritable: async () => {},
  });
  const transfer = new IncomingTransfer({
    id,
    offered,
    store,
    clock: new ManualClock(),
    onChange() {},
    onFileStored: (f) => storedFiles.push(f.file),
    ...(rng.chance(0.3) ? { window: rng.pick([1, 100, 4096, 65_536]) } : {}),
  });
  await transfer.accept(portFor());

  // A sender that mostly follows the rules: next file and offset, and the end of its grant.
  const model = { file: 0, offset: 0, grantEnd: 0, read: 0 };
  const follow = () => {
    for (; model.read < sent.length; model.read++) {
      const m = sent[model.read];
      if (m?.t === 'accept')
        Object.assign(model, { file: m.file, offset: m.offset, grantEnd: m.offset + m.window });
      if (m?.t === 'ack') {
        if (m.file !== model.file) Object.assign(model, { file: m.file, offset: 0 });
        model.grantEnd = m.offset + m.window;
      }
    }
  };
  const nextValid = (): { data?: Uint8Array; end?: string } | undefined => {
    follow();
    const file = offered[model.file];
    // Past the last file, or waiting for the receiver's verdict on the file just ended.
    if (!file || model.offset === Number.POSITIVE_INFINITY) return undefined;
    if (model.offset < file.size) {
      const length = Math.min(rng.range(1, 2048), file.size - model.offset, model.grantEnd - model.offset);
      if (length <= 0) return undefined;
      const data = encodeDataFrame(id, model.file, model.offset, contentOf(model.file, model.offset, length));
      return { data };
    }
    const digest = rng.chance(0.9)
      ? toBase64Url(digestBytes(fnv(2166136261, contentOf(model.file, 0, file.size))))
      : rng.b64(32);
    return { end: digest };
  };

  const steps = rng.range(5, 120);
  let finishedAs: string | undefined;
  for (let step = 0; step < steps; step++) {
    const roll = rng.next();
    if (roll < 0.6) {
      const valid = nextValid();
      if (valid?.data) {
        const frame = checkData(valid.data);
        if (frame) {
          guarded('handleData', valid.data, () => transfer.handleData(frame));
          model.offset += frame.payload.length;
        }
      } else if (valid?.end) {
        const end = { t: 'file-end' as const, id, file: model.file, sha256: valid.end };
        guarded('handle', end, () => transfer.handle(end));
        model.offset = Number.POSITIVE_INFINITY;
      } else {
        await flush();
      }
    } else if (roll < 0.78) {
      const bytes = mutateBytes(
        rng,
        nextValid()?.data ?? encodeDataFrame(id, model.file, model.offset, rng.bytes(8)),
      );
      const frame = checkData(bytes);
      // Only frames naming this transfer reach it (the engine routes by transfer id).
      if (frame && frame.transferId === id) guarded('handleData', bytes, () => transfer.handleData(frame));
    } else if (roll < 0.95) {
      const text = controlFrame(rng, id, offered.length);
      const m = checkControl(text);
      if (m && TRANSFER_MESSAGE_TYPES.has(m.t) && (m as TransferMessage).id === id) {
        guarded('handle', text, () => transfer.handle(m as TransferMessage));
      }
    } else if (roll < 0.97) {
      // The connection drops and comes back: the receiver resumes on a new one.
      transfer.detach();
      await transfer.accept(portFor());
      model.read = sent.length;
      follow();
    } else if (roll < 0.975) {
      transfer.cancel();
    } else {
      await flush();
    }
    if (step % 8 === 0) await flush();

    // Invariants, after every frame.
    noViolations(violations);
    const status = transfer.status();
    check(status.bytesDone >= 0 && status.bytesDone <= transfer.total, 'bytes done out of range', status);
    if (finishedAs) check(transfer.state === finishedAs, `a finished transfer became "${transfer.state}"`);
    else if (transfer.finished) finishedAs = transfer.state;
    let open = 0;
    for (const [key, file] of store.files) {
      const index = Number(key.split('/')[1]);
      check((offered[index]?.size ?? -1) >= file.written, 'more bytes written than offered', { key, file });
      if (file.open) open++;
    }
    check(open <= 1, 'more than one file open at once');
    check(sent.length <= (step + 2) * 3, 'the receiver answers out of proportion to what it gets');
  }
  for (let i = 0; i < 5; i++) await flush();
  noViolations(violations);
  if (transfer.finished && transfer.state !== 'done') {
    check(store.files.size === 0, `a "${transfer.state}" transfer left a partial file (episode ${episode})`);
  }
  if (transfer.state === 'done') {
    check(storedFiles.length === offered.length, 'a done transfer did not store every file');
    check(store.stored.size === offered.length, 'a done transfer did not keep every file');
  }
  return { steps, state: transfer.state };
}

// ---- the sending state machine ----

async function outgoingEpisode(
  rng: Rng,
  episode: number,
): Promise<{ steps: number; state: string; hostile: boolean }> {
  const id = rng.b64(16);
  // Half the receivers follow the protocol (apart from odd verdicts); the others send anything at all.
  const hostile = rng.chance(0.5);
  const maxFrameBytes = rng.pick([DATA_HEADER_BYTES + 1, 64, 1024, 64 * 1024]);
  // One-byte frames only for small files, to keep the run short.
  const largest = maxFrameBytes < 64 ? 300 : 30_000;
  const sizes = Array.from({ length: rng.range(1, 3) }, () => (rng.chance(0.15) ? 0 : rng.int(largest)));
  const sources: FileSource[] = sizes.map((size, file) => ({
    name: `f${file}`,
    size,
    type: '',
    read: async (offset, length) => contentOf(file, offset, Math.max(0, Math.min(length, size - offset))),
  }));
  const total = sizes.reduce((a, b) => a + b, 0);
  const window = rng.pick([1, 100, 5000, 50_000]);
  const control: TransferMessage[] = [];
  let bytesSent = 0;
  let accepts = 1;
  let transfer: OutgoingTransfer;
  const violations: unknown[] = [];
  // The receiver's view: the file it expects and the bytes of it received in order.
  const receiver = { file: 0, received: 0 };
  // What the receiver last granted, as the sender must read it: an accept or ack within the offer.
  const grant = { file: -1, end: 0 };
  const portFor = (): TransferPort => ({
    isOpen: true,
    maxFrameBytes,
    sendControl: keeping(violations, (m: TransferMessage) => {
      check(SENDER_SENDS.has(m.t), `the sender sent "${m.t}"`);
      check(parseControlMessage(JSON.stringify(m)).ok, 'the sender sent an invalid message', m);
      control.push(m);
    }),
    sendData: keeping(violations, (bytes: Uint8Array) => {
      check(!transfer.finished, 'data sent after the transfer finished');
      const frame = checkData(bytes);
      check(frame, 'the sender sent a frame that does not decode', bytes);
      check(frame.transferId === id, 'a frame for another transfer', bytes);
      check(frame.payload.length <= maxFrameBytes - DATA_HEADER_BYTES, 'a frame over the size limit', bytes);
      // The same rules whatever the receiver sends: only its grants as the sender honours them count.
      {
        const size = sizes[frame.file];
        check(size !== undefined, 'a frame for a file that was not offered', bytes);
        check(frame.payload.length > 0, 'an empty data frame', bytes);
        check(frame.offset + frame.payload.length <= size, 'data past the end of the file', bytes);
        check(
          frame.file === grant.file && frame.offset + frame.payload.length <= grant.end,
          'data past the grant',
          bytes,
        );
        check(
          Buffer.from(frame.payload).equals(
            Buffer.from(contentOf(frame.file, frame.offset, frame.payload.length)),
          ),
          'a frame that does not hold the bytes at its offset',
          bytes,
        );
      }
      if (frame.file === receiver.file && frame.offset === receiver.received)
        receiver.received += frame.payload.length;
      bytesSent += frame.payload.length;
    }),
    whenWritable: () => Promise.resolve(),
  });
  const feed = (m: TransferMessage, input: unknown) => {
    // An accept is an answer to an offer: the sender ignores it at any other time.
    const honoured = m.t !== 'accept' || transfer.state === 'offering';
    if (m.t === 'accept' && honoured) accepts++;
    if (!transfer.finished && honoured && (m.t === 'accept' || m.t === 'ack')) {
      if (m.file < sizes.length && m.offset <= (sizes[m.file] ?? 0)) {
        Object.assign(grant, { file: m.file, end: m.offset + m.window });
      }
    }
    guarded('handle', input, () => transfer.handle(m));
  };
  transfer = new OutgoingTransfer({
    id,
    files: sources,
    createHasher: async () => fakeHasher(),
    clock: new ManualClock(),
    onChange() {},
  });
  transfer.attach(portFor());

  // The receiver's answers: accept an offer where it stands, confirm each file, grant the next.
  let read = 0;
  const answers = (): TransferMessage[] => {
    const out: TransferMessage[] = [];
    for (; read < control.length; read++) {
      const m = control[read];
      if (m?.t === 'offer')
        out.push({ t: 'accept', id, file: receiver.file, offset: receiver.received, window });
      if (m?.t === 'file-end') {
        out.push(
          rng.chance(0.95)
            ? { t: 'file-ok', id, file: m.file }
            : { t: 'file-failed', id, file: m.file, reason: 'hash-mismatch' },
        );
        Object.assign(receiver, { file: m.file + 1, received: 0 });
        if (m.file + 1 < sizes.length) out.push({ t: 'ack', id, file: m.file + 1, offset: 0, window });
      }
    }
    return out;
  };
  const steps = rng.range(5, 100);
  for (let step = 0; step < steps; step++) {
    const roll = rng.next();
    if (roll < 0.55) {
      for (const m of answers()) feed(m, m);
      await flush();
    } else if (roll < 0.7) {
      if (receiver.file < sizes.length) {
        const ack: TransferMessage = { t: 'ack', id, file: receiver.file, offset: receiver.received, window };
        feed(ack, ack);
      }
    } else if (roll < 0.93) {
      const text = controlFrame(rng, id, sizes.length);
      const m = checkControl(text);
      // A receiver that follows the protocol grants only through its own answers above.
      const grants = m?.t === 'accept' || m?.t === 'ack';
      if (m && TRANSFER_MESSAGE_TYPES.has(m.t) && (m as TransferMessage).id === id && (hostile || !grants)) {
        feed(m as TransferMessage, text);
      }
    } else if (roll < 0.96) {
      // The connection drops and comes back: the sender offers again.
      transfer.detach();
      grant.file = -1;
      // Whatever the receiver had not answered went down with the old connection.
      read = control.length;
      transfer.attach(portFor());
    } else if (roll < 0.965) {
      transfer.cancel();
    } else {
      await flush();
    }
    if (step % 4 === 0) await flush();
    noViolations(violations);
    const status = transfer.status();
    check(status.bytesDone >= 0 && status.bytesDone <= total, 'bytes done out of range', status);
    // Only an accept makes the sender go back; otherwise each byte goes once.
    check(
      bytesSent <= accepts * total,
      `sent ${bytesSent} bytes of ${total} after ${accepts} starts (episode ${episode})`,
    );
  }
  for (let i = 0; i < 5; i++) await flush();
  noViolations(violations);
  return { steps, state: transfer.state, hostile };
}

// ---- handshake inputs and the queue before authentication ----

function handshakeFrames(
  rng: Rng,
  phone: { deviceId: string; publicKey: Uint8Array },
  offers: PairingOffers,
): string[] {
  const hello = {
    t: 'hello',
    v: PROTOCOL_VERSION,
    mode: rng.pick(['pair', 'session', 'session']),
    device: { id: phone.deviceId, name: nastyString(rng, 20) || 'x', type: 'phone' },
    key: toBase64Url(phone.publicKey),
    peerId: hexPeerId(rng),
    nonce: rng.b64(16),
    ...(rng.chance(0.8) ? { commit: rng.b64(32) } : {}),
    ...(rng.chance(0.5) ? { pairingId: rng.chance(0.5) ? rng.b64(8) : offers.issue().pairingId } : {}),
  };
  const auth = {
    t: 'auth',
    sig: rng.b64(64),
    ...(rng.chance(0.5) ? { mac: rng.b64(32) } : {}),
    ...(rng.chance(0.8) ? { reveal: rng.b64(32) } : {}),
  };
  const frames = [
    rng.chance(0.6) ? JSON.stringify(hello) : mutatedMessage(rng, hello),
    rng.chance(0.6) ? JSON.stringify(auth) : rng.chance(0.5) ? mutatedMessage(rng, auth) : controlFrame(rng),
  ];
  if (rng.chance(0.2)) frames.unshift(controlFrame(rng));
  return frames.slice(0, rng.range(0, 3));
}

function checkQueue(rng: Rng): void {
  const [a, b] = channelPair('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
  const queue = new MessageQueue(b);
  const count = rng.chance(0.5) ? rng.int(MAX_QUEUED_MESSAGES + 1) : rng.range(MAX_QUEUED_MESSAGES + 1, 300);
  for (let i = 0; i < count; i++) b.deliver(rng.chance(0.8) ? controlFrame(rng) : dataFrame(rng));
  check(b.isOpen === count <= MAX_QUEUED_MESSAGES, `${count} frames before authentication: open=${b.isOpen}`);
  queue.next().catch(() => {});
  queue.dispose();
  a.close();
}

// ---- a whole engine ----

interface ModelTransfer {
  id: string;
  names: string[];
  sizes: number[];
  file: number;
  offset: number;
  grantEnd: number;
  state: 'offered' | 'sending' | 'ending' | 'gone';
}

async function engineFuzz(rng: Rng, budget: number): Promise<void> {
  const hub = new MemoryHub();
  const store = new MemoryStore();
  const files: FileEnv = { store, sourceFor: () => undefined };
  const desktop: TestDevice = await openDevice(hub, DESKTOP_UA, { files });
  const desktopPeer = desktop.network().localPeerId;
  const self = desktop.engine.snapshot().self;
  const desktopKey = fromBase64Url((desktop.store.data.get('identity') as { publicKey: string }).publicKey);
  let hostile: HostilePeer = await pairHostile(hub, desktop.engine);
  const identity = hostile.identity;
  const stats = { reconnects: 0, resumed: 0, fileOks: 0 };
  const transfers = new Map<string, ModelTransfer>();
  let read = 0;

  // The hostile device is a sender that mostly follows the protocol: it tracks what the desktop grants.
  const follow = () => {
    const messages = hostile.messages();
    for (; read < messages.length; read++) {
      const m = messages[read];
      if (!m || !TRANSFER_MESSAGE_TYPES.has(m.t)) continue;
      const t = transfers.get((m as TransferMessage).id);
      if (!t) continue;
      if (m.t === 'accept')
        Object.assign(t, { file: m.file, offset: m.offset, grantEnd: m.offset + m.window, state: 'sending' });
      else if (m.t === 'ack') {
        if (m.file !== t.file) Object.assign(t, { file: m.file, offset: 0, state: 'sending' });
        t.grantEnd = m.offset + m.window;
      } else if (m.t === 'file-ok') {
        stats.fileOks++;
        if (m.file + 1 >= t.sizes.length) t.state = 'gone';
      } else t.state = 'gone';
    }
    for (const [id, t] of transfers) if (t.state === 'gone') transfers.delete(id);
  };

  const offer = (t: ModelTransfer, resume: boolean) =>
    hostile.sendJson({
      t: 'offer',
      id: t.id,
      files: t.sizes.map((size, i) => ({ name: t.names[i] ?? '', size, type: '' })),
      ...(resume ? { resume: true } : {}),
    });

  const reconnect = async () => {
    stats.reconnects++;
    try {
      hostile = (
        await connectAuthenticated(
          hub,
          desktopPeer,
          { mode: 'session', peer: { deviceId: self.deviceId, publicKey: desktopKey ?? new Uint8Array() } },
          { identity },
        )
      ).peer;
    } catch {
      // Unpaired by one of its own fuzzed messages: pair again, and start afresh.
      hostile = await pairHostile(hub, desktop.engine, { identity });
      transfers.clear();
    }
    read = 0;
    // Like any sender after a dropped connection, offer the unfinished transfers again.
    for (const t of transfers.values()) {
      t.state = 'offered';
      stats.resumed++;
      offer(t, true);
    }
    await settle(2);
  };

  try {
    for (let frame = 0; frame < budget; frame++) {
      if (!hostile.isOpen) await reconnect();
      follow();
      const roll = rng.next();
      const sending = [...transfers.values()].filter((t) => t.state === 'sending');
      const live = sending.length ? rng.pick(sending) : undefined;
      if (roll < 0.06 || (!live && roll < 0.5)) {
        const t: ModelTransfer = {
          id: rng.b64(16),
          names: [nastyString(rng, 20), nastyString(rng, 20), nastyString(rng, 20)],
          sizes: Array.from({ length: rng.range(1, 3) }, () => rng.int(3000)),
          file: 0,
          offset: 0,
          grantEnd: 0,
          state: 'offered',
        };
        if (transfers.size < 16) transfers.set(t.id, t);
        offer(t, false);
        // Let the desktop take the offer in before anything else arrives.
        await settle(2);
      } else if (live && roll < 0.6) {
        const size = live.sizes[live.file] ?? 0;
        if (live.offset < size) {
          const length = Math.min(rng.range(1, 1500), size - live.offset, live.grantEnd - live.offset);
          if (length <= 0) continue;
          const bytes = encodeDataFrame(
            live.id,
            live.file,
            live.offset,
            contentOf(live.file, live.offset, length),
          );
          hostile.send(rng.chance(0.97) ? bytes : mutateBytes(rng, bytes));
          live.offset += length;
        } else {
          const real = await transferDigest(contentOf(live.file, 0, size));
          hostile.sendJson({
            t: 'file-end',
            id: live.id,
            file: live.file,
            sha256: rng.chance(0.9) ? real : rng.b64(32),
          });
          live.state = 'ending';
        }
      } else if (roll < 0.68) {
        hostile.sendJson({
          t: 'item',
          id: rng.b64(rng.range(1, 30)),
          sentAt: rng.int(2 ** 40),
          item: { kind: 'text', text: nastyString(rng, 50) || 'x' },
        });
      } else if (roll < 0.9) {
        const target = live ?? transfers.values().next().value;
        const text = controlFrame(rng, target?.id, target?.sizes.length);
        // A hostile device may also forget the desktop; that is tested elsewhere, and would end the run here.
        if (!/"t"\s*:\s*"unpair"/.test(text)) hostile.send(text);
        if (/"t"\s*:\s*"offer"/.test(text)) await settle(2);
      } else {
        hostile.send(dataFrame(rng, live && rng.chance(0.5) ? live.id : undefined));
      }
      if (frame % 16 === 0) await settle(2);
      if (frame % 200 === 0 || frame === budget - 1) {
        await settle(3);
        const snapshot = desktop.engine.snapshot();
        check(
          snapshot.transfers.length <= MAX_INCOMING_TRANSFERS + 20,
          `${snapshot.transfers.length} transfers listed`,
        );
        check(desktop.engine.inbox().length <= 100, `${desktop.engine.inbox().length} inbox items`);
        const records = desktop.store.data.get('incoming');
        check(
          !Array.isArray(records) || records.length <= MAX_INCOMING_TRANSFERS,
          'too many transfer records',
        );
        const open = new Set(snapshot.transfers.filter((t) => !ENDED.has(t.state)).map((t) => t.id));
        const partial = [...store.files.keys()].filter((key) => open.has(key.split('/')[0] ?? ''));
        check(open.size <= MAX_INCOMING_TRANSFERS, `${open.size} transfers open at once`);
        check(partial.length <= open.size, `${partial.length} partial files for ${open.size} open transfers`);
        check(snapshot.devices.length <= 1, 'more devices than paired');
      }
    }
    await settle(5);
    if (process.env.FUZZ_STATS) {
      console.log('engine fuzz', {
        ...stats,
        inbox: desktop.engine.inbox().length,
        stored: store.completed.size,
      });
    }
    // Files did arrive, verified, in between everything else.
    if (THOROUGH) expect(stats.fileOks).toBeGreaterThan(0);
    await eventually(() => desktop.engine.snapshot().devices.length === 1);
    expect(stats.reconnects).toBeLessThan(budget);
    // The engine still serves its device after all that.
    if (!hostile.isOpen) await reconnect();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
    hostile.sendJson({
      t: 'item',
      id: 'after-fuzz',
      sentAt: 1,
      item: { kind: 'text', text: 'still working' },
    });
    await waitFor(desktop.engine, () => desktop.engine.inbox()[0]?.id === 'after-fuzz');
  } finally {
    desktop.engine.close();
  }
}
