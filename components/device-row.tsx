// One paired device: what it is, whether it can be reached right now (and why not, when known), and an
// Unpair action that asks once more before it forgets the device.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeviceStatus, DeviceView } from '../core/engine/engine';
import { Button } from './button';
import { DeviceTypeIcon } from './icons';
import { formatRelativeTime } from './relative-time';
import { type DotTone, StatusDot } from './status-dot';

const TONES: Record<DeviceStatus, DotTone> = {
  online: 'online',
  connecting: 'connecting',
  offline: 'offline',
  unpaired: 'problem',
};

function statusLabel(device: DeviceView, now: number): string {
  switch (device.status) {
    case 'online':
      return 'Online';
    case 'connecting':
      return 'Connecting…';
    case 'unpaired':
      return 'No longer paired';
    case 'offline':
      return device.lastSeenAt ? `Offline · seen ${formatRelativeTime(device.lastSeenAt, now)}` : 'Offline';
  }
}

interface DeviceRowProps {
  device: DeviceView;
  now: number;
  onUnpair(deviceId: string): Promise<void>;
}

export function DeviceRow({ device, now, onUnpair }: DeviceRowProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const cancelRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);

  const unpair = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onUnpair(device.deviceId);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'Could not unpair this device.');
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <li
      class={`device-row device-row--${device.status}`}
      data-testid="device-row"
      data-device-id={device.deviceId}
      data-status={device.status}
    >
      <span class="device-row__icon">
        <DeviceTypeIcon type={device.type} size={20} />
      </span>
      <div class="device-row__main">
        <span class="device-row__name" data-testid="device-name">
          {device.name}
        </span>
        <span class="device-row__status">
          <StatusDot tone={TONES[device.status]} />
          {statusLabel(device, now)}
        </span>
      </div>
      {confirming ? null : (
        <Button variant="ghost" small data-testid="unpair" onClick={() => setConfirming(true)}>
          Unpair
        </Button>
      )}
      {device.status === 'unpaired' ? (
        <p class="device-row__note">It unpaired this device. Pair them again to send to it.</p>
      ) : null}
      {device.problem ? <p class="device-row__note device-row__note--problem">{device.problem}</p> : null}
      {error ? (
        <p class="device-row__note device-row__note--problem" role="alert">
          {error}
        </p>
      ) : null}
      {confirming ? (
        <div class="device-row__confirm">
          <span class="device-row__confirm-text">
            Unpair <strong>{device.name}</strong>? Pairing again needs a new code.
          </span>
          <span class="device-row__confirm-actions">
            <Button small buttonRef={cancelRef} disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button variant="danger" small data-testid="confirm-unpair" disabled={busy} onClick={unpair}>
              {busy ? 'Unpairing…' : 'Unpair'}
            </Button>
          </span>
        </div>
      ) : null}
    </li>
  );
}
