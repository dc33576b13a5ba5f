// The receiving side of one transfer: validates every frame against the offer and the window it granted,
// writes bytes in order as they arrive, acknowledges what is written (which moves the sender's window, so
// a slow disk slows the sender instead of filling memory), and verifies each file's SHA-256 before calling
// it done. A file that fails verification or breaks the rules is deleted, never kept half-written.

import { toBase64Url } from '../bytes';
import type { Clock } from '../clock';
import { ACK_STEP_BYTES, RECEIVE_WINDOW_BYTES } from '../protocol/limits';
import type { TransferMessage } from '../protocol/messages';
import type { CancelReason, FileFailure, OfferedFile } from '../protocol/transfer-messages';
import type { DataFrame } from './data-frame';
import type { FileSink, FileStore, StoredFile } from './file-io';
import { sanitizeFileName } from './file-name';
import { ProgressMeter } from './progress';
import type { TransferPort } from './transfer-port';

export type IncomingState =
  | 'offered'
  | 'receiving'
  | 'interrupted'
  | 'done'
  | 'declined'
  | 'cancelled'
  | 'failed';

export interface IncomingFile {
  /** Safe to create and show: sanitised from what the sender offered. */
  name: string;
  size: number;
  type: string;
}

export interface IncomingStatus {
  state: IncomingState;
  bytesDone: number;
  total: number;
  bytesPerSecond?: number;
  secondsLeft?: number;
  error?: string;
}

const CANCELLED: Record<CancelReason, string> = {
  cancelled: 'The sender cancelled the transfer.',
  failed: 'The sender stopped the transfer after an error.',
  protocol: 'The transfer broke off because of a protocol error.',
  'no-space': 'The transfer stopped: not enough space.',
  unavailable: 'The sender no longer has these files.',
};

/**
 * Frames smaller than this may be gathered into one write. The window bounds bytes, not frames: without
 * this, a sender of one-byte frames would queue one pending write per byte while the disk lags.
 */
const SMALL_FRAME_BYTES = 16 * 1024;
/**
 * Small frames are written one by one while fewer writes than this are queued (the usual case: the odd
 * short frame at a block or file boundary), and gathered only when the disk falls behind.
 */
const DIRECT_WRITES = 32;

export interface IncomingOptions {
  id: string;
  offered: readonly OfferedFile[];
  store: FileStore;
  clock: Clock;
  onChange(): void;
  onFileStored(file: StoredFile): void;
  window?: number;
  /** Restoring a transfer interrupted before a restart: files before this one are complete. */
  restore?: { completedFiles: number };
}

export class IncomingTransfer {
  readonly id: string;
  readonly files: readonly IncomingFile[];
  readonly total: number;
  #state: IncomingState = 'offered';
  #error: string | undefined;
  #port: TransferPort | undefined;
  #file = 0;
  #sink: FileSink | undefined;
  /** Next byte expected on the wire for the current file. */
  #expected = 0;
  /** Bytes of the current file safely written. */
  #written = 0;
  #lastAck = 0;
  #grantEnd = 0;
  #writes: Promise<void> = Promise.resolve();
  /** Writes queued on `#writes` and not yet finished. */
  #queuedWrites = 0;
  /** Small frames gathered for one queued write that has not started; it takes more until it starts. */
  #batch: { bytes: Uint8Array; length: number } | undefined;
  #endReceived = false;
  readonly #window: number;
  readonly #meter: ProgressMeter;

  constructor(private readonly options: IncomingOptions) {
    this.id = options.id;
    this.files = options.offered.map((f, i) => ({
      name: sanitizeFileName(f.name, `file-${i + 1}`),
      size: f.size,
      type: f.type,
    }));
    this.total = this.files.reduce((sum, f) => sum + f.size, 0);
    this.#window = options.window ?? RECEIVE_WINDOW_BYTES;
    this.#meter = new ProgressMeter(options.clock, this.total);
    if (options.restore) {
      this.#file = Math.min(options.restore.completedFiles, this.files.length);
      this.#state = 'interrupted';
    }
  }

  /**
   * Writes queued and not yet finished. Bounded by the window whatever the frame size: at most one per
   * SMALL_FRAME_BYTES of granted bytes, plus DIRECT_WRITES.
   */
  get queuedWrites(): number {
    return this.#queuedWrites;
  }

  /** Files completed and verified so far. */
  get completedFiles(): number {
    return this.#state === 'done' ? this.files.length : this.#file;
  }

  /** What the sender offered, exactly, for persisting and for matching a resumed offer. */
  get offered(): readonly OfferedFile[] {
    return this.options.offered;
  }

  get state(): IncomingState {
    return this.#state;
  }

  get finished(): boolean {
    return (
      this.#state === 'done' ||
      this.#state === 'declined' ||
      this.#state === 'cancelled' ||
      this.#state === 'failed'
    );
  }

  /** The offer must match the one this transfer was created from, or a resume is refused. */
  matches(offered: readonly OfferedFile[]): boolean {
    return (
      offered.length === this.options.offered.length &&
      offered.every((f, i) => {
        const mine = this.options.offered[i];
        return mine && mine.name === f.name && mine.size === f.size && mine.type === f.type;
      })
    );
  }

  status(): IncomingStatus {
    const done = this.#bytesDone();
    const figures = this.#meter.figures(done);
    return {
      state: this.#state,
      bytesDone: done,
      total: this.total,
      ...(figures.bytesPerSecond !== undefined ? { bytesPerSecond: figures.bytesPerSecond } : {}),
      ...(figures.secondsLeft !== undefined ? { secondsLeft: figures.secondsLeft } : {}),
      ...(this.#error ? { error: this.#error } : {}),
    };
  }

  /** Starts (or resumes) receiving on this connection: opens the current file and grants the first window. */
  async accept(port: TransferPort): Promise<void> {
    if (this.finished) return;
    this.#port = port;
    const available = await this.options.store.available();
    if (this.#port !== port || this.finished) return;
    const remaining = this.total - this.#bytesDone();
    if (available !== undefined && available < remaining) {
      port.sendControl({ t: 'decline', id: this.id, reason: 'no-space' });
      this.#end(
        'failed',
        `Not enough free space: ${formatBytes(remaining)} needed, ${formatBytes(available)} free.`,
      );
      return;
    }
    try {
      await this.#openCurrent(true);
    } catch (error) {
      this.#writeFailed(error);
      return;
    }
    // The connection may have gone while the file was opening; accepting on it would leave this transfer
    // "receiving" on a channel that carries nothing.
    if (this.#port !== port || this.finished || !port.isOpen) return;
    this.#setState('receiving');
    port.sendControl({
      t: 'accept',
      id: this.id,
      file: this.#file,
      offset: this.#written,
      window: this.#window,
    });
    this.#grantEnd = this.#written + this.#window;
    this.#lastAck = this.#written;
  }

  decline(port: TransferPort): void {
    if (this.finished) return;
    port.sendControl({ t: 'decline', id: this.id, reason: 'declined' });
    this.#end('declined', 'Declined.');
  }

  /** The connection dropped: keep what was written, wait for the sender to offer again. */
  detach(): void {
    if (this.finished || this.#state === 'offered') {
      this.#port = undefined;
      return;
    }
    this.#port = undefined;
    this.#setState('interrupted');
  }

  cancel(): void {
    if (this.finished) return;
    this.#port?.sendControl({ t: 'cancel', id: this.id, reason: 'cancelled' });
    void this.#cleanUp();
    this.#end('cancelled', 'Cancelled.');
  }

  /** Data frames are checked against the offer, the file in progress, the next expected byte and the window. */
  handleData(frame: DataFrame): void {
    const violation = this.#violation(frame);
    if (violation) {
      this.#protocolError(violation);
      return;
    }
    const payload = frame.payload;
    this.#expected = frame.offset + payload.length;
    if (payload.length < SMALL_FRAME_BYTES && (this.#batch || this.#queuedWrites >= DIRECT_WRITES)) {
      this.#gather(payload);
      return;
    }
    // A write queued behind a batch must not let later frames join that batch (they would be written
    // before this one).
    this.#batch = undefined;
    this.#queueWrite(payload);
  }

  /** Copies a small frame into the batch that is waiting to be written, starting a new one when full. */
  #gather(payload: Uint8Array): void {
    let batch = this.#batch;
    if (!batch || batch.length + payload.length > SMALL_FRAME_BYTES) {
      const fresh = { bytes: new Uint8Array(SMALL_FRAME_BYTES), length: 0 };
      batch = fresh;
      this.#batch = fresh;
      this.#queueWrite(undefined, fresh);
    }
    batch.bytes.set(payload, batch.length);
    batch.length += payload.length;
  }

  /** Queues one write: a frame's payload as it arrived, or a batch of small frames. */
  #queueWrite(payload: Uint8Array | undefined, batch?: { bytes: Uint8Array; length: number }): void {
    const sink = this.#sink;
    this.#queuedWrites++;
    this.#writes = this.#writes.then(async () => {
      // Once its write starts, a batch takes no more frames: they go to the next one.
      if (batch && this.#batch === batch) this.#batch = undefined;
      try {
        if (!sink || this.#sink !== sink || this.finished) return;
        const bytes = payload ?? batch?.bytes.subarray(0, batch.length);
        if (!bytes) return;
        await sink.write(bytes);
        this.#written += bytes.length;
        this.#meter.record(this.#bytesDone());
        this.#maybeAck();
      } finally {
        this.#queuedWrites--;
      }
    });
    this.#writes.catch((error: unknown) => this.#writeFailed(error));
  }

  #violation(frame: DataFrame): string | undefined {
    if (this.#state !== 'receiving') return 'data outside an accepted transfer';
    const file = this.files[this.#file];
    if (!file || frame.file !== this.#file) return 'data for the wrong file';
    if (frame.offset !== this.#expected) return 'data out of order';
    const end = frame.offset + frame.payload.length;
    if (end > file.size) return 'more data than the offered size';
    if (end > this.#grantEnd) return 'data beyond the granted window';
    if (this.#endReceived) return 'data after the end of the file';
    return undefined;
  }

  handle(message: TransferMessage): void {
    if (this.finished) return;
    switch (message.t) {
      case 'file-end':
        this.#onFileEnd(message.file, message.sha256);
        return;
      case 'cancel':
        void this.#cleanUp();
        this.#end('cancelled', CANCELLED[message.reason]);
        return;
      default:
        return;
    }
  }

  #onFileEnd(index: number, sha256: string): void {
    const file = this.files[this.#file];
    if (this.#state !== 'receiving' || index !== this.#file || !file) {
      this.#protocolError('a file ended out of turn');
      return;
    }
    if (this.#expected !== file.size) {
      this.#protocolError('a file ended before its offered size');
      return;
    }
    this.#endReceived = true;
    this.#batch = undefined;
    const sink = this.#sink;
    const stillCurrent = () => this.#sink === sink && !this.finished;
    this.#writes = this.#writes.then(async () => {
      if (!sink || !stillCurrent()) return;
      const digest = toBase64Url(await sink.finish());
      // Cancelled or broken off while the digest was computed: the clean-up may have run before `finish`
      // committed the file, so it is deleted again here, and it is never reported as received.
      if (!stillCurrent()) {
        await discardQuietly(sink);
        return;
      }
      if (digest !== sha256) {
        await sink.discard();
        if (!stillCurrent()) return;
        this.#sink = undefined;
        this.#failFile(
          'hash-mismatch',
          `${file.name} arrived damaged (its checksum did not match) and was deleted.`,
        );
        return;
      }
      this.#sink = undefined;
      this.#port?.sendControl({ t: 'file-ok', id: this.id, file: this.#file });
      this.options.onFileStored({ transferId: this.id, file: this.#file, ...file });
      this.#file++;
      this.#endReceived = false;
      if (this.#file >= this.files.length) {
        this.#end('done');
        return;
      }
      await this.#openCurrent(false);
      if (this.finished) return;
      this.#grantEnd = this.#window;
      this.#lastAck = 0;
      this.#port?.sendControl({ t: 'ack', id: this.id, file: this.#file, offset: 0, window: this.#window });
      this.options.onChange();
    });
    this.#writes.catch((error: unknown) => this.#writeFailed(error));
  }

  async #openCurrent(resume: boolean): Promise<void> {
    const file = this.files[this.#file];
    if (!file) return;
    if (this.#sink && resume) {
      // Same page, same sink: wait for pending writes so `written` is exact.
      await this.#writes;
    } else {
      const sink = await this.options.store.open({
        transferId: this.id,
        file: this.#file,
        name: file.name,
        size: file.size,
        type: file.type,
        resume,
      });
      // The transfer ended while the file was opening: its clean-up has already run, so nothing else
      // would ever delete this file.
      if (this.finished) {
        await discardQuietly(sink);
        return;
      }
      this.#sink = sink;
    }
    this.#written = this.#sink?.written ?? 0;
    this.#expected = this.#written;
    this.#endReceived = false;
  }

  #maybeAck(): void {
    const file = this.files[this.#file];
    if (!file || !this.#port) return;
    const step = Math.min(ACK_STEP_BYTES, Math.floor(this.#window / 4));
    if (this.#written - this.#lastAck < step && this.#written < file.size) return;
    this.#lastAck = this.#written;
    this.#grantEnd = this.#written + this.#window;
    this.#port.sendControl({
      t: 'ack',
      id: this.id,
      file: this.#file,
      offset: this.#written,
      window: this.#window,
    });
    this.options.onChange();
  }

  #bytesDone(): number {
    let sum = 0;
    for (let i = 0; i < this.#file && i < this.files.length; i++) sum += this.files[i]?.size ?? 0;
    return this.#state === 'done' ? this.total : sum + this.#written;
  }

  #protocolError(detail: string): void {
    if (this.finished) return;
    this.#port?.sendControl({ t: 'cancel', id: this.id, reason: 'protocol' });
    void this.#cleanUp();
    this.#end('failed', `The transfer broke off: ${detail}.`);
  }

  #failFile(reason: FileFailure, error: string): void {
    this.#port?.sendControl({ t: 'file-failed', id: this.id, file: this.#file, reason });
    void this.#cleanUp();
    this.#end('failed', error);
  }

  #writeFailed(error: unknown): void {
    if (this.finished) return;
    const text = error instanceof Error ? error.message : String(error);
    const noSpace =
      /quota|space|full/i.test(text) || (error as { name?: string })?.name === 'QuotaExceededError';
    this.#failFile(
      noSpace ? 'no-space' : 'write-failed',
      noSpace
        ? 'Ran out of storage space; the partial file was removed.'
        : `Could not save the file: ${text}`,
    );
  }

  async #cleanUp(): Promise<void> {
    const sink = this.#sink;
    this.#sink = undefined;
    try {
      await sink?.discard();
      await this.options.store.discardPartial(this.id);
    } catch {
      // Best effort: a partial file the store cannot delete is swept when the store next starts.
    }
  }

  #end(state: IncomingState, error?: string): void {
    this.#error = error;
    this.#setState(state);
  }

  #setState(state: IncomingState): void {
    this.#state = state;
    this.options.onChange();
  }
}

async function discardQuietly(sink: FileSink): Promise<void> {
  try {
    await sink.discard();
  } catch {
    // Best effort: a partial file the store cannot delete is swept when the store next starts.
  }
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} ${units[0]}` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
