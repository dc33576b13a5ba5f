// Binary data frames: a 30-byte header (magic, kind, transfer id, file index, offset) followed by file
// bytes. Decoding never throws and never trusts a field it has not checked.

import { fromBase64Url, toBase64Url } from '../bytes';
import { MAX_FILE_SIZE, MAX_FILES_PER_OFFER } from '../protocol/limits';

const MAGIC = 0xdd;
const KIND_DATA = 0x01;
export const DATA_HEADER_BYTES = 30;
const ID_BYTES = 16;

export interface DataFrame {
  transferId: string;
  file: number;
  offset: number;
  payload: Uint8Array;
}

/**
 * The frame for `payload`. With `into` (large enough), it is written there and returned as a view of it:
 * a sender that reuses one buffer for every frame allocates nothing per frame, which is safe because a
 * channel copies what it is given before `send` returns.
 */
export function encodeDataFrame(
  transferId: string,
  file: number,
  offset: number,
  payload: Uint8Array,
  into?: Uint8Array,
): Uint8Array {
  const id = fromBase64Url(transferId);
  if (id?.length !== ID_BYTES) throw new Error('transfer id must be 16 bytes');
  const length = DATA_HEADER_BYTES + payload.length;
  const frame = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  frame[0] = MAGIC;
  frame[1] = KIND_DATA;
  frame.set(id, 2);
  view.setUint32(18, file);
  view.setUint32(22, Math.floor(offset / 2 ** 32));
  view.setUint32(26, offset >>> 0);
  frame.set(payload, DATA_HEADER_BYTES);
  return frame;
}

export type DecodeResult = { ok: true; frame: DataFrame } | { ok: false; error: string };

export function decodeDataFrame(bytes: Uint8Array): DecodeResult {
  if (bytes.length < DATA_HEADER_BYTES) return { ok: false, error: 'data frame shorter than its header' };
  if (bytes[0] !== MAGIC || bytes[1] !== KIND_DATA)
    return { ok: false, error: 'not a DirectDrop data frame' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const file = view.getUint32(18);
  const offset = view.getUint32(22) * 2 ** 32 + view.getUint32(26);
  if (file >= MAX_FILES_PER_OFFER) return { ok: false, error: 'file index out of range' };
  if (offset > MAX_FILE_SIZE) return { ok: false, error: 'offset out of range' };
  return {
    ok: true,
    frame: {
      transferId: toBase64Url(bytes.subarray(2, 2 + ID_BYTES)),
      file,
      offset,
      payload: bytes.subarray(DATA_HEADER_BYTES),
    },
  };
}
