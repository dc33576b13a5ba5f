import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/bytes';
import type { TransferMessage } from '../../core/protocol/messages';
import type { OfferedFile } from '../../core/protocol/transfer-messages';
import { DATA_HEADER_BYTES, decodeDataFrame, encodeDataFrame } from '../../core/transfer/data-frame';
import type { FileSource } from '../../core/transfer/file-io';
import { IncomingTransfer } from '../../core/transfer/incoming-transfer';
import { OutgoingTransfer } from '../../core/transfer/outgoing-transfer';
import type { TransferPort } from '../../core/transfer/transfer-port';
import { transferDigest } from '../helpers/hostile-peer';
import { realClock } from '../helpers/node-env';
import {
  bytesOf,
  MemoryStore,
  memorySource,
  nodeHasher,
  sha256,
  until,
  type Wire,
  wire,
} from '../helpers/transfer-harness';

const ID = toBase64Url(new Uint8Array(16).fill(9));
const FRAME = 64 * 1024;
const CHUNK = FRAME - DATA_HEADER_BYTES;

interface Pair {
  sender: OutgoingTransfer;
  receiver: IncomingTransfer;
  store: MemoryStore;
  link: Wire;
  stored: string[];
}

function pair(sources: FileSource[], options: { store?: MemoryStore; window?: number } = {}): Pair {
  const store = options.store ?? new MemoryStore();
  const stored: string[] = [];
  const offered: OfferedFile[] = sources.map((s) => ({ name: s.name, size: s.size, type: s.type }));
  const p = {} as Pair;
  p.store = store;
  p.stored = stored;
  p.sender = new OutgoingTransfer({
    id: ID,
    files: sources,
    createHasher: nodeHasher,
    clock: realClock,
    onChange() {},
  });
  p.receiver = new IncomingTransfer({
    id: ID,
    offered,
    store,
    clock: realClock,
    onChange() {},
    onFileStored: (f) => stored.push(f.name),
    ...(options.window ? { window: options.window } : {}),
  });
  p.link = wire(
    () => p.sender,
    () => p.receiver,
    { maxFrameBytes: FRAME, onOffer: () => void p.receiver.accept(p.link.receiverPort) },
  );
  return p;
}

async function run(p: Pair): Promise<void> {
  p.sender.attach(p.link.senderPort);
  await until(() => p.sender.finished && p.receiver.finished);
}

describe('file transfer', () => {
  it.each([
    ['a 0-byte file', 0],
    ['a 1-byte file', 1],
    ['exactly one chunk', CHUNK],
    ['one chunk and a byte', CHUNK + 1],
  ])('delivers %s intact and verified', async (_, size) => {
    const data = bytesOf(size, size + 3);
    const p = pair([memorySource('f.bin', data)]);
    await run(p);
    expect(p.sender.status()).toMatchObject({ state: 'done', bytesDone: size, total: size });
    expect(p.receiver.status()).toMatchObject({ state: 'done', bytesDone: size });
    expect(sha256(p.store.completed.get(`${ID}/f.bin`) ?? new Uint8Array(1))).toBe(sha256(data));
    if (size === CHUNK) {
      expect(p.link.toReceiver.filter((m) => m.t === 'file-end')).toHaveLength(1);
    }
  });

  it('delivers a multi-file offer in order, each file verified', async () => {
    const files = [
      memorySource('a.txt', bytesOf(10, 1)),
      memorySource('empty', bytesOf(0)),
      memorySource('big.bin', bytesOf(3 * 1024 * 1024 + 17, 2)),
      memorySource('c.bin', bytesOf(CHUNK * 2, 3)),
    ];
    const p = pair(files, { window: 512 * 1024 });
    await run(p);
    expect(p.stored).toEqual(['a.txt', 'empty', 'big.bin', 'c.bin']);
    for (const f of files) {
      const data = await f.read(0, f.size);
      expect(sha256(p.store.completed.get(`${ID}/${f.name}`) ?? new Uint8Array([1]))).toBe(sha256(data));
    }
    expect(p.link.toSender.filter((m) => m.t === 'file-ok').map((m) => m.file)).toEqual([0, 1, 2, 3]);
  });

  it('never lets the sender run ahead of the granted window (a slow disk slows the sender)', async () => {
    const store = new MemoryStore();
    store.writeDelayMs = 3;
    const window = 256 * 1024;
    const p = pair([memorySource('slow.bin', bytesOf(2 * 1024 * 1024, 5))], { store, window });
    let maxAhead = 0;
    const unsent = p.link.senderPort.sendData.bind(p.link.senderPort);
    let sentEnd = 0;
    p.link.senderPort.sendData = (frame) => {
      const decoded = decodeDataFrame(frame);
      if (decoded.ok) sentEnd = decoded.frame.offset + decoded.frame.payload.length;
      const written = p.receiver.status().bytesDone;
      maxAhead = Math.max(maxAhead, sentEnd - written);
      unsent(frame);
    };
    await run(p);
    expect(p.receiver.status().state).toBe('done');
    expect(maxAhead).toBeLessThanOrEqual(window);
    expect(maxAhead).toBeGreaterThan(0);
  });

  it('encodes a frame into a reused buffer exactly as into a fresh one, and only within that buffer', () => {
    const payload = new Uint8Array(1000).map((_, i) => i % 251);
    const fresh = encodeDataFrame(ID, 3, 2 ** 33 + 5, payload);
    const buffer = new Uint8Array(4096).fill(0xee);
    const reused = encodeDataFrame(ID, 3, 2 ** 33 + 5, payload, buffer);
    expect(reused.buffer).toBe(buffer.buffer);
    expect(reused).toEqual(fresh);
    expect(buffer[DATA_HEADER_BYTES + payload.length]).toBe(0xee);
    const decoded = decodeDataFrame(reused);
    expect(decoded.ok && decoded.frame.offset).toBe(2 ** 33 + 5);
    // A buffer too small for the frame is left alone.
    const small = new Uint8Array(100);
    expect(encodeDataFrame(ID, 3, 0, payload, small).buffer).not.toBe(small.buffer);
  });

  it('sanitises hostile names from the offer', () => {
    const receiver = new IncomingTransfer({
      id: ID,
      offered: [
        { name: '../../etc/passwd', size: 1, type: '' },
        { name: 'CON', size: 1, type: '' },
        { name: 'evil\u202egnp.exe', size: 1, type: '' },
        { name: 'trailing. . ', size: 1, type: '' },
      ],
      store: new MemoryStore(),
      clock: realClock,
      onChange() {},
      onFileStored() {},
    });
    expect(receiver.files.map((f) => f.name)).toEqual(['passwd', '_CON', 'evilgnp.exe', 'trailing']);
  });
});

describe('file transfer failures end cleanly', () => {
  async function failing(tamper: Wire['tamper'], size = CHUNK * 3) {
    const p = pair([memorySource('x.bin', bytesOf(size, 7))]);
    p.link.tamper = tamper;
    await run(p);
    return p;
  }

  async function expectCleanFailure(p: Pair, receiverError: RegExp) {
    await until(() => p.store.files.size === 0 && p.store.completed.size === 0);
    expect(p.receiver.status().state).toBe('failed');
    expect(p.receiver.status().error).toMatch(receiverError);
    expect(['failed', 'cancelled']).toContain(p.sender.status().state);
    expect(p.store.files.size).toBe(0);
    expect(p.store.completed.size).toBe(0);
  }

  it('rejects an offset out of range', async () => {
    const p = await failing((frame) => {
      const d = decodeDataFrame(frame);
      return d.ok && d.frame.offset === CHUNK ? encodeDataFrame(ID, 0, CHUNK + 5, d.frame.payload) : frame;
    });
    await expectCleanFailure(p, /out of order/);
  });

  it('rejects a duplicate frame', async () => {
    const p = await failing((frame) => [frame, frame]);
    await expectCleanFailure(p, /out of order/);
  });

  it('rejects a missing frame', async () => {
    const p = await failing((frame) => {
      const d = decodeDataFrame(frame);
      return d.ok && d.frame.offset === CHUNK ? undefined : frame;
    });
    await expectCleanFailure(p, /out of order/);
  });

  it('rejects more bytes than the offered size (a size lie)', async () => {
    const p = pair([memorySource('x.bin', bytesOf(100, 1))]);
    const liar = new OutgoingTransfer({
      id: ID,
      files: [{ name: 'x.bin', size: 100, type: '', read: async () => bytesOf(100, 1) }],
      createHasher: nodeHasher,
      clock: realClock,
      onChange() {},
    });
    p.sender = liar;
    p.link.tamper = (frame) => {
      const d = decodeDataFrame(frame);
      return d.ok ? encodeDataFrame(ID, 0, 0, bytesOf(101, 1)) : frame;
    };
    await run(p);
    await expectCleanFailure(p, /more data than the offered size/);
  });

  it('rejects a file that ends before its offered size', async () => {
    const p = await failing((frame) => {
      const d = decodeDataFrame(frame);
      return d.ok && d.frame.offset >= CHUNK ? undefined : frame;
    }, CHUNK + 10);
    // The receiver sees file-end after only one chunk.
    await expectCleanFailure(p, /ended before its offered size/);
  });

  it('deletes a file whose hash does not match', async () => {
    const p = await failing((frame) => {
      const copy = frame.slice();
      copy[DATA_HEADER_BYTES + 3] = (copy[DATA_HEADER_BYTES + 3] ?? 0) ^ 0xff;
      return copy;
    });
    await expectCleanFailure(p, /checksum did not match/);
    expect(p.sender.status()).toMatchObject({ state: 'failed', error: expect.stringMatching(/damaged/) });
  });

  it('stops with a clear error and removes the partial file when storage runs out', async () => {
    const store = new MemoryStore();
    store.failWritesAfter = CHUNK;
    const p = pair([memorySource('big.bin', bytesOf(CHUNK * 4, 1))], { store });
    await run(p);
    expect(p.receiver.status()).toMatchObject({ state: 'failed', error: expect.stringMatching(/space/) });
    expect(p.sender.status()).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/ran out of space/),
    });
    expect(store.files.size).toBe(0);
  });

  it('declines up front when there is not enough free space', async () => {
    const store = new MemoryStore();
    store.free = 10;
    const p = pair([memorySource('big.bin', bytesOf(1000, 1))], { store });
    await run(p);
    expect(p.receiver.status().error).toMatch(/Not enough free space: 1.0 KB needed, 10 bytes free/);
    expect(p.sender.status()).toMatchObject({
      state: 'declined',
      error: expect.stringMatching(/free space/),
    });
  });

  it('can be cancelled by the sender or the receiver', async () => {
    for (const who of ['sender', 'receiver'] as const) {
      const store = new MemoryStore();
      store.writeDelayMs = 2;
      const p = pair([memorySource('x.bin', bytesOf(CHUNK * 40, 1))], { store });
      p.sender.attach(p.link.senderPort);
      await until(() => p.receiver.status().bytesDone > CHUNK);
      if (who === 'sender') p.sender.cancel();
      else p.receiver.cancel();
      await until(() => p.sender.finished && p.receiver.finished);
      expect(p.sender.state).toBe('cancelled');
      expect(p.receiver.state).toBe('cancelled');
      await until(() => store.files.size === 0);
      expect(store.completed.size).toBe(0);
    }
  });
});

describe('resume', () => {
  it('continues from the last written byte on a new connection and verifies the whole file', async () => {
    const data = bytesOf(CHUNK * 30 + 123, 11);
    const source = memorySource('movie.mp4', data, 'video/mp4');
    const store = new MemoryStore();
    store.writeDelayMs = 1;
    const p = pair([source], { store });
    p.sender.attach(p.link.senderPort);
    await until(() => p.receiver.status().bytesDone >= CHUNK * 10);

    // The connection drops.
    p.link.cut();
    p.sender.detach();
    p.receiver.detach();
    expect(p.sender.state).toBe('interrupted');
    expect(p.receiver.state).toBe('interrupted');
    const writtenBefore = p.receiver.status().bytesDone;

    // A new connection: the sender offers again with the same id, the receiver resumes.
    const again = wire(
      () => p.sender,
      () => p.receiver,
      {
        maxFrameBytes: FRAME,
        onOffer: (offer) => {
          expect(offer).toMatchObject({ t: 'offer', id: ID, resume: true });
          void p.receiver.accept(again.receiverPort);
        },
      },
    );
    p.sender.attach(again.senderPort);
    await until(() => p.sender.finished && p.receiver.finished);
    const accept = again.toSender.find((m) => m.t === 'accept');
    expect(accept).toMatchObject({ file: 0 });
    expect(accept && 'offset' in accept ? accept.offset : -1).toBeGreaterThanOrEqual(writtenBefore);
    expect(p.receiver.state).toBe('done');
    expect(sha256(store.completed.get(`${ID}/movie.mp4`) ?? new Uint8Array(1))).toBe(sha256(data));
  });

  it('refuses to resume into a different offer', () => {
    const receiver = new IncomingTransfer({
      id: ID,
      offered: [{ name: 'a', size: 5, type: '' }],
      store: new MemoryStore(),
      clock: realClock,
      onChange() {},
      onFileStored() {},
    });
    expect(receiver.matches([{ name: 'a', size: 5, type: '' }])).toBe(true);
    expect(receiver.matches([{ name: 'a', size: 6, type: '' }])).toBe(false);
  });
});

/** A port that records what one side sends, for driving a transfer by hand. */
function recordingPort(maxFrameBytes = FRAME) {
  const control: TransferMessage[] = [];
  const frames: Uint8Array[] = [];
  const port: TransferPort = {
    isOpen: true,
    maxFrameBytes,
    sendControl: (m) => control.push(m),
    sendData: (frame) => frames.push(frame.slice()),
    whenWritable: () => new Promise((r) => setImmediate(r)),
  };
  return { port, control, frames };
}

function nextTick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

describe('a hostile sender', () => {
  it('cannot make the receiver queue a write per frame: tiny frames are gathered while the disk lags', async () => {
    const store = new MemoryStore();
    store.writeDelayMs = 2;
    const data = bytesOf(200_000, 4);
    const stored: string[] = [];
    const receiver = new IncomingTransfer({
      id: ID,
      offered: [{ name: 'tiny.bin', size: data.length, type: '' }],
      store,
      clock: realClock,
      onChange() {},
      onFileStored: (f) => stored.push(f.name),
    });
    const { port, control } = recordingPort();
    await receiver.accept(port);
    expect(receiver.state).toBe('receiving');
    let most = 0;
    for (let offset = 0; offset < data.length; offset++) {
      receiver.handleData({ transferId: ID, file: 0, offset, payload: data.subarray(offset, offset + 1) });
      most = Math.max(most, receiver.queuedWrites);
    }
    // 200,000 frames, but at most one queued write per 16 KiB (plus a few written one by one).
    expect(most).toBeLessThanOrEqual(Math.ceil(data.length / (16 * 1024)) + 33);
    receiver.handle({ t: 'file-end', id: ID, file: 0, sha256: await transferDigest(data) });
    await until(() => receiver.finished, 10_000);
    expect(receiver.state).toBe('done');
    expect(stored).toEqual(['tiny.bin']);
    expect(sha256(store.completed.get(`${ID}/tiny.bin`) ?? new Uint8Array(1))).toBe(sha256(data));
    expect(control.filter((m) => m.t === 'ack').length).toBeLessThanOrEqual(2);
    expect(receiver.queuedWrites).toBe(0);
  });

  it('a cancel while a file is being verified keeps nothing: no stored file, no next file opened', async () => {
    const store = new MemoryStore();
    const first = bytesOf(5000, 1);
    const stored: string[] = [];
    const receiver = new IncomingTransfer({
      id: ID,
      offered: [
        { name: 'a.bin', size: first.length, type: '' },
        { name: 'b.bin', size: 5000, type: '' },
      ],
      store,
      clock: realClock,
      onChange() {},
      onFileStored: (f) => stored.push(f.name),
    });
    const { port } = recordingPort();
    await receiver.accept(port);
    receiver.handleData({ transferId: ID, file: 0, offset: 0, payload: first });
    receiver.handle({ t: 'file-end', id: ID, file: 0, sha256: await transferDigest(first) });
    await nextTick();
    receiver.cancel();
    for (let i = 0; i < 20; i++) await nextTick();
    expect(receiver.state).toBe('cancelled');
    expect(stored).toEqual([]);
    expect([...store.files.keys()]).toEqual([]);
    expect([...store.completed.keys()]).toEqual([]);
  });

  it('a file that opens after the transfer was cancelled is deleted', async () => {
    const store = new MemoryStore();
    const open = store.open.bind(store);
    store.open = async (request) => {
      await nextTick();
      return open(request);
    };
    const receiver = new IncomingTransfer({
      id: ID,
      offered: [{ name: 'a.bin', size: 10, type: '' }],
      store,
      clock: realClock,
      onChange() {},
      onFileStored() {},
    });
    const { port, control } = recordingPort();
    const accepting = receiver.accept(port);
    await Promise.resolve();
    receiver.cancel();
    await accepting;
    for (let i = 0; i < 5; i++) await nextTick();
    expect(receiver.state).toBe('cancelled');
    expect(control.map((m) => m.t)).toEqual(['cancel']);
    expect([...store.files.keys()]).toEqual([]);
  });
});

describe('a hostile receiver', () => {
  it('cannot make the sender repeat, skip or overrun: duplicate accepts and shrinking acks', async () => {
    const sizes = [150_000, 70_000];
    const files = sizes.map((size, i) => memorySource(`f${i}`, bytesOf(size, i + 1)));
    const sender = new OutgoingTransfer({
      id: ID,
      files,
      createHasher: nodeHasher,
      clock: realClock,
      onChange() {},
    });
    const { port, control, frames } = recordingPort(4096);
    const wide = 1_000_000;
    sender.attach(port);
    sender.handle({ t: 'accept', id: ID, file: 0, offset: 0, window: wide });
    // Accepts repeated at once and later, naming other places: a sender in mid-file ignores them all.
    sender.handle({ t: 'accept', id: ID, file: 0, offset: 0, window: wide });
    sender.handle({ t: 'accept', id: ID, file: 1, offset: 0, window: wide });
    await nextTick();
    sender.handle({ t: 'accept', id: ID, file: 0, offset: 10, window: wide });
    await nextTick();
    // A window that shrinks behind what was already sent, then one that barely moves.
    sender.handle({ t: 'ack', id: ID, file: 0, offset: 0, window: 1 });
    for (let i = 0; i < 5; i++) await nextTick();
    sender.handle({ t: 'ack', id: ID, file: 0, offset: 4096, window: 1 });
    sender.handle({ t: 'accept', id: ID, file: 0, offset: 0, window: wide });
    for (let i = 0; i < 5; i++) await nextTick();
    // Then honest grants to the end.
    sender.handle({ t: 'ack', id: ID, file: 0, offset: 0, window: wide });
    await until(() => control.some((m) => m.t === 'file-end' && m.file === 0));
    sender.handle({ t: 'file-ok', id: ID, file: 0 });
    sender.handle({ t: 'ack', id: ID, file: 1, offset: 0, window: wide });
    sender.handle({ t: 'accept', id: ID, file: 1, offset: 5, window: wide });
    await until(() => control.some((m) => m.t === 'file-end' && m.file === 1));

    // Every frame is the next one: in order, never empty, never past the end, each byte once.
    const next = [0, 0];
    for (const bytes of frames) {
      const decoded = decodeDataFrame(bytes);
      if (!decoded.ok) throw new Error(decoded.error);
      const { file, offset, payload } = decoded.frame;
      expect(file).toBeLessThan(sizes.length);
      expect(offset).toBe(next[file]);
      expect(payload.length).toBeGreaterThan(0);
      expect(offset + payload.length).toBeLessThanOrEqual(sizes[file] ?? 0);
      const expected = (await files[file]?.read(offset, payload.length)) ?? new Uint8Array(0);
      expect(Buffer.from(payload).equals(Buffer.from(expected))).toBe(true);
      next[file] = offset + payload.length;
    }
    expect(next).toEqual(sizes);
    const ends = control.filter((m) => m.t === 'file-end');
    expect(ends.map((m) => m.file)).toEqual([0, 1]);
  });
});
