// A Blob or File as something a transfer can send: read at any offset (so a resumed transfer continues
// where the receiver stopped), one slice at a time, so a large file is never read into memory whole.

import type { FileSource } from '../core/transfer/file-io';

/**
 * A File changed on disk after it was picked can no longer be read (NotReadableError) or has gone
 * (NotFoundError); both count as the short read that makes the transfer fail with a clear message.
 */
const CHANGED_FILE_ERRORS = new Set(['NotReadableError', 'NotFoundError']);

export function blobSource(blob: Blob, file: { name: string; size: number; type: string }): FileSource {
  return {
    name: file.name,
    size: file.size,
    type: file.type,
    async read(offset, length) {
      // A blob that is not the size that was offered would send different bytes than promised.
      if (blob.size !== file.size) return new Uint8Array(0);
      try {
        return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      } catch (error) {
        if (error instanceof DOMException && CHANGED_FILE_ERRORS.has(error.name)) return new Uint8Array(0);
        throw error;
      }
    },
  };
}
