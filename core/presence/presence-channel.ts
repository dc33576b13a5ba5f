// The interface core/ speaks to the presence service: announce who this device is (to nearby devices, if
// visible) and which rooms it is in, and hear about devices on the same network and members of its rooms.
// Hosts implement it over a WebSocket (utils/presence-socket.ts); tests implement it in memory.

import type { DeviceType } from '../protocol/device';
import type { Unsubscribe } from '../transport';

/**
 * Shown to devices on the same network (visible), or found only through rooms by paired devices (hidden):
 * a hidden device tells the server nothing about itself but its signalling id and rooms.
 */
export type PresenceAnnouncement =
  | { peerId: string; visible: true; name: string; deviceType: DeviceType; avatar: string; rooms: string[] }
  | { peerId: string; visible: false; rooms: string[] };

/** Another device on the same network, as the presence service describes it (nothing here is verified). */
export interface PresencePeer {
  peerId: string;
  name: string;
  deviceType: DeviceType;
  avatar: string;
}

export interface PresenceChannel {
  /** Replaces what this device announces; kept and re-sent after every reconnect. */
  announce(announcement: PresenceAnnouncement): void;
  /** The full current list of other visible devices on this network, after every change. */
  onNearby(listener: (peers: readonly PresencePeer[]) => void): Unsubscribe;
  /** The other members' signalling ids of one announced room, whenever they change. */
  onRoom(listener: (room: string, peerIds: readonly string[]) => void): Unsubscribe;
  close(): void;
}
