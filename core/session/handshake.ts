// The authenticated handshake that runs on every new data channel before anything else is processed.
// Pairing mode proves knowledge of the QR secret and pins both identity keys; session mode proves
// possession of the pinned keys. Both bind the proof to the DTLS fingerprints each side sees, so a
// signalling server that relays two separate connections fails closed. The initiator commits to its share
// before the responder sends its own, so nobody can steer the transcript (and with it the verification
// code of nearby mode) by choosing its share last. See PROTOCOL.md.

import { bytesEqual, fromBase64Url, toBase64Url } from '../bytes';
import type { Clock } from '../clock';
import type { CryptoEnv } from '../crypto';
import { type DeviceIdentity, deviceIdFor } from '../identity';
import type { PairingInvite } from '../pairing/pairing-link';
import type { OfferTakeResult } from '../pairing/pairing-offers';
import { cleanDeviceName, type DeviceProfile } from '../protocol/device';
import { HANDSHAKE_TIMEOUT_MS, PROTOCOL_VERSION } from '../protocol/limits';
import {
  type AuthMessage,
  type ControlMessage,
  encodeControlMessage,
  type HelloMessage,
  parseControlMessage,
  type RejectReason,
} from '../protocol/messages';
import type { DtlsFingerprints } from '../transport';
import { newCommitment, opensCommitment } from './commitment';
import {
  type HandshakeMode,
  type HandshakeRole,
  pairingMacInput,
  signatureInput,
  transcriptHash,
} from './transcript';

export interface HandshakeSelf {
  identity: DeviceIdentity;
  profile: DeviceProfile;
  peerId: string;
}

export interface PinnedPeer {
  deviceId: string;
  publicKey: Uint8Array;
}

/**
 * pair: from a scanned invite (proves the QR secret); session: with a paired device (proves the pinned
 * keys); nearby: with a device that is not paired, whose key is not known in advance. Nearby proves only
 * that each side holds the key it presents on this very channel; users compare the short verification code
 * derived from the transcript to know there is no one in the middle.
 */
export type InitiatorIntent =
  | { mode: 'pair'; invite: PairingInvite }
  | { mode: 'session'; peer: PinnedPeer }
  | { mode: 'nearby' };

export interface ResponderPolicy {
  /** The pinned key of a paired device; undefined when the device is not paired. */
  pinnedKey(deviceId: string): Uint8Array | undefined;
  /** Consumes a pairing code (single use). */
  takeOffer(pairingId: string): OfferTakeResult;
  /** Whether connections from devices that are not paired are taken at all (visible to nearby devices). */
  acceptsNearby?(): boolean;
  /**
   * Spends one of the nearby handshakes this device answers (each is one guess at the verification code
   * for the dialler); false refuses this one as `busy`. Not asked for a paired device's key.
   */
  spendNearbyAnswer?(): boolean;
  /** A last refusal of an otherwise valid hello, e.g. to settle two simultaneous connections. */
  admit?(hello: HelloMessage): RejectReason | undefined;
}

/** Text frames in, text frames out. next() rejects when the channel closes or a binary frame arrives. */
export interface HandshakeChannel {
  send(text: string): void;
  next(): Promise<string>;
}

interface CommonOptions {
  crypto: CryptoEnv;
  clock: Clock;
  self: HandshakeSelf;
  fingerprints: DtlsFingerprints;
  channel: HandshakeChannel;
  timeoutMs?: number;
}
export type HandshakeOptions =
  | (CommonOptions & { role: 'initiator'; intent: InitiatorIntent })
  | (CommonOptions & { role: 'responder'; policy: ResponderPolicy });

export interface AuthenticatedPeer {
  deviceId: string;
  publicKey: Uint8Array;
  profile: DeviceProfile;
  peerId: string;
}

export interface HandshakeSuccess {
  mode: HandshakeMode;
  role: HandshakeRole;
  peer: AuthenticatedPeer;
  /** Hash of the transcript both sides agreed on; the source of the short verification code. */
  transcript: Uint8Array;
}

export class HandshakeError extends Error {
  constructor(
    readonly reason: RejectReason | 'closed',
    /** True when the other side refused us; false when we refused them or gave up. */
    readonly byRemote: boolean,
    detail?: string,
  ) {
    super(detail ?? reason);
    this.name = 'HandshakeError';
  }
}

export async function runHandshake(options: HandshakeOptions): Promise<HandshakeSuccess> {
  let cancelTimer = () => {};
  const timeout = new Promise<never>((_, reject) => {
    cancelTimer = options.clock.setTimeout(
      () => reject(new HandshakeError('timeout', false, 'the handshake took too long')),
      options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    );
  });
  try {
    const run = options.role === 'initiator' ? initiate(options) : respond(options);
    return await Promise.race([run, timeout]);
  } catch (error) {
    const failure =
      error instanceof HandshakeError ? error : new HandshakeError('protocol', false, String(error));
    if (!failure.byRemote && failure.reason !== 'closed')
      trySend(options.channel, { t: 'reject', reason: failure.reason });
    throw failure;
  } finally {
    cancelTimer();
  }
}

function trySend(channel: HandshakeChannel, message: ControlMessage): void {
  try {
    channel.send(encodeControlMessage(message));
  } catch {
    // The channel is already gone; the peer will see it close.
  }
}

async function helloFor(
  options: CommonOptions,
  mode: HandshakeMode,
  extra: { pairingId?: string; commit?: string } = {},
): Promise<string> {
  const { self, crypto } = options;
  // The nonce keeps every hello unique (and keeps the hello one that a version 1 device can parse, so it
  // answers "version"); the initiator's share of the transcript is its committed value.
  const hello: HelloMessage = {
    t: 'hello',
    v: PROTOCOL_VERSION,
    mode,
    device: { id: self.identity.deviceId, name: self.profile.name, type: self.profile.type },
    key: toBase64Url(self.identity.publicKey),
    peerId: self.peerId,
    nonce: toBase64Url(crypto.randomBytes(16)),
    ...(extra.commit ? { commit: extra.commit } : {}),
    ...(extra.pairingId ? { pairingId: extra.pairingId } : {}),
  };
  return encodeControlMessage(hello);
}

/** Reads the next message, which must be of the expected type; a reject from the peer ends the handshake. */
async function expect<T extends 'hello' | 'auth'>(
  channel: HandshakeChannel,
  type: T,
): Promise<{ raw: string; message: Extract<ControlMessage, { t: T }> }> {
  let raw: string;
  try {
    raw = await channel.next();
  } catch (error) {
    throw error instanceof HandshakeError
      ? error
      : new HandshakeError('closed', true, 'the connection closed');
  }
  const parsed = parseControlMessage(raw);
  if (!parsed.ok) throw new HandshakeError('protocol', false, parsed.error);
  if (parsed.message.t === 'reject') throw new HandshakeError(parsed.message.reason, true);
  if (parsed.message.t !== type) {
    throw new HandshakeError('protocol', false, `expected "${type}" but got "${parsed.message.t}"`);
  }
  return { raw, message: parsed.message as Extract<ControlMessage, { t: T }> };
}

/** Checks a hello's version and that its device id really is the hash of its key. */
async function checkHello(crypto: CryptoEnv, hello: HelloMessage): Promise<Uint8Array> {
  if (hello.v !== PROTOCOL_VERSION) throw new HandshakeError('version', false, `protocol version ${hello.v}`);
  const key = fromBase64Url(hello.key);
  if (key?.length !== 65 || (await deviceIdFor(crypto, key)) !== hello.device.id) {
    throw new HandshakeError('bad-proof', false, 'the device id does not match its key');
  }
  return key;
}

function peerFrom(hello: HelloMessage, publicKey: Uint8Array): AuthenticatedPeer {
  return {
    deviceId: hello.device.id,
    publicKey,
    profile: { name: cleanDeviceName(hello.device.name), type: hello.device.type },
    peerId: hello.peerId,
  };
}

async function prove(
  options: CommonOptions,
  role: HandshakeRole,
  transcript: Uint8Array,
  secret: Uint8Array | undefined,
  reveal?: string,
): Promise<void> {
  const sig = await options.crypto.sign(options.self.identity.privateKey, signatureInput(role, transcript));
  const mac = secret ? await options.crypto.hmacSha256(secret, pairingMacInput(role, transcript)) : undefined;
  options.channel.send(
    encodeControlMessage({
      t: 'auth',
      sig: toBase64Url(sig),
      ...(mac ? { mac: toBase64Url(mac) } : {}),
      ...(reveal ? { reveal } : {}),
    }),
  );
}

async function verifyProof(
  options: CommonOptions,
  role: HandshakeRole,
  message: AuthMessage,
  transcript: Uint8Array,
  peerKey: Uint8Array,
  secret: Uint8Array | undefined,
): Promise<void> {
  const sig = fromBase64Url(message.sig);
  const sigOk = !!sig && (await options.crypto.verify(peerKey, sig, signatureInput(role, transcript)));
  let macOk = true;
  if (secret) {
    const mac = message.mac ? fromBase64Url(message.mac) : null;
    const expected = await options.crypto.hmacSha256(secret, pairingMacInput(role, transcript));
    macOk = !!mac && bytesEqual(mac, expected);
  }
  if (!sigOk || !macOk) throw new HandshakeError('bad-proof', false, 'the proof over this connection failed');
}

async function initiate(options: CommonOptions & { intent: InitiatorIntent }): Promise<HandshakeSuccess> {
  const { intent, crypto, channel, fingerprints } = options;
  const secret = intent.mode === 'pair' ? intent.invite.secret : undefined;
  const expectedDevice =
    intent.mode === 'pair'
      ? intent.invite.deviceId
      : intent.mode === 'session'
        ? intent.peer.deviceId
        : undefined;

  const { reveal, commit } = await newCommitment(crypto, {
    mode: intent.mode,
    initiatorKey: toBase64Url(options.self.identity.publicKey),
    initiatorFingerprint: fingerprints.local,
  });
  const ownHello = await helloFor(options, intent.mode, {
    commit,
    ...(intent.mode === 'pair' ? { pairingId: intent.invite.pairingId } : {}),
  });
  channel.send(ownHello);
  const { raw: theirHello, message: hello } = await expect(channel, 'hello');
  const peerKey = await checkHello(crypto, hello);
  if (hello.mode !== intent.mode)
    throw new HandshakeError('protocol', false, 'the peer answered in another mode');
  if (hello.commit !== undefined)
    throw new HandshakeError('protocol', false, 'the responder sent a commitment');
  if (expectedDevice !== undefined && hello.device.id !== expectedDevice) {
    throw new HandshakeError('wrong-device', false, 'a different device answered at this address');
  }
  if (intent.mode === 'session' && !bytesEqual(peerKey, intent.peer.publicKey)) {
    throw new HandshakeError('wrong-device', false, 'the device key does not match the paired key');
  }

  const transcript = await transcriptHash(crypto, {
    mode: intent.mode,
    initiatorHello: ownHello,
    responderHello: theirHello,
    initiatorReveal: reveal,
    initiatorFingerprint: fingerprints.local,
    responderFingerprint: fingerprints.remote,
  });
  await prove(options, 'initiator', transcript, secret, reveal);
  const { message: auth } = await expect(channel, 'auth');
  await verifyProof(options, 'responder', auth, transcript, peerKey, secret);
  return { mode: intent.mode, role: 'initiator', peer: peerFrom(hello, peerKey), transcript };
}

function isPinned(policy: ResponderPolicy, deviceId: string, key: Uint8Array): boolean {
  const pinned = policy.pinnedKey(deviceId);
  return !!pinned && bytesEqual(pinned, key);
}

async function respond(options: CommonOptions & { policy: ResponderPolicy }): Promise<HandshakeSuccess> {
  const { policy, crypto, channel, fingerprints } = options;
  const { raw: theirHello, message: hello } = await expect(channel, 'hello');
  const peerKey = await checkHello(crypto, hello);
  // Without a commitment the initiator could pick its share after seeing ours: never answer such a hello.
  const { commit } = hello;
  if (commit === undefined) throw new HandshakeError('protocol', false, 'the hello carries no commitment');

  let secret: Uint8Array | undefined;
  if (hello.mode === 'session') {
    if (!isPinned(policy, hello.device.id, peerKey)) throw new HandshakeError('not-paired', false);
  } else if (hello.mode === 'nearby') {
    if (!policy.acceptsNearby?.()) throw new HandshakeError('not-paired', false);
  } else {
    if (!hello.pairingId) throw new HandshakeError('pairing-unknown', false);
    const taken = policy.takeOffer(hello.pairingId);
    if (!taken.ok) throw new HandshakeError(taken.reason, false);
    secret = taken.offer.secret;
  }
  const refusal = policy.admit?.(hello);
  if (refusal) throw new HandshakeError(refusal, false);
  if (hello.mode === 'nearby' && !isPinned(policy, hello.device.id, peerKey)) {
    if (policy.spendNearbyAnswer?.() === false) throw new HandshakeError('busy', false);
  }

  const ownHello = await helloFor(options, hello.mode);
  channel.send(ownHello);
  const { message: auth } = await expect(channel, 'auth');
  // The initiator chose its share before it saw our nonce, or the handshake ends here.
  const reveal = auth.reveal;
  const opened =
    reveal !== undefined &&
    (await opensCommitment(crypto, commit, {
      mode: hello.mode,
      initiatorKey: hello.key,
      initiatorFingerprint: fingerprints.remote,
      reveal,
    }));
  if (!opened) throw new HandshakeError('bad-proof', false, 'the initiator did not open its commitment');
  const transcript = await transcriptHash(crypto, {
    mode: hello.mode,
    initiatorHello: theirHello,
    responderHello: ownHello,
    initiatorReveal: reveal,
    initiatorFingerprint: fingerprints.remote,
    responderFingerprint: fingerprints.local,
  });
  await verifyProof(options, 'initiator', auth, transcript, peerKey, secret);
  await prove(options, 'responder', transcript, secret);
  return { mode: hello.mode, role: 'responder', peer: peerFrom(hello, peerKey), transcript };
}
