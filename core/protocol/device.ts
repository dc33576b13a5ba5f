// What a device says about itself and how names are kept safe to show: a bounded, single-line, printable
// string with no control or bidirectional-override characters.

import { MAX_DEVICE_NAME_LENGTH } from './limits';

export const DEVICE_TYPES = ['desktop', 'laptop', 'phone', 'tablet'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export interface DeviceProfile {
  name: string;
  type: DeviceType;
}

// C0/C1 controls, bidi embeddings/overrides/isolates, zero-width and line/paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** Returns a printable, trimmed, bounded device name, or the fallback if nothing printable remains. */
export function cleanDeviceName(raw: string, fallback = 'Unnamed device'): string {
  const cleaned = raw.replace(UNSAFE_NAME_CHARS, '').replace(/\s+/g, ' ').trim();
  const bounded = [...cleaned].slice(0, MAX_DEVICE_NAME_LENGTH).join('').trim();
  return bounded || fallback;
}
