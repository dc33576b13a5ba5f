// What a device says about itself and how names are kept safe to show: a bounded, single-line, printable
// string with no control or bidirectional-override characters.

import { MAX_DEVICE_NAME_LENGTH } from './limits';

export const DEVICE_TYPES = ['desktop', 'laptop', 'phone', 'tablet'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export interface DeviceProfile {
  name: string;
  type: DeviceType;
}

/**
 * Characters never shown in a name from a peer: C0/C1 controls, the soft hyphen, bidi marks, embeddings,
 * overrides and isolates (including the Arabic letter mark), zero-width and invisible formatting
 * characters, line/paragraph separators, the byte order mark, interlinear annotations, and UTF-16
 * surrogates that are not part of a pair.
 */
export const UNSAFE_TEXT_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Line breaks and tabs separate words: they become spaces rather than disappear. */
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;

/** One line of printable text: breaks become spaces, unsafe characters go, runs of whitespace collapse. */
export function printableLine(raw: string): string {
  return raw.replace(BREAKS, ' ').replace(UNSAFE_TEXT_CHARS, '').replace(/\s+/g, ' ').trim();
}

/** Returns a printable, trimmed, bounded device name, or the fallback if nothing printable remains. */
export function cleanDeviceName(raw: string, fallback = 'Unnamed device'): string {
  const cleaned = printableLine(raw);
  const bounded = [...cleaned].slice(0, MAX_DEVICE_NAME_LENGTH).join('').trim();
  return bounded || fallback;
}
