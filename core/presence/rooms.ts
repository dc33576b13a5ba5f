// Rooms let two paired devices find each other's current signalling id through the presence service
// without telling the server which devices are paired: the room id is a keyed hash that only the two
// devices can compute, from a key both derived from their pairing handshake.

import { toBase64Url, utf8 } from '../bytes';
import type { CryptoEnv } from '../crypto';

/** The key two paired devices share, derived from the transcript of the handshake that paired them. */
export async function roomKeyFromTranscript(crypto: CryptoEnv, transcript: Uint8Array): Promise<string> {
  return toBase64Url(await crypto.hmacSha256(transcript, utf8('DirectDrop room key v1')));
}

/** The room id announced to the presence service (43 base64url characters). */
export async function roomIdFor(crypto: CryptoEnv, roomKey: Uint8Array): Promise<string> {
  return toBase64Url(await crypto.hmacSha256(roomKey, utf8('DirectDrop room v1')));
}
