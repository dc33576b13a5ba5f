// Two devices with real identity keys and a connected pair of in-memory channels, for handshake tests.

import { createIdentity, type DeviceIdentity } from '../../core/identity';
import type { PairingInvite } from '../../core/pairing/pairing-link';
import { PairingOffers } from '../../core/pairing/pairing-offers';
import {
  type HandshakeOptions,
  type InitiatorIntent,
  type ResponderPolicy,
  runHandshake,
} from '../../core/session/handshake';
import { MessageQueue } from '../../core/session/message-queue';
import type { DtlsFingerprints } from '../../core/transport';
import { channelPair, type MemoryTransport } from './memory-network';
import { ManualClock, nodeCrypto } from './node-env';

export interface Device {
  identity: DeviceIdentity;
  peerId: string;
  name: string;
}

export async function device(name: string, peerId: string): Promise<Device> {
  return { identity: await createIdentity(nodeCrypto), peerId, name };
}

export function selfOf(d: Device) {
  return { identity: d.identity, profile: { name: d.name, type: 'desktop' as const }, peerId: d.peerId };
}

export function inviteFor(desktop: Device, offers: PairingOffers): PairingInvite {
  const offer = offers.issue();
  return { peerId: desktop.peerId, deviceId: desktop.identity.deviceId, ...offer };
}

export interface RunOptions {
  initiator: Device;
  responder: Device;
  intent: InitiatorIntent;
  policy: ResponderPolicy;
  clock?: ManualClock;
  /** Override what each side sees, e.g. to model a relay that terminates DTLS on both sides. */
  fingerprints?: { initiator?: DtlsFingerprints; responder?: DtlsFingerprints };
  channels?: [MemoryTransport, MemoryTransport];
}

export function runBoth(options: RunOptions) {
  const clock = options.clock ?? new ManualClock();
  const [a, b] = options.channels ?? channelPair(options.initiator.peerId, options.responder.peerId);
  const qa = new MessageQueue(a);
  const qb = new MessageQueue(b);
  const common = (
    self: Device,
    fingerprints: DtlsFingerprints,
    transport: MemoryTransport,
    queue: MessageQueue,
  ): Omit<HandshakeOptions, 'role' | 'intent' | 'policy'> => ({
    crypto: nodeCrypto,
    clock,
    self: selfOf(self),
    fingerprints,
    channel: { send: (text) => transport.send(text), next: () => queue.next() },
  });
  const initiator = runHandshake({
    role: 'initiator',
    intent: options.intent,
    ...common(options.initiator, options.fingerprints?.initiator ?? a.ownFingerprints, a, qa),
  });
  const responder = runHandshake({
    role: 'responder',
    policy: options.policy,
    ...common(options.responder, options.fingerprints?.responder ?? b.ownFingerprints, b, qb),
  });
  // Attach handlers now so a rejection is never reported as unhandled while the other side is awaited.
  return {
    initiator: initiator.then(ok, fail),
    responder: responder.then(ok, fail),
    channels: [a, b] as const,
    clock,
  };
}

function ok<T>(value: T) {
  return { ok: true as const, value };
}
function fail(error: unknown) {
  return { ok: false as const, error: error as Error & { reason?: string; byRemote?: boolean } };
}

export function pairingPolicy(
  offers: PairingOffers,
  pinned = new Map<string, Uint8Array>(),
): ResponderPolicy {
  return { pinnedKey: (id) => pinned.get(id), takeOffer: (id) => offers.take(id) };
}

export { PairingOffers };
