// The browser's side of file storage for received files: core's FileStore (sinks that write and hash as
// bytes arrive) plus what the host needs afterwards (the finished file, and deleting it).

import type { FileStore } from '../core/transfer/file-io';

export interface BrowserFileStore extends FileStore {
  /** A verified, complete file, readable as a File (backed by the store, not by memory). */
  getFile(transferId: string, file: number, name: string, type: string): Promise<File>;
  /** Deletes a complete file, e.g. once it is in Downloads or the user removed it from the inbox. */
  remove(transferId: string, file: number): Promise<void>;
  /** Deletes partial files of transfers that were never resumed and are older than maxAgeMs. */
  sweep(maxAgeMs: number): Promise<void>;
}
