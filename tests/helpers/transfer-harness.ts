// In-memory files, storage and a linked pair of transfer ports, so transfer state machines can be tested
// frame by frame. Everything crossing the "wire" goes through the real codecs and validators.

import { createHash } from 'node:crypto';
import type { FileEnv } from '../../core/engine/transfer-center';
import { parseControlMessage, type TransferMessage } from '../../core/protocol/messages';
import { decodeDataFrame } from '../../core/transfer/data-frame';
import { createFileDigest } from '../../core/transfer/file-digest';
import type { FileSink, FileSource, FileStore, Hasher, SinkRequest } from '../../core/transfer/file-io';
import type { IncomingTransfer } from '../../core/transfer/incoming-transfer';
import type { OutgoingTransfer } from '../../core/transfer/outgoing-transfer';
import type { TransferPort } from '../../core/transfer/transfer-port';
import { nodeCrypto } from './node-env';

/** The transfer digest (core/transfer/file-digest.ts) over Node's WebCrypto, as browsers compute it. */
export function nodeHasher(): Promise<Hasher> {
  return Promise.resolve(createFileDigest((data) => nodeCrypto.sha256(data)));
}

export function bytesOf(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function memorySource(
  name: string,
  data: Uint8Array,
  type = 'application/octet-stream',
): FileSource & { reads: number } {
  const source = {
    name,
    size: data.length,
    type,
    reads: 0,
    async read(offset: number, length: number) {
      source.reads++;
      return data.slice(offset, offset + length);
    },
  };
  return source;
}

export class MemoryStore implements FileStore {
  readonly files = new Map<string, Uint8Array[]>();
  readonly completed = new Map<string, Uint8Array>();
  free: number | undefined = undefined;
  /** Delay per write, to model a slow disk. */
  writeDelayMs = 0;
  failWritesAfter: number | undefined;

  async available() {
    return this.free;
  }

  async open(request: SinkRequest): Promise<FileSink> {
    const key = `${request.transferId}/${request.file}`;
    if (!request.resume || !this.files.has(key)) this.files.set(key, []);
    const store = this;
    const chunks = this.files.get(key) ?? [];
    let written = chunks.reduce((n, c) => n + c.length, 0);
    return {
      get written() {
        return written;
      },
      async write(bytes) {
        if (store.writeDelayMs) await new Promise((r) => setTimeout(r, store.writeDelayMs));
        if (store.failWritesAfter !== undefined && written + bytes.length > store.failWritesAfter) {
          const error = new Error('The quota has been exceeded.');
          error.name = 'QuotaExceededError';
          throw error;
        }
        chunks.push(bytes.slice());
        written += bytes.length;
      },
      async finish() {
        const all = new Uint8Array(Buffer.concat(chunks));
        store.completed.set(`${request.transferId}/${request.name}`, all);
        store.files.delete(key);
        const digest = await nodeHasher();
        digest.update(all);
        return digest.digest();
      },
      async discard() {
        store.files.delete(key);
        store.completed.delete(`${request.transferId}/${request.name}`);
      },
    };
  }

  async discardPartial(transferId: string) {
    for (const key of [...this.files.keys()]) if (key.startsWith(`${transferId}/`)) this.files.delete(key);
  }
}

/** An engine's file environment in memory: received files in `store`, queued files sent from their bytes. */
export function memoryFiles(store = new MemoryStore()): FileEnv & { store: MemoryStore } {
  return {
    store,
    sourceFor: (stored, file) =>
      stored instanceof Uint8Array ? memorySource(file.name, stored, file.type) : undefined,
  };
}

export interface Wire {
  senderPort: TransferPort;
  receiverPort: TransferPort;
  /** Every control message the receiver sent, in order. */
  toSender: TransferMessage[];
  toReceiver: TransferMessage[];
  cut(): void;
  /** Replace what the sender's data frames turn into before the receiver sees them. */
  tamper?: (frame: Uint8Array) => Uint8Array | Uint8Array[] | undefined;
  maxInFlight: number;
}

/** Connects a sender and a receiver through the real codecs; delivery is asynchronous like a channel. */
export function wire(
  getSender: () => OutgoingTransfer,
  getReceiver: () => IncomingTransfer,
  options: { maxFrameBytes?: number; onOffer?: (m: TransferMessage) => void } = {},
): Wire {
  let open = true;
  const maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
  const w: Wire = {
    toSender: [],
    toReceiver: [],
    maxInFlight: 0,
    cut: () => {
      open = false;
    },
    senderPort: {
      get isOpen() {
        return open;
      },
      maxFrameBytes,
      sendControl(message) {
        const text = JSON.stringify(message);
        setTimeout(() => {
          if (!open) return;
          const parsed = parseControlMessage(text);
          if (!parsed.ok) throw new Error(parsed.error);
          const m = parsed.message as TransferMessage;
          w.toReceiver.push(m);
          if (m.t === 'offer') options.onOffer?.(m);
          else getReceiver().handle(m);
        }, 0);
      },
      sendData(frame) {
        const copy = frame.slice();
        setTimeout(() => {
          if (!open) return;
          const tampered = w.tamper ? w.tamper(copy) : copy;
          const frames = tampered === undefined ? [] : Array.isArray(tampered) ? tampered : [tampered];
          for (const f of frames) {
            const decoded = decodeDataFrame(f);
            if (!decoded.ok) throw new Error(decoded.error);
            getReceiver().handleData(decoded.frame);
          }
        }, 0);
      },
      whenWritable: () => new Promise((r) => setTimeout(r, 0)),
    },
    receiverPort: {
      get isOpen() {
        return open;
      },
      maxFrameBytes,
      sendControl(message) {
        const text = JSON.stringify(message);
        setTimeout(() => {
          if (!open) return;
          const parsed = parseControlMessage(text);
          if (!parsed.ok) throw new Error(parsed.error);
          w.toSender.push(parsed.message as TransferMessage);
          getSender().handle(parsed.message as TransferMessage);
        }, 0);
      },
      sendData() {
        throw new Error('receivers send no data');
      },
      whenWritable: () => Promise.resolve(),
    },
  };
  return w;
}

export function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting'));
      setTimeout(tick, 2);
    };
    tick();
  });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
