// The sending side of one transfer: offers the files, then streams each one in order within the window
// the receiver grants, hashing as it reads, and ends every file with its SHA-256. When the connection
// drops it waits; attached to a new connection it offers again with the same id and continues from
// whatever the receiver says it already has.

import { toBase64Url } from '../bytes';
import type { Clock } from '../clock';
import type { TransferMessage } from '../protocol/messages';
import type { CancelReason, DeclineReason, FileFailure } from '../protocol/transfer-messages';
import { DATA_HEADER_BYTES, encodeDataFrame } from './data-frame';
import type { CreateHasher, FileSource, Hasher } from './file-io';
import { ProgressMeter } from './progress';
import type { TransferPort } from './transfer-port';

/** Files are read in blocks of this size and cut into frames: fewer, larger reads. */
const READ_BLOCK_BYTES = 1024 * 1024;

class ShortReadError extends Error {}

export type OutgoingState =
  | 'offering'
  | 'sending'
  | 'interrupted'
  | 'done'
  | 'declined'
  | 'cancelled'
  | 'failed';

export interface OutgoingStatus {
  state: OutgoingState;
  bytesDone: number;
  total: number;
  bytesPerSecond?: number;
  secondsLeft?: number;
  /** Why it ended badly, for the user. */
  error?: string;
}

const DECLINED: Record<DeclineReason, string> = {
  declined: 'The other device declined.',
  'no-space': 'The other device does not have enough free space.',
  'too-large': 'The files are too large for the other device.',
  busy: 'The other device is busy with other transfers. Try again in a moment.',
};
const FILE_FAILED: Record<FileFailure, string> = {
  'hash-mismatch': 'A file arrived damaged (its checksum did not match) and was deleted.',
  'write-failed': 'The other device could not save a file.',
  'no-space': 'The other device ran out of space.',
  protocol: 'The transfer broke off because of a protocol error.',
};
const CANCELLED: Record<CancelReason, string> = {
  cancelled: 'The other device cancelled the transfer.',
  failed: 'The other device stopped the transfer after an error.',
  protocol: 'The transfer broke off because of a protocol error.',
  'no-space': 'The other device ran out of space.',
  unavailable: 'The other device no longer has this transfer.',
};

export interface OutgoingOptions {
  id: string;
  files: readonly FileSource[];
  createHasher: CreateHasher;
  clock: Clock;
  onChange(): void;
}

export class OutgoingTransfer {
  readonly id: string;
  readonly files: readonly FileSource[];
  readonly total: number;
  #state: OutgoingState = 'interrupted';
  #error: string | undefined;
  #port: TransferPort | undefined;
  /** Bumped on every attach/detach so a pump from an old connection stops. */
  #generation = 0;
  /**
   * The receiver accepted this transfer at least once, so it holds a record of it and any offer from now
   * on is a resume. Until then an offer may have been lost with its connection (the receiver never saw
   * it), and offering again as a resume would make that receiver refuse a transfer it never had.
   */
  #everAccepted = false;
  #file = 0;
  #position = 0;
  #grantFile = -1;
  #grantEnd = 0;
  #wakeGrant: (() => void) | undefined;
  #hasher: Hasher | undefined;
  #hashedUpTo = 0;
  #block: { start: number; bytes: Uint8Array } | undefined;
  /** Every data frame is built in this one buffer: the channel copies a frame when it is sent. */
  #frame: Uint8Array | undefined;
  #acked = 0;
  #verified = 0;
  readonly #meter: ProgressMeter;

  constructor(private readonly options: OutgoingOptions) {
    this.id = options.id;
    this.files = options.files;
    this.total = options.files.reduce((sum, f) => sum + f.size, 0);
    this.#meter = new ProgressMeter(options.clock, this.total);
  }

  get state(): OutgoingState {
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

  status(): OutgoingStatus {
    const figures = this.#meter.figures(this.#acked);
    return {
      state: this.#state,
      bytesDone: this.#acked,
      total: this.total,
      ...(figures.bytesPerSecond !== undefined ? { bytesPerSecond: figures.bytesPerSecond } : {}),
      ...(figures.secondsLeft !== undefined ? { secondsLeft: figures.secondsLeft } : {}),
      ...(this.#error ? { error: this.#error } : {}),
    };
  }

  /** Offers the files on a (new) connection; once the receiver has accepted, offers carry `resume`. */
  attach(port: TransferPort): void {
    if (this.finished) return;
    this.#generation++;
    this.#port = port;
    this.#grantFile = -1;
    this.#setState('offering');
    port.sendControl({
      t: 'offer',
      id: this.id,
      files: this.files.map((f) => ({ name: f.name, size: f.size, type: f.type })),
      ...(this.#everAccepted ? { resume: true } : {}),
    });
  }

  /** The connection is gone; the transfer waits for the next one. */
  detach(): void {
    if (this.finished) return;
    this.#generation++;
    this.#port = undefined;
    this.#wake();
    this.#setState('interrupted');
  }

  cancel(): void {
    if (this.finished) return;
    this.#port?.sendControl({ t: 'cancel', id: this.id, reason: 'cancelled' });
    this.#end('cancelled', 'Cancelled.');
  }

  handle(message: TransferMessage): void {
    if (this.finished) return;
    switch (message.t) {
      case 'accept':
        // Only an answer to our offer starts sending; an accept at any other time would start a second
        // pump over the same file and position.
        if (this.#state !== 'offering') return;
        if (message.file >= this.files.length || message.offset > (this.files[message.file]?.size ?? 0)) {
          this.#protocolError();
          return;
        }
        this.#everAccepted = true;
        if (message.file !== this.#file) {
          // The block and the running hash belong to the file they were read from.
          this.#block = undefined;
          this.#hasher = undefined;
          this.#hashedUpTo = 0;
        }
        this.#file = message.file;
        this.#position = message.offset;
        this.#verified = message.file;
        this.#grant(message.file, message.offset, message.window);
        this.#setState('sending');
        void this.#pump(this.#generation);
        return;
      case 'ack':
        if (message.file >= this.files.length || message.offset > (this.files[message.file]?.size ?? 0)) {
          this.#protocolError();
          return;
        }
        this.#grant(message.file, message.offset, message.window);
        this.options.onChange();
        return;
      case 'file-ok':
        this.#verified = Math.max(this.#verified, message.file + 1);
        if (this.#verified >= this.files.length) this.#end('done');
        else this.options.onChange();
        return;
      case 'file-failed':
        this.#end('failed', FILE_FAILED[message.reason]);
        return;
      case 'decline':
        this.#end('declined', DECLINED[message.reason]);
        return;
      case 'cancel':
        this.#end('cancelled', CANCELLED[message.reason]);
        return;
      default:
        return;
    }
  }

  #grant(file: number, offset: number, window: number): void {
    this.#grantFile = file;
    this.#grantEnd = offset + window;
    this.#acked = this.#sizeBefore(file) + offset;
    this.#meter.record(this.#acked);
    this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeGrant;
    this.#wakeGrant = undefined;
    wake?.();
  }

  #sizeBefore(file: number): number {
    let sum = 0;
    for (let i = 0; i < file; i++) sum += this.files[i]?.size ?? 0;
    return sum;
  }

  async #pump(generation: number): Promise<void> {
    const live = () => generation === this.#generation && this.#state === 'sending';
    try {
      while (live() && this.#file < this.files.length) {
        const source = this.files[this.#file];
        const port = this.#port;
        if (!source || !port) return;
        if (this.#grantFile !== this.#file) {
          await this.#nextGrant();
          continue;
        }
        if (this.#position >= source.size) {
          await this.#hashUpTo(source, source.size, live);
          if (!live()) return;
          const sha256 = toBase64Url(await this.#takeHasher().digest());
          if (!live()) return;
          port.sendControl({ t: 'file-end', id: this.id, file: this.#file, sha256 });
          this.#file++;
          this.#position = 0;
          this.#block = undefined;
          continue;
        }
        if (this.#position >= this.#grantEnd) {
          await this.#nextGrant();
          continue;
        }
        await port.whenWritable();
        if (!live()) return;
        const block = await this.#blockAt(source, this.#position, live);
        if (!block || !live()) return;
        // The grant may have changed while waiting (an ack for another file, or a smaller window): send
        // only what it allows now, and never an empty frame.
        if (this.#grantFile !== this.#file) continue;
        const length = Math.min(
          port.maxFrameBytes - DATA_HEADER_BYTES,
          block.start + block.bytes.length - this.#position,
          this.#grantEnd - this.#position,
        );
        if (length <= 0) continue;
        const offsetInBlock = this.#position - block.start;
        const bytes = block.bytes.subarray(offsetInBlock, offsetInBlock + length);
        if (!this.#frame || this.#frame.length < port.maxFrameBytes) {
          this.#frame = new Uint8Array(port.maxFrameBytes);
        }
        port.sendData(encodeDataFrame(this.id, this.#file, this.#position, bytes, this.#frame));
        this.#position += length;
      }
    } catch (error) {
      if (!live()) return;
      this.#fail(
        error instanceof ShortReadError
          ? error.message
          : `Sending stopped: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /**
   * The block of the file that holds `position`. Files are read a block at a time, far fewer reads than
   * one per frame, and each block joins the running hash once, in order, when it is read.
   */
  async #blockAt(
    source: FileSource,
    position: number,
    live: () => boolean,
  ): Promise<{ start: number; bytes: Uint8Array } | undefined> {
    const current = this.#block;
    if (current && position >= current.start && position < current.start + current.bytes.length)
      return current;
    await this.#hashUpTo(source, position, live);
    if (!live()) return undefined;
    const length = Math.min(READ_BLOCK_BYTES, source.size - position);
    const bytes = await source.read(position, length);
    // A pump that lost its connection meanwhile must not touch the hash a newer one is building.
    if (!live()) return undefined;
    if (bytes.length !== length) {
      throw new ShortReadError(`${source.name} changed or could not be read while it was being sent.`);
    }
    this.#hasher?.update(bytes);
    this.#hashedUpTo += length;
    this.#block = { start: position, bytes };
    return this.#block;
  }

  #nextGrant(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeGrant = resolve;
    });
  }

  /** Brings the running hash to `offset` of the current file, re-reading the start after a resume. */
  async #hashUpTo(source: FileSource, offset: number, live: () => boolean): Promise<void> {
    if (this.#hasher && this.#hashedUpTo === offset) return;
    this.#block = undefined;
    const hasher = await this.options.createHasher();
    // A pump that lost its connection meanwhile must not replace the hash a newer one is building.
    if (!live()) return;
    this.#hasher = hasher;
    this.#hashedUpTo = 0;
    const step = 4 * 1024 * 1024;
    while (this.#hashedUpTo < offset && live()) {
      const length = Math.min(step, offset - this.#hashedUpTo);
      const bytes = await source.read(this.#hashedUpTo, length);
      if (!live()) return;
      if (bytes.length !== length)
        throw new ShortReadError(`${source.name} changed since the transfer began.`);
      hasher.update(bytes);
      this.#hashedUpTo += length;
    }
  }

  #takeHasher(): Hasher {
    const hasher = this.#hasher;
    if (!hasher) throw new Error('no hash in progress');
    this.#hasher = undefined;
    this.#hashedUpTo = 0;
    return hasher;
  }

  #protocolError(): void {
    this.#port?.sendControl({ t: 'cancel', id: this.id, reason: 'protocol' });
    this.#end('failed', FILE_FAILED.protocol);
  }

  #fail(error: string): void {
    this.#port?.sendControl({ t: 'cancel', id: this.id, reason: 'failed' });
    this.#end('failed', error);
  }

  #end(state: OutgoingState, error?: string): void {
    this.#generation++;
    if (state === 'done') this.#acked = this.total;
    this.#error = error;
    this.#wake();
    this.#setState(state);
  }

  #setState(state: OutgoingState): void {
    this.#state = state;
    this.options.onChange();
  }
}
