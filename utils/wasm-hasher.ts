// The sender's streaming SHA-256: hash-wasm's WebAssembly SHA-256, several times faster than a JS one.
// Each hasher is its own small WASM instance, so transfers hashing at the same time do not share state.

import { createSHA256 } from 'hash-wasm';
import type { CreateHasher } from '../core/transfer/file-io';

export const createWasmHasher: CreateHasher = async () => {
  let sha256: Awaited<ReturnType<typeof createSHA256>>;
  try {
    sha256 = await createSHA256();
  } catch (error) {
    // Usually a Content-Security-Policy without 'wasm-unsafe-eval' in script-src; say so instead of a bare
    // CompileError.
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`SHA-256 is unavailable: WebAssembly could not start (${detail}).`);
  }
  sha256.init();
  return {
    update(bytes) {
      sha256.update(bytes);
    },
    digest() {
      return sha256.digest('binary');
    },
  };
};
