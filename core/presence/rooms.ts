// Rooms let two paired devices find each other's current signalling id through the presence service
// without telling the server which devices are paired: the room id is a keyed hash that only the two
// devices can compute, from a key both derived from their pairing handshake. The id changes every UTC day,
// so a record of room ids (the server's, or two servers') does not name a pair for longer than a day.
// For ROOM_OVERLAP_MS either side of midnight a device is in both days' rooms, so two devices whose
// clocks differ by less than twice that still share one at every moment.

import { toBase64Url, utf8 } from '../bytes';
import type { CryptoEnv } from '../crypto';

/** How long one room id lasts: a UTC day (clock time, so both devices change on their own). */
export const ROOM_PERIOD_MS = 24 * 60 * 60 * 1000;
/**
 * For this long before and after midnight (UTC) a device also announces the other day's room. Two devices
 * miss each other only when one is past this after midnight while the other is still more than this
 * before it: their clocks then differ by at least twice this (two hours).
 */
export const ROOM_OVERLAP_MS = 60 * 60 * 1000;

/** The key two paired devices share, derived from the transcript of the handshake that paired them. */
export async function roomKeyFromTranscript(crypto: CryptoEnv, transcript: Uint8Array): Promise<string> {
  return toBase64Url(await crypto.hmacSha256(transcript, utf8('DirectDrop room key v1')));
}

/** The room id of one day (days counted in UTC since 1970) announced to the presence service (43 base64url characters). */
export async function roomIdFor(crypto: CryptoEnv, roomKey: Uint8Array, day: number): Promise<string> {
  return toBase64Url(await crypto.hmacSha256(roomKey, utf8(`DirectDrop room v2 ${day}`)));
}

/** The days whose rooms a device announces at `now`: today's, and around midnight the adjacent day's. */
export function roomDaysAt(now: number): number[] {
  const day = Math.floor(now / ROOM_PERIOD_MS);
  const intoDay = now - day * ROOM_PERIOD_MS;
  if (intoDay < ROOM_OVERLAP_MS) return [day, day - 1];
  if (intoDay >= ROOM_PERIOD_MS - ROOM_OVERLAP_MS) return [day, day + 1];
  return [day];
}

/** When the answer of roomDaysAt next changes: the device then announces again. */
export function nextRoomChangeAt(now: number): number {
  const dayStart = Math.floor(now / ROOM_PERIOD_MS) * ROOM_PERIOD_MS;
  const changes = [ROOM_OVERLAP_MS, ROOM_PERIOD_MS - ROOM_OVERLAP_MS, ROOM_PERIOD_MS];
  const next = changes.map((offset) => dayStart + offset).find((at) => at > now);
  return next ?? dayStart + ROOM_PERIOD_MS;
}
