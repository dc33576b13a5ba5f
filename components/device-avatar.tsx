// A device's generated avatar: a colour drawn from its random avatar seed behind its device-type icon, so
// the same device looks the same on every screen and two phones on one network are told apart at a glance.

import type { DeviceType } from '../core/protocol/device';
import { DeviceTypeIcon } from './icons';

/** Hue in degrees from the seed (FNV-1a): stable, and spread evenly enough for a handful of devices. */
export function avatarHue(seed: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 360;
}

export function DeviceAvatar({ seed, type, size = 36 }: { seed: string; type: DeviceType; size?: number }) {
  const hue = avatarHue(seed || type);
  return (
    <span
      class="device-avatar"
      data-testid="device-avatar"
      style={{ width: `${size}px`, height: `${size}px`, background: `hsl(${hue} 62% 46%)` }}
      aria-hidden="true"
    >
      <DeviceTypeIcon type={type} size={Math.round(size * 0.55)} />
    </span>
  );
}
