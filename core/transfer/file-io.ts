// What a transfer needs from its host to read and write files: sources the sender reads at any offset
// (so it can resume), sinks the receiver appends to and that hash what they wrote, and a streaming SHA-256.

export interface FileSource {
  readonly name: string;
  readonly size: number;
  readonly type: string;
  /** Exactly `length` bytes from `offset`; fewer means the file changed and the transfer fails. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A streaming SHA-256. `update` reads the bytes before it returns, so callers may reuse them. */
export interface Hasher {
  update(bytes: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

export type CreateHasher = () => Promise<Hasher>;

export interface FileSink {
  /** Bytes already stored: non-zero when an interrupted file is being resumed. */
  readonly written: number;
  /** Appends bytes in order. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the file and resolves with the SHA-256 of everything it holds. */
  finish(): Promise<Uint8Array>;
  /** Deletes whatever was written. */
  discard(): Promise<void>;
}

export interface SinkRequest {
  transferId: string;
  file: number;
  name: string;
  size: number;
  type: string;
  /** Keep bytes written by an earlier, interrupted attempt instead of starting over. */
  resume: boolean;
}

export interface FileStore {
  /** Free space for new files, when the platform can tell. */
  available(): Promise<number | undefined>;
  open(request: SinkRequest): Promise<FileSink>;
  /** Removes every partial file of a transfer (completed files stay). */
  discardPartial(transferId: string): Promise<void>;
}

/** A completed, verified file as the receiver's host stored it. */
export interface StoredFile {
  transferId: string;
  file: number;
  name: string;
  size: number;
  type: string;
}
