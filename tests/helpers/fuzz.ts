// A seeded pseudo-random generator and the inputs a fuzzer feeds DirectDrop: valid protocol messages of
// every type, data frames and pairing links, and mutations of them (bit flips, truncation, extension,
// field swaps and deletions, type confusion, huge and negative numbers, deep nesting, hostile Unicode).
// The same seed always yields the same inputs, so a failure can be replayed.

import { toBase64Url } from '../../core/bytes';
import { DEVICE_TYPES } from '../../core/protocol/device';
import { PROTOCOL_VERSION } from '../../core/protocol/limits';
import { REJECT_REASONS } from '../../core/protocol/messages';
import { CANCEL_REASONS, DECLINE_REASONS, FILE_FAILURES } from '../../core/protocol/transfer-messages';

/** sfc32: small, fast and well distributed; plenty for a fuzzer. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(readonly seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 2 ** 32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  b64(bytes: number): string {
    return toBase64Url(this.bytes(bytes));
  }
}

/** Characters that have broken parsers, file systems and displays. */
const NASTY = [
  '\u0000',
  '\u0001',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00ad',
  '\u061c',
  '\u180e',
  '\u200b',
  '\u200e',
  '\u202e',
  '\u2028',
  '\u2066',
  '\ufeff',
  '\ufffd',
  '\uffff',
  '\ud800',
  '\udc00',
  '😀',
  'é',
  'e\u0301',
  '\u3000',
  '/',
  '\\',
  ':',
  '*',
  '?',
  '"',
  '<',
  '>',
  '|',
  '.',
  ' ',
  '\t',
  '\n',
  '\r',
  '%',
  '#',
  '$',
  '{',
  '}',
  '[',
  ']',
  ',',
  '¹',
] as const;
const WORDS = [
  'CON',
  'nul',
  'com1',
  'LPT9',
  'conin$',
  '..',
  '.',
  'a',
  'file',
  'txt',
  'exe',
  '~',
  'C:',
] as const;

export function nastyString(rng: Rng, maxLength = 40): string {
  const length = rng.int(maxLength + 1);
  let out = '';
  while (out.length < length) {
    const roll = rng.next();
    if (roll < 0.35) out += rng.pick(NASTY);
    else if (roll < 0.5) out += rng.pick(WORDS);
    else out += String.fromCharCode(rng.chance(0.8) ? rng.range(0x20, 0x7e) : rng.int(0x10000));
  }
  return out;
}

export const INTERESTING_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  1.5,
  -(2 ** 31),
  2 ** 31 - 1,
  2 ** 32,
  2 ** 32 - 1,
  2 ** 50,
  2 ** 50 + 1,
  2 ** 53 - 1,
  2 ** 53 + 2,
  2 ** 64,
  1e21,
  1e308,
  -1e308,
  5e-324,
  16 * 1024 * 1024,
  16 * 1024 * 1024 + 1,
  999,
  1000,
  1001,
];

function b64Text(rng: Rng, min: number, max: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  const length = rng.range(min, max);
  for (let i = 0; i < length; i++) out += alphabet.charAt(rng.int(64));
  return out;
}

export function hexPeerId(rng: Rng): string {
  let out = '';
  for (let i = 0; i < 32; i++) out += '0123456789abcdef'.charAt(rng.int(16));
  return out;
}

function item(rng: Rng): object {
  const url = rng.pick([
    'https://example.com/',
    'http://a.example/b?c=d#e',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    nastyString(rng, 30),
  ]);
  switch (rng.int(3)) {
    case 0:
      return { kind: 'link', url, ...(rng.chance(0.5) ? { title: nastyString(rng) } : {}) };
    case 1:
      return {
        kind: 'text',
        text: nastyString(rng, 200) || 'x',
        ...(rng.chance(0.3) ? { sourceUrl: url, sourceTitle: nastyString(rng) } : {}),
      };
    default:
      return { kind: 'page', url, title: nastyString(rng) };
  }
}

/** A well-formed message of a random type. `transferId` and `files` steer transfer messages to a target. */
export function validMessage(
  rng: Rng,
  transferId: string = rng.b64(16),
  fileCount = 3,
): Record<string, unknown> {
  const file = () => rng.int(Math.max(1, fileCount));
  const offset = () =>
    rng.chance(0.7)
      ? rng.int(20_000)
      : rng.pick(INTERESTING_NUMBERS.filter((n) => n >= 0 && n <= 2 ** 50 && Number.isInteger(n)));
  const window = () => rng.range(1, 16 * 1024 * 1024);
  switch (rng.int(17)) {
    case 0:
      return {
        t: 'hello',
        v: PROTOCOL_VERSION,
        mode: rng.pick(['pair', 'session']),
        device: { id: rng.b64(16), name: nastyString(rng, 20) || 'x', type: rng.pick(DEVICE_TYPES) },
        key: rng.b64(65),
        peerId: hexPeerId(rng),
        nonce: rng.b64(16),
        ...(rng.chance(0.5) ? { commit: rng.b64(32) } : {}),
        ...(rng.chance(0.5) ? { pairingId: rng.b64(8) } : {}),
      };
    case 1:
      return {
        t: 'auth',
        sig: rng.b64(64),
        ...(rng.chance(0.5) ? { mac: rng.b64(32) } : {}),
        ...(rng.chance(0.5) ? { reveal: rng.b64(32) } : {}),
      };
    case 2:
      return { t: 'reject', reason: rng.pick(REJECT_REASONS) };
    case 3:
      return { t: 'item', id: b64Text(rng, 1, 64), sentAt: rng.int(2 ** 41), item: item(rng) };
    case 4:
      return { t: 'item-ack', id: b64Text(rng, 1, 64) };
    case 5:
      return { t: 'profile', name: nastyString(rng, 30) || 'x', type: rng.pick(DEVICE_TYPES) };
    case 6:
      return { t: rng.pick(['unpair', 'ping', 'pong']) };
    case 7:
    case 8:
      return {
        t: 'offer',
        id: transferId,
        files: Array.from({ length: rng.range(1, fileCount) }, () => ({
          name: nastyString(rng, 60),
          size: rng.int(20_000),
          type: rng.pick(['', 'text/plain', 'application/octet-stream']),
        })),
        ...(rng.chance(0.3) ? { resume: true } : {}),
      };
    case 9:
      return { t: 'accept', id: transferId, file: file(), offset: offset(), window: window() };
    case 10:
      return { t: 'decline', id: transferId, reason: rng.pick(DECLINE_REASONS) };
    case 11:
    case 12:
      return { t: 'ack', id: transferId, file: file(), offset: offset(), window: rng.int(16 * 1024 * 1024) };
    case 13:
      return { t: 'file-end', id: transferId, file: file(), sha256: rng.b64(32) };
    case 14:
      return { t: 'file-ok', id: transferId, file: file() };
    case 15:
      return { t: 'file-failed', id: transferId, file: file(), reason: rng.pick(FILE_FAILURES) };
    default:
      return { t: 'cancel', id: transferId, reason: rng.pick(CANCEL_REASONS) };
  }
}

const ALL_TYPES = [
  'hello',
  'auth',
  'reject',
  'item',
  'item-ack',
  'profile',
  'unpair',
  'ping',
  'pong',
  'offer',
  'accept',
  'decline',
  'ack',
  'file-end',
  'file-ok',
  'file-failed',
  'cancel',
  'launch',
  '',
];

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(INTERESTING_NUMBERS);
    case 3:
      return rng.int(100);
    case 4:
      return nastyString(rng);
    case 5:
      return rng.chance(0.1) ? 'x'.repeat(rng.pick([255, 256, 1024, 1025, 8193, 200_001])) : '';
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    case 7:
      return Object.fromEntries(
        Array.from({ length: rng.int(4) }, () => [nastyString(rng, 6), randomValue(rng, depth + 1)]),
      );
    default:
      return rng.pick(ALL_TYPES);
  }
}

function mutateValue(rng: Rng, value: unknown, depth = 0): unknown {
  if (depth > 4 || rng.chance(0.25)) return randomValue(rng);
  if (Array.isArray(value)) {
    const copy = [...value];
    switch (rng.int(5)) {
      case 0:
        copy.pop();
        return copy;
      case 1:
        return [...copy, ...copy];
      case 2:
        return rng.chance(0.5) ? [] : Array.from({ length: 1001 }, () => copy[0] ?? null);
      default: {
        const i = rng.int(Math.max(1, copy.length));
        copy[i] = mutateValue(rng, copy[i], depth + 1);
        return copy;
      }
    }
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const key = keys.length ? rng.pick(keys) : 'x';
    switch (rng.int(6)) {
      case 0:
        delete copy[key];
        return copy;
      case 1:
        // An own property, even when the name is "__proto__" (JSON.parse makes those too).
        Object.defineProperty(copy, rng.chance(0.1) ? '__proto__' : nastyString(rng, 8), {
          value: randomValue(rng),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return copy;
      case 2: {
        // Swap two fields' values.
        const other = keys.length ? rng.pick(keys) : key;
        [copy[key], copy[other]] = [copy[other], copy[key]];
        return copy;
      }
      default:
        copy[key] = mutateValue(rng, copy[key], depth + 1);
        return copy;
    }
  }
  if (typeof value === 'number') {
    return rng.pick([
      value + 1,
      value - 1,
      -value,
      value * 2 ** rng.int(60),
      value + 0.5,
      rng.pick(INTERESTING_NUMBERS),
    ]);
  }
  if (typeof value === 'string') {
    switch (rng.int(5)) {
      case 0:
        return value.slice(0, rng.int(value.length + 1));
      case 1:
        return value + nastyString(rng, 4);
      case 2:
        return value.length ? value.slice(0, -1) + rng.pick(NASTY) : rng.pick(NASTY);
      case 3:
        return Number(value) || value.length;
      default:
        return value.toUpperCase();
    }
  }
  return randomValue(rng);
}

/** A message mutated as an object, then serialised; sometimes deeply nested or with its type swapped. */
export function mutatedMessage(rng: Rng, base: Record<string, unknown>): string {
  let value: unknown = base;
  const rounds = rng.range(1, 3);
  for (let i = 0; i < rounds; i++) value = mutateValue(rng, value);
  if (rng.chance(0.1) && value !== null && typeof value === 'object') {
    (value as Record<string, unknown>).t = rng.pick(ALL_TYPES);
  }
  let text = JSON.stringify(value) ?? 'null';
  if (rng.chance(0.03)) {
    const depth = rng.pick([10, 1000, 100_000]);
    const nest = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    text = text.startsWith('{') ? `{"deep":${nest},${text.slice(1)}` : nest;
  }
  return text;
}

/** Mutations of the serialised text: bit flips, truncation, extension, insertion, duplication, number swaps. */
export function mutateText(rng: Rng, text: string): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(8)) {
    case 0: {
      const code = text.charCodeAt(Math.min(at, text.length - 1)) || 0;
      const flipped = String.fromCharCode((code ^ (1 << rng.int(8))) & 0xffff);
      return text.slice(0, at) + flipped + text.slice(at + 1);
    }
    case 1:
      return text.slice(0, at);
    case 2:
      return text + nastyString(rng, 20);
    case 3:
      return text.slice(0, at) + rng.pick(NASTY) + text.slice(at);
    case 4: {
      const from = rng.int(text.length + 1);
      return text.slice(0, at) + text.slice(from, from + rng.int(40)) + text.slice(at);
    }
    case 5:
      return text.replace(/\d+/, rng.pick(['1e999', '-1', '1.5', '9007199254740993', '00', '-0', '1E400']));
    case 6:
      // Duplicate a key: the later one wins in JSON.parse.
      return text.replace(/^\{/, '{"t":"ping",');
    default:
      return text.slice(0, at) + text.slice(at + rng.int(10));
  }
}

/** Mutations of a binary frame: bit flips, truncation, extension, header fields set to extremes. */
export function mutateBytes(rng: Rng, frame: Uint8Array): Uint8Array {
  switch (rng.int(6)) {
    case 0: {
      const copy = frame.slice();
      const flips = rng.range(1, 4);
      for (let i = 0; i < flips && copy.length; i++) {
        const at = rng.int(copy.length);
        copy[at] = (copy[at] ?? 0) ^ (1 << rng.int(8));
      }
      return copy;
    }
    case 1:
      return frame.slice(0, rng.int(frame.length + 1));
    case 2: {
      const out = new Uint8Array(frame.length + rng.range(1, 64));
      out.set(frame);
      out.set(rng.bytes(out.length - frame.length), frame.length);
      return out;
    }
    case 3: {
      const copy = frame.length >= 30 ? frame.slice() : new Uint8Array(30);
      const view = new DataView(copy.buffer);
      const field = rng.pick([18, 22, 26]);
      view.setUint32(
        field,
        rng.pick([0, 1, 999, 1000, 0x3ffff, 0x40000, 0x7fffffff, 0x80000000, 0xffffffff]),
      );
      return copy;
    }
    case 4:
      return rng.bytes(rng.int(80));
    default: {
      const copy = frame.slice();
      if (copy.length > 1) copy[rng.int(2)] = rng.u32() & 0xff;
      return copy;
    }
  }
}

/** A pairing link altered like a damaged scan or a tampering attacker would. */
export function mutateLink(rng: Rng, link: string): string {
  const hash = link.indexOf('#');
  const fields = link.slice(hash + 'pair='.length + 1).split('.');
  switch (rng.int(7)) {
    case 0: {
      const i = rng.int(fields.length);
      fields[i] = mutateValue(rng, fields[i] ?? '') as string;
      return `${link.slice(0, hash)}#pair=${fields.join('.')}`;
    }
    case 1: {
      const i = rng.int(fields.length);
      const j = rng.int(fields.length);
      [fields[i], fields[j]] = [fields[j] ?? '', fields[i] ?? ''];
      return `${link.slice(0, hash)}#pair=${fields.join('.')}`;
    }
    case 2:
      return `${link.slice(0, hash)}#pair=${fields.slice(0, rng.int(fields.length)).join('.')}`;
    case 3:
      return ` ${link}\n${rng.chance(0.5) ? '#' : ''}`;
    default:
      return mutateText(rng, link);
  }
}
