// Where something is sent: one paired device, or "All devices" once there are several. Always a real
// <select>, even with one device, so the destination is spelled out before anything leaves. Offline
// devices stay choosable: what is sent to them waits in the outbox until they come online.

import { useEffect, useId, useState } from 'preact/hooks';
import type { DeviceStatus, DeviceView } from '../core/engine/engine';

export const ALL_DEVICES = 'all';

const STATUS_SUFFIX: Record<DeviceStatus, string> = {
  online: '',
  connecting: ' (connecting…)',
  offline: ' (offline, will wait)',
  unpaired: ' (no longer paired)',
};

/** Devices that can be sent to; an unpaired one refuses everything until paired again. */
export function sendableDevices(devices: readonly DeviceView[]): DeviceView[] {
  return devices.filter((d) => d.status !== 'unpaired');
}

/** Online devices first: that is where a send most likely goes. */
export function preferredTarget(devices: readonly DeviceView[]): string | undefined {
  const sendable = sendableDevices(devices);
  return (sendable.find((d) => d.status === 'online') ?? sendable[0])?.deviceId;
}

/** The devices a picker value stands for. */
export function targetDevices(devices: readonly DeviceView[], value: string | undefined): DeviceView[] {
  if (value === ALL_DEVICES) return sendableDevices(devices);
  return sendableDevices(devices).filter((d) => d.deviceId === value);
}

/** The chosen target, kept valid as devices are paired and unpaired. */
export function useTarget(devices: readonly DeviceView[]): [string | undefined, (value: string) => void] {
  const [value, setValue] = useState<string | undefined>(() => preferredTarget(devices));
  const valid =
    value === ALL_DEVICES ? sendableDevices(devices).length > 1 : targetDevices(devices, value).length === 1;
  useEffect(() => {
    if (!valid) setValue(preferredTarget(devices));
  }, [valid, devices]);
  return [valid ? value : preferredTarget(devices), setValue];
}

interface DeviceTargetPickerProps {
  devices: readonly DeviceView[];
  value: string | undefined;
  onChange(value: string): void;
  testId?: string;
  label?: string;
}

export function DeviceTargetPicker({
  devices,
  value,
  onChange,
  testId = 'send-files-target',
  label = 'To',
}: DeviceTargetPickerProps) {
  const id = useId();
  const sendable = sendableDevices(devices);
  return (
    <div class="target-picker">
      <label class="target-picker__label" for={id}>
        {label}
      </label>
      <select
        id={id}
        class="select"
        data-testid={testId}
        value={value ?? ''}
        disabled={sendable.length === 0}
        onChange={(event) => onChange(event.currentTarget.value)}
      >
        {devices.map((device) => (
          <option key={device.deviceId} value={device.deviceId} disabled={device.status === 'unpaired'}>
            {device.name}
            {STATUS_SUFFIX[device.status]}
          </option>
        ))}
        {sendable.length > 1 ? <option value={ALL_DEVICES}>All devices ({sendable.length})</option> : null}
      </select>
    </div>
  );
}
