import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFileDigest, DIGEST_BLOCK_BYTES } from '../../core/transfer/file-digest';
import { nodeCrypto } from '../helpers/node-env';
import { bytesOf } from '../helpers/transfer-harness';

/** The documented formula, computed directly: SHA-256(u64 length || SHA-256 of each 1 MiB block). */
function expected(data: Uint8Array): string {
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(data.length));
  const outer = createHash('sha256').update(length);
  for (let offset = 0; offset < data.length; offset += DIGEST_BLOCK_BYTES) {
    outer.update(
      createHash('sha256')
        .update(data.subarray(offset, offset + DIGEST_BLOCK_BYTES))
        .digest(),
    );
  }
  return outer.digest('hex');
}

async function digestOf(data: Uint8Array, pieces: number[]): Promise<string> {
  const digest = createFileDigest((d) => nodeCrypto.sha256(d));
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const size = pieces[i % pieces.length] ?? 1;
    digest.update(data.subarray(offset, offset + size));
    offset += size;
  }
  return Buffer.from(await digest.digest()).toString('hex');
}

describe('transfer digest', () => {
  it.each([0, 1, DIGEST_BLOCK_BYTES, DIGEST_BLOCK_BYTES + 1, 3 * DIGEST_BLOCK_BYTES + 12345])(
    'matches the documented formula for %i bytes, however the bytes are split',
    async (size) => {
      const data = bytesOf(size, size + 1);
      expect(await digestOf(data, [size || 1])).toBe(expected(data));
      expect(await digestOf(data, [1, 700_000, 13, DIGEST_BLOCK_BYTES])).toBe(expected(data));
    },
  );

  it('changes with any byte and with the length', async () => {
    const data = bytesOf(2 * DIGEST_BLOCK_BYTES, 3);
    const flipped = data.slice();
    flipped[DIGEST_BLOCK_BYTES + 5] = (flipped[DIGEST_BLOCK_BYTES + 5] ?? 0) ^ 1;
    expect(await digestOf(flipped, [65536])).not.toBe(await digestOf(data, [65536]));
    expect(await digestOf(data.subarray(0, data.length - 1), [65536])).not.toBe(
      await digestOf(data, [65536]),
    );
  });
});
