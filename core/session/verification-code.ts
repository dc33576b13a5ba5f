// The short verification code two devices show for a connection that is not (yet) paired. It is derived
// from the handshake transcript, which covers both DTLS fingerprints as each side sees them: if anyone sits
// in the middle, the two sides hold different transcripts and, with overwhelming probability, show
// different codes.

import { concatBytes, utf8 } from '../bytes';
import type { CryptoEnv } from '../crypto';

const DIGITS = 6;

/** Six decimal digits, grouped as "123 456" for reading aloud. */
export async function verificationCode(crypto: CryptoEnv, transcript: Uint8Array): Promise<string> {
  const hash = await crypto.sha256(concatBytes(utf8('DirectDrop verification code v1\n'), transcript));
  // 32 bits reduced mod 10^6: the bias (< 0.03 %) is far below what matters for a code read by a person.
  const value = new DataView(hash.buffer, hash.byteOffset, 4).getUint32(0) % 10 ** DIGITS;
  const digits = value.toString().padStart(DIGITS, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}
