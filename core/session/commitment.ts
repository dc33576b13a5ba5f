// The initiator's commitment to its share of the handshake. The initiator's hello carries only a hash of a
// fresh random value; the responder answers with its own nonce without knowing that value; the initiator
// then opens the commitment in its auth. Neither side can choose its contribution after seeing the
// other's, so a device in the middle cannot steer the short verification code (ZRTP's hash commitment,
// Bluetooth's numeric comparison): it gets one guess in 10^6 per handshake it runs with a victim.
// The commitment also binds the initiator's key and its own DTLS fingerprint, so it cannot be copied from
// one connection to another by someone else.

import { bytesEqual, concatBytes, fromBase64Url, toBase64Url } from '../bytes';
import type { CryptoEnv } from '../crypto';
import { normalizeFingerprint } from './fingerprint';
import { type HandshakeMode, lengthPrefixed } from './transcript';

/** 32 random bytes: guessing the opened value from the commitment is as hard as inverting SHA-256. */
export const REVEAL_BYTES = 32;

export interface CommitmentInput {
  mode: HandshakeMode;
  /** The initiator's public key exactly as its hello carries it (base64url). */
  initiatorKey: string;
  initiatorFingerprint: string;
  /** The committed value, base64url. */
  reveal: string;
}

export async function commitmentFor(crypto: CryptoEnv, input: CommitmentInput): Promise<string> {
  const hash = await crypto.sha256(
    concatBytes(
      ...[
        'DirectDrop commitment v2',
        input.mode,
        input.initiatorKey,
        normalizeFingerprint(input.initiatorFingerprint),
        input.reveal,
      ].map(lengthPrefixed),
    ),
  );
  return toBase64Url(hash);
}

/** A fresh value to commit to, and its commitment. */
export async function newCommitment(
  crypto: CryptoEnv,
  input: Omit<CommitmentInput, 'reveal'>,
): Promise<{ reveal: string; commit: string }> {
  const reveal = toBase64Url(crypto.randomBytes(REVEAL_BYTES));
  return { reveal, commit: await commitmentFor(crypto, { ...input, reveal }) };
}

/** Whether `reveal` opens `commit` for this initiator on this connection. */
export async function opensCommitment(
  crypto: CryptoEnv,
  commit: string,
  input: CommitmentInput,
): Promise<boolean> {
  const expected = fromBase64Url(await commitmentFor(crypto, input));
  const given = fromBase64Url(commit);
  return !!expected && !!given && bytesEqual(expected, given);
}
