// A Blob or File as something a transfer can send: read at any offset (so a resumed transfer continues
// where the receiver stopped), one block at a time, so a large file is never read into memory whole.
//
// A transfer reads its file front to back, so reads continue one open stream of the file: in Chromium a
// stream costs about a third of the CPU of reading each block as its own slice (every slice is a round
// trip to the browser process that opens the file again). A read anywhere else (a resume, or the start
// of a re-hash) opens a new stream at that offset.

import type { FileSource } from '../core/transfer/file-io';

/**
 * A File changed on disk after it was picked can no longer be read (NotReadableError) or has gone
 * (NotFoundError); both count as the short read that makes the transfer fail with a clear message.
 */
const CHANGED_FILE_ERRORS = new Set(['NotReadableError', 'NotFoundError']);

export function blobSource(blob: Blob, file: { name: string; size: number; type: string }): FileSource {
  let cursor: { position: number; reader: ReadableStreamBYOBReader } | undefined;

  const closeCursor = () => {
    cursor?.reader.cancel().catch(() => {});
    cursor = undefined;
  };

  /** Exactly `length` bytes from the open stream, or none when the file ended early. */
  const readFromStream = async (offset: number, length: number): Promise<Uint8Array> => {
    if (cursor?.position !== offset) {
      closeCursor();
      const reader = openByteReader(blob.slice(offset));
      if (!reader) return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      cursor = { position: offset, reader };
    }
    const open = cursor;
    // A BYOB read transfers the buffer it fills, so each step continues in the buffer it got back.
    let buffer = new ArrayBuffer(length);
    let filled = 0;
    while (filled < length) {
      const { value, done } = await open.reader.read(new Uint8Array(buffer, filled, length - filled));
      if (!value) break;
      buffer = value.buffer as ArrayBuffer;
      filled += value.byteLength;
      if (done) break;
    }
    if (filled < length) {
      closeCursor();
      return new Uint8Array(0);
    }
    open.position += filled;
    return new Uint8Array(buffer);
  };

  const readOnce = async (offset: number, length: number): Promise<Uint8Array> => {
    // A blob that is not the size that was offered would send different bytes than promised.
    if (blob.size !== file.size) return new Uint8Array(0);
    if (length === 0) return new Uint8Array(0);
    try {
      return await readFromStream(offset, length);
    } catch (error) {
      closeCursor();
      if (error instanceof DOMException && CHANGED_FILE_ERRORS.has(error.name)) return new Uint8Array(0);
      throw error;
    }
  };

  // Reads run one after another. Two can overlap when a transfer reconnects while its previous attempt
  // is still waiting for a read: sharing one stream (or closing it under the other) would hand either of
  // them the wrong bytes.
  let previous: Promise<unknown> = Promise.resolve();
  return {
    name: file.name,
    size: file.size,
    type: file.type,
    read(offset, length) {
      const result = previous.then(() => readOnce(offset, length));
      previous = result.catch(() => {});
      return result;
    },
  };
}

/** A reader that fills the caller's buffers, where the browser's blob streams are byte streams. */
function openByteReader(blob: Blob): ReadableStreamBYOBReader | undefined {
  try {
    return blob.stream().getReader({ mode: 'byob' });
  } catch {
    return undefined;
  }
}
