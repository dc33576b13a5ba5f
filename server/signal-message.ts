// What a signalling socket may send on to the `peer` package: its heartbeat, or an OFFER, ANSWER,
// CANDIDATE or LEAVE for a well-formed peer id whose payload is a shallow JSON value. peer
// re-serialises every relayed message for its destination and, when that throws (a payload nested a few
// thousand levels deep does), closes the DESTINATION's socket: so the shape is bounded here, before peer
// sees the message, and a message that breaks the bounds is refused to its sender. Depth is checked on the
// raw text before anything parses it, since parsing thousands of levels is itself slow.

import type { RawData } from 'ws';

/** Types a client may send; EXPIRE and the rest are the server's to send. */
export const RELAYED_TYPES: ReadonlySet<string> = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE']);
export const PEER_ID = /^[0-9a-f]{32}$/;
const HEARTBEAT = '{"type":"HEARTBEAT"}';
/**
 * Objects and arrays nested inside a payload. PeerJS's own payloads nest two levels (`payload.sdp.sdp`,
 * `payload.candidate.candidate`); the rest is room for connection metadata, which DirectDrop does not use.
 */
export const MAX_PAYLOAD_DEPTH = 8;
/** Values (objects, arrays, strings, numbers…) in one payload: an SDP offer has a few dozen. */
export const MAX_PAYLOAD_VALUES = 2_000;

export type SignalCheck =
  | { ok: true; heartbeat: true }
  | { ok: true; heartbeat: false; type: string; dst: string }
  | { ok: false; reason: string };

const HEARTBEAT_OK: SignalCheck = { ok: true, heartbeat: true };

/** Why a message is not one a PeerJS client sends, or what it is when it may go on to peer. */
export function checkSignalMessage(data: RawData, isBinary: boolean): SignalCheck {
  if (isBinary) return { ok: false, reason: 'binary' };
  const bytes = asBuffer(data);
  const text = bytes.toString();
  // Every client sends this every 5 s: by far the most common message, and one that needs no parsing.
  if (text === HEARTBEAT) return HEARTBEAT_OK;
  // JSON.parse itself takes milliseconds for thousands of levels: the depth is looked at first, in the
  // raw bytes, and a message nested too deep is never parsed.
  if (nestingExceeds(bytes, MAX_PAYLOAD_DEPTH + 1)) return { ok: false, reason: 'payload-too-deep' };
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid-json' };
  }
  if (!isPlainObject(message)) return { ok: false, reason: 'not-object' };
  const { type, dst, payload } = message;
  if (type === 'HEARTBEAT') return HEARTBEAT_OK;
  if (typeof type !== 'string' || !RELAYED_TYPES.has(type)) return { ok: false, reason: 'unknown-type' };
  if (typeof dst !== 'string' || !PEER_ID.test(dst)) return { ok: false, reason: 'bad-destination' };
  const shape = checkShape(payload);
  if (shape) return { ok: false, reason: shape };
  return { ok: true, heartbeat: false, type, dst };
}

/** Walks the payload without recursion (the point is that it may be arbitrarily deep). */
function checkShape(payload: unknown): string | undefined {
  const stack: { value: unknown; depth: number }[] = [{ value: payload, depth: 0 }];
  let values = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (++values > MAX_PAYLOAD_VALUES) return 'payload-too-large';
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_PAYLOAD_DEPTH) return 'payload-too-deep';
    const children = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) stack.push({ value: child, depth: depth + 1 });
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** Whether objects and arrays nest deeper than `max` anywhere in this JSON text (strings are skipped). */
function nestingExceeds(bytes: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
