// Received files in the Origin Private File System, as the engine's BrowserFileStore. This module is the
// page's side only: it starts the one storage worker (utils/opfs-worker.ts, which owns the disk layout and
// the hashing), keeps the number of requests waiting for it bounded, and turns its replies into promises
// and Errors. A write resolves when the worker reports the bytes in the file, never when they were posted.

import type { FileSink, SinkRequest } from '../core/transfer/file-io';
import type { BrowserFileStore } from './browser-file-store';
import type { OpfsReply, OpfsRequest, OpfsResults } from './opfs-worker';
import OpfsWorker from './opfs-worker.ts?worker';

/**
 * Requests waiting for the worker at most. The engine awaits each write, so in practice there is one per
 * file being received plus the odd cleanup; reaching this means something issues requests without waiting.
 */
const MAX_PENDING_REQUESTS = 256;

export interface OpfsFileStoreOptions {
  /** Starts the storage worker; tests pass a worker that wraps the real one. */
  createWorker?: () => Worker;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

function startStorageWorker(): Worker {
  // Vite's ?worker import rather than `new Worker(new URL('./opfs-worker.ts', import.meta.url))`: WXT
  // 0.21 defines import.meta.url as self.location.href for every build, which hides that pattern from
  // Vite, so the extension builds shipped no worker at all (wxt-dev/wxt#2032).
  return new OpfsWorker({ name: 'directdrop-storage' });
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** One worker, started on first use and again after it fails; a restart invalidates the open sinks. */
class StorageWorker {
  #worker: Worker | undefined;
  #generation = 0;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  constructor(private readonly createWorker: () => Worker) {}

  /** Bumped whenever the worker is replaced, so sinks opened in a dead worker know they are gone. */
  get generation(): number {
    return this.#generation;
  }

  call<Op extends OpfsRequest['op']>(
    request: Extract<OpfsRequest, { op: Op }>,
    transfer: Transferable[] = [],
  ): Promise<OpfsResults[Op]> {
    if (this.#pending.size >= MAX_PENDING_REQUESTS) {
      return Promise.reject(namedError('InvalidStateError', 'File storage is overloaded; try again.'));
    }
    let worker: Worker;
    try {
      worker = this.#ensureWorker();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.#nextId++;
    return new Promise<OpfsResults[Op]>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      worker.postMessage({ id, request }, transfer);
    });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = this.createWorker();
    worker.onmessage = (event: MessageEvent<OpfsReply>) => this.#settle(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(worker, event.message || 'it could not be started');
    };
    worker.onmessageerror = () => this.#fail(worker, 'a reply could not be read');
    this.#worker = worker;
    return worker;
  }

  #settle(reply: OpfsReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.result);
    else pending.reject(namedError(reply.error.name, reply.error.message));
  }

  #fail(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    worker.terminate();
    this.#worker = undefined;
    this.#generation++;
    const error = namedError('AbortError', `File storage stopped working (${reason}).`);
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of waiting) pending.reject(error);
  }
}

class OpfsSink implements FileSink {
  #written: number;
  #state: 'open' | 'finished' | 'discarded' = 'open';
  #writing = false;
  /** The buffer the last write came back with: at most one chunk per open file. */
  #spare: ArrayBuffer | undefined;

  constructor(
    private readonly storage: StorageWorker,
    private readonly request: SinkRequest,
    private readonly sink: number,
    private readonly generation: number,
    written: number,
  ) {
    this.#written = written;
  }

  get written(): number {
    return this.#written;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.#checkOpen();
    // One write at a time per file: that is the engine's contract, and it is what keeps memory bounded.
    if (this.#writing) throw namedError('InvalidStateError', 'A write is still in progress on this file.');
    if (bytes.length === 0) return;
    this.#writing = true;
    try {
      // The bytes are copied into a buffer of this sink's, which goes to the worker and back, transferred
      // both ways. Transferring the caller's buffer instead would detach it: the payload is a view into the
      // received frame, and the engine still reads its length after the write. Reusing one buffer saves
      // allocating (and later collecting) a fresh one per chunk, the larger part of copying's cost.
      const buffer =
        this.#spare && this.#spare.byteLength >= bytes.length ? this.#spare : new ArrayBuffer(bytes.length);
      this.#spare = undefined;
      new Uint8Array(buffer, 0, bytes.length).set(bytes);
      const result = await this.storage.call(
        { op: 'write', sink: this.sink, buffer, offset: 0, length: bytes.length },
        [buffer],
      );
      this.#spare = result.buffer;
      this.#written = result.written;
    } finally {
      this.#writing = false;
    }
  }

  async finish(): Promise<Uint8Array> {
    this.#checkOpen();
    const { digest } = await this.storage.call({ op: 'finish', sink: this.sink });
    this.#state = 'finished';
    this.#spare = undefined;
    return new Uint8Array(digest);
  }

  async discard(): Promise<void> {
    if (this.#state === 'discarded') return;
    this.#state = 'discarded';
    this.#spare = undefined;
    await this.storage.call({
      op: 'discard',
      sink: this.sink,
      transferId: this.request.transferId,
      file: this.request.file,
    });
  }

  #checkOpen(): void {
    if (this.#state !== 'open') {
      throw namedError('InvalidStateError', `This file was already ${this.#state}.`);
    }
    if (this.generation !== this.storage.generation) {
      throw namedError('AbortError', 'File storage restarted; the file must be opened again.');
    }
  }
}

export function createOpfsFileStore(options: OpfsFileStoreOptions = {}): BrowserFileStore {
  const storage = new StorageWorker(options.createWorker ?? startStorageWorker);
  return {
    async available() {
      const estimate = await navigator.storage?.estimate?.();
      if (estimate?.quota === undefined) return undefined;
      return Math.max(0, estimate.quota - (estimate.usage ?? 0));
    },

    async open(request) {
      const generation = storage.generation;
      const { sink, written } = await storage.call({
        op: 'open',
        transferId: request.transferId,
        file: request.file,
        resume: request.resume,
      });
      return new OpfsSink(storage, request, sink, generation, written);
    },

    async discardPartial(transferId) {
      await storage.call({ op: 'discard-partial', transferId });
    },

    async getFile(transferId, file, name, type) {
      const stored = (await storage.call({ op: 'get-file', transferId, file })).file;
      // Still disk-backed: a File made from a Blob part refers to the same bytes instead of copying them.
      return new File([stored], name, { type, lastModified: stored.lastModified });
    },

    async remove(transferId, file) {
      await storage.call({ op: 'remove', transferId, file });
    },

    async sweep(maxAgeMs) {
      await storage.call({ op: 'sweep', maxAgeMs });
    },
  };
}
