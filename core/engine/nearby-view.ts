// What the UIs show under "Nearby": devices on the same network that are not paired with this one, merged
// from the presence list (what the server says is there) and the open unpaired sessions (what this device
// has verified: the other side holds the key it presented, and both sides can compare the code).

import type { PresencePeer } from '../presence/presence-channel';
import type { DeviceType } from '../protocol/device';

/** requested: this device asked to pair and waits; asked: the other device asked and waits for us. */
export type NearbyPairingStep = 'requested' | 'asked';

export interface NearbyView {
  peerId: string;
  name: string;
  type: DeviceType;
  /** Seed of the generated avatar (colour and icon); empty when the device is not listed by presence. */
  avatar: string;
  status: 'available' | 'connecting' | 'connected';
  /** Set once connected: the device's id and the code both screens show. */
  deviceId?: string;
  verificationCode?: string;
  pairing?: NearbyPairingStep;
  /** Why the last attempt to reach it failed. */
  problem?: string;
}

export interface UnpairedSessionInfo {
  deviceId: string;
  peerId: string;
  name: string;
  type: DeviceType;
  verificationCode: string;
  pairing?: NearbyPairingStep;
}

export function nearbyViews(
  presence: readonly PresencePeer[],
  sessions: readonly UnpairedSessionInfo[],
  connecting: ReadonlySet<string>,
  problems: ReadonlyMap<string, string>,
  isPairedPeer: (peerId: string) => boolean,
): NearbyView[] {
  const views = new Map<string, NearbyView>();
  for (const peer of presence) {
    if (isPairedPeer(peer.peerId)) continue;
    const problem = problems.get(peer.peerId);
    views.set(peer.peerId, {
      peerId: peer.peerId,
      name: peer.name,
      type: peer.deviceType,
      avatar: peer.avatar,
      status: connecting.has(peer.peerId) ? 'connecting' : 'available',
      ...(problem ? { problem } : {}),
    });
  }
  for (const session of sessions) {
    const listed = views.get(session.peerId);
    const problem = problems.get(session.peerId);
    views.set(session.peerId, {
      peerId: session.peerId,
      // The verified session's own name wins over what the presence service relayed.
      name: session.name,
      type: session.type,
      avatar: listed?.avatar ?? '',
      status: 'connected',
      deviceId: session.deviceId,
      verificationCode: session.verificationCode,
      ...(session.pairing ? { pairing: session.pairing } : {}),
      ...(problem ? { problem } : {}),
    });
  }
  return [...views.values()];
}
