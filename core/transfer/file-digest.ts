// The digest that proves a file arrived intact: SHA-256 over the file's length and the SHA-256 of each
// 1 MiB block, computed as the bytes stream past. Hashing block by block lets both ends use the platform's
// native SHA-256 (WebCrypto, with the CPU's SHA instructions: about ten times faster here than a
// WebAssembly one), which matters because a transfer is CPU-bound on small machines, while keeping
// SHA-256's collision resistance and constant memory.

import { concatBytes } from '../bytes';
import type { Hasher } from './file-io';

export const DIGEST_BLOCK_BYTES = 1024 * 1024;

/** Must read `data` before returning (WebCrypto copies it at the call), since callers reuse buffers. */
export type Sha256 = (data: Uint8Array) => Promise<Uint8Array>;

export function createFileDigest(sha256: Sha256): Hasher {
  let block = new Uint8Array(DIGEST_BLOCK_BYTES);
  let fill = 0;
  let size = 0;
  // Block digests, 32 bytes per MiB, collected in order into one growing buffer.
  let digests = new Uint8Array(32 * 64);
  let count = 0;
  let collected: Promise<void> = Promise.resolve();

  const closeBlock = (bytes: Uint8Array) => {
    const pending = sha256(bytes);
    const index = count++;
    collected = collected.then(async () => {
      const digest = await pending;
      if ((index + 1) * 32 > digests.length) {
        const grown = new Uint8Array(digests.length * 2);
        grown.set(digests);
        digests = grown;
      }
      digests.set(digest, index * 32);
    });
  };

  return {
    update(bytes) {
      size += bytes.length;
      let offset = 0;
      // Whole, aligned blocks are hashed as they are; the rest goes through the block buffer.
      while (offset < bytes.length) {
        if (fill === 0 && bytes.length - offset >= DIGEST_BLOCK_BYTES) {
          closeBlock(bytes.subarray(offset, offset + DIGEST_BLOCK_BYTES));
          offset += DIGEST_BLOCK_BYTES;
          continue;
        }
        const take = Math.min(DIGEST_BLOCK_BYTES - fill, bytes.length - offset);
        block.set(bytes.subarray(offset, offset + take), fill);
        fill += take;
        offset += take;
        if (fill === DIGEST_BLOCK_BYTES) {
          closeBlock(block);
          block = new Uint8Array(DIGEST_BLOCK_BYTES);
          fill = 0;
        }
      }
    },
    async digest() {
      if (fill > 0) closeBlock(block.slice(0, fill));
      fill = 0;
      const length = new Uint8Array(8);
      new DataView(length.buffer).setBigUint64(0, BigInt(size));
      await collected;
      return sha256(concatBytes(length, digests.subarray(0, count * 32)));
    },
  };
}
