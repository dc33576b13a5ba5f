// The list of paired devices, with a ticking clock so "seen 5 min ago" stays true while it is open.

import type { DeviceView } from '../core/engine/engine';
import type { AppBuild } from '../core/protocol/app-build';
import { DeviceRow } from './device-row';
import { useNow } from './use-now';

interface DeviceListProps {
  devices: readonly DeviceView[];
  onUnpair(deviceId: string): Promise<void>;
  onSetAutoAccept?: ((deviceId: string, autoAccept: boolean) => Promise<void>) | undefined;
  /** The companion build this host shipped with (the extension); the companion app leaves it out. */
  expectedAppBuild?: AppBuild | null | undefined;
}

export function DeviceList({ devices, onUnpair, onSetAutoAccept, expectedAppBuild }: DeviceListProps) {
  const now = useNow(30_000);
  return (
    <ul class="device-list">
      {devices.map((device) => (
        <DeviceRow
          key={device.deviceId}
          device={device}
          now={now}
          onUnpair={onUnpair}
          onSetAutoAccept={onSetAutoAccept}
          expectedAppBuild={expectedAppBuild}
        />
      ))}
    </ul>
  );
}
