// The pairing invite a desktop shows as a QR code and a link. Everything secret lives in the URL
// fragment, which browsers never send to a server: the server that serves the companion app only sees
// the path. Layout: #pair=1.<peerId>.<deviceId>.<pairingId>.<secret>.<expiresAtSeconds>

import { fromBase64Url, toBase64Url } from '../bytes';

export interface PairingInvite {
  /** Signalling id at which the desktop waits for the phone. */
  peerId: string;
  /** Pins the desktop's identity key: its device id is a hash of that key. */
  deviceId: string;
  pairingId: string;
  /** One-time 128-bit secret proving the phone scanned this code. */
  secret: Uint8Array;
  expiresAt: number;
}

const INVITE_VERSION = '1';
const FIELD_PATTERNS = {
  peerId: /^[a-z0-9]{16,64}$/,
  deviceId: /^[A-Za-z0-9_-]{22}$/,
  pairingId: /^[A-Za-z0-9_-]{11}$/,
  secret: /^[A-Za-z0-9_-]{22}$/,
  expires: /^[1-9][0-9]{0,11}$/,
};
const DAMAGED = 'This pairing link is damaged or incomplete. Show a new code on the desktop.';

/**
 * True when `text` is the one base64url spelling of exactly `bytes` bytes: the spare bits of the last
 * character must be zero, so no two spellings of the secret decode to the same bytes. (Ids are compared as
 * text by the handshake, so a respelled id already names another device or code and is refused there.)
 */
function canonicalBase64Url(text: string, bytes: number): boolean {
  const decoded = fromBase64Url(text);
  return decoded?.length === bytes && toBase64Url(decoded) === text;
}

export function encodePairingFragment(invite: PairingInvite): string {
  const fields = [
    INVITE_VERSION,
    invite.peerId,
    invite.deviceId,
    invite.pairingId,
    toBase64Url(invite.secret),
    String(Math.ceil(invite.expiresAt / 1000)),
  ];
  return `pair=${fields.join('.')}`;
}

export function buildPairingLink(companionUrl: string, invite: PairingInvite): string {
  const base = companionUrl.replace(/[#?].*$/, '').replace(/\/+$/, '');
  return `${base}/#${encodePairingFragment(invite)}`;
}

export type InviteParseResult = { ok: true; invite: PairingInvite } | { ok: false; error: string };

/** Accepts a full link, a fragment ("#pair=..."), or the bare "pair=..." value. */
export function parsePairingInvite(input: string): InviteParseResult {
  const hashAt = input.indexOf('#');
  const fragment = (hashAt >= 0 ? input.slice(hashAt + 1) : input).trim();
  if (!fragment.startsWith('pair=')) return { ok: false, error: 'This is not a DirectDrop pairing link.' };
  const fields = fragment.slice('pair='.length).split('.');
  if (fields[0] !== INVITE_VERSION) {
    return { ok: false, error: 'This pairing link is from a different version of DirectDrop.' };
  }
  const [, peerId, deviceId, pairingId, secretText, expires] = fields;
  if (
    fields.length !== 6 ||
    peerId === undefined ||
    deviceId === undefined ||
    pairingId === undefined ||
    secretText === undefined ||
    expires === undefined ||
    !FIELD_PATTERNS.peerId.test(peerId) ||
    !FIELD_PATTERNS.deviceId.test(deviceId) ||
    !FIELD_PATTERNS.pairingId.test(pairingId) ||
    !FIELD_PATTERNS.secret.test(secretText) ||
    !FIELD_PATTERNS.expires.test(expires) ||
    !canonicalBase64Url(secretText, 16)
  ) {
    return { ok: false, error: DAMAGED };
  }
  const secret = fromBase64Url(secretText);
  if (!secret) return { ok: false, error: DAMAGED };
  return { ok: true, invite: { peerId, deviceId, pairingId, secret, expiresAt: Number(expires) * 1000 } };
}
