// The handshake transcript and the exact bytes each proof covers. The transcript hashes both hello
// messages exactly as sent, the initiator's opened commitment and both DTLS fingerprints as this side sees
// them, each length-prefixed so no two different inputs can produce the same byte string.

import { concatBytes, utf8 } from '../bytes';
import type { CryptoEnv } from '../crypto';
import { normalizeFingerprint } from './fingerprint';

export type HandshakeRole = 'initiator' | 'responder';
export type HandshakeMode = 'pair' | 'session' | 'nearby';

export interface TranscriptInput {
  mode: HandshakeMode;
  initiatorHello: string;
  responderHello: string;
  /** The value the initiator committed to in its hello and opened in its auth (see commitment.ts). */
  initiatorReveal: string;
  initiatorFingerprint: string;
  responderFingerprint: string;
}

export function lengthPrefixed(text: string): Uint8Array {
  const bytes = utf8(text);
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, bytes.length);
  return concatBytes(prefix, bytes);
}

export function transcriptHash(crypto: CryptoEnv, input: TranscriptInput): Promise<Uint8Array> {
  return crypto.sha256(
    concatBytes(
      ...[
        'DirectDrop handshake v2',
        input.mode,
        input.initiatorHello,
        input.responderHello,
        input.initiatorReveal,
        normalizeFingerprint(input.initiatorFingerprint),
        normalizeFingerprint(input.responderFingerprint),
      ].map(lengthPrefixed),
    ),
  );
}

/** What a device signs with its identity key. The role label stops a proof being reflected back. */
export function signatureInput(role: HandshakeRole, transcript: Uint8Array): Uint8Array {
  return concatBytes(utf8(`DirectDrop signature v1 ${role}\n`), transcript);
}

/** What the pairing secret authenticates, so only someone who saw the QR code can complete pairing. */
export function pairingMacInput(role: HandshakeRole, transcript: Uint8Array): Uint8Array {
  return concatBytes(utf8(`DirectDrop pairing v1 ${role}\n`), transcript);
}
