// One paired device: what it is, whether it can be reached right now (and why not, when known), whether
// its files are accepted without asking, and an Unpair action that asks once more before it forgets it.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { DeviceStatus, DeviceView } from '../core/engine/engine';
import { type AppBuild, checkAppBuild, shortDigest } from '../core/protocol/app-build';
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

/**
 * Whether files from this device are accepted without asking. Paired devices are the user's own, so the
 * engine's default is yes; the snapshot carries the flag as `autoAccept` once the engine exposes it.
 */
export function autoAcceptOf(device: DeviceView): boolean {
  return device.autoAccept;
}

interface DeviceRowProps {
  device: DeviceView;
  now: number;
  onUnpair(deviceId: string): Promise<void>;
  /** Shown as a toggle when given; hosts that cannot receive files leave it out. */
  onSetAutoAccept?: ((deviceId: string, autoAccept: boolean) => Promise<void>) | undefined;
  /** The companion build this host shipped with; a device that reports another one gets a warning. */
  expectedAppBuild?: AppBuild | null | undefined;
}

export function DeviceRow({ device, now, onUnpair, onSetAutoAccept, expectedAppBuild }: DeviceRowProps) {
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
      {expectedAppBuild && device.appBuild && device.status === 'online' ? (
        <AppBuildNote expected={expectedAppBuild} reported={device.appBuild} />
      ) : null}
      {onSetAutoAccept && device.status !== 'unpaired' ? (
        <AutoAcceptToggle device={device} onChange={onSetAutoAccept} />
      ) : null}
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

/**
 * Whether the phone runs the companion build this extension shipped with. Its report is the phone's own
 * claim, so a match is worded as what the phone says, and anything else is a warning.
 */
function AppBuildNote({ expected, reported }: { expected: AppBuild; reported: AppBuild }) {
  const check = checkAppBuild(expected, reported);
  if (check === 'same') {
    return (
      <p class="device-row__note" data-testid="app-build" data-check={check}>
        Says it runs the DirectDrop app {reported.version} this extension ships.
      </p>
    );
  }
  return (
    <div class="device-row__note device-row__warning" data-testid="app-build" data-check={check} role="alert">
      <strong>
        {check === 'unpinned' ? 'The app on this device is not pinned' : 'This device runs a different app'}
      </strong>
      {check === 'unpinned' ? (
        <span>
          It keeps no checked copy of the DirectDrop app, so the server can change the app each time it opens.
        </span>
      ) : (
        <span>
          It runs DirectDrop {reported.version} (build <code>{shortDigest(reported.digest ?? '')}</code>), not{' '}
          {expected.version} (build <code>{shortDigest(expected.digest ?? '')}</code>) that this extension
          ships. Unless you updated it on purpose, the server may have changed the app: don’t send anything
          private to it.
        </span>
      )}
    </div>
  );
}

/**
 * The per-device "Accept files automatically" switch. It flips at once and goes back with a message if
 * the engine refuses, so the switch never shows a setting that is not in force.
 */
function AutoAcceptToggle({
  device,
  onChange,
}: {
  device: DeviceView;
  onChange(deviceId: string, autoAccept: boolean): Promise<void>;
}) {
  const stored = autoAcceptOf(device);
  const [pending, setPending] = useState<boolean | undefined>();
  const [error, setError] = useState<string | undefined>();
  const checked = pending ?? stored;

  // Once the snapshot agrees with the click, the snapshot is the truth again.
  useEffect(() => {
    if (pending === stored) setPending(undefined);
  }, [pending, stored]);

  const change = async (next: boolean) => {
    setPending(next);
    setError(undefined);
    try {
      await onChange(device.deviceId, next);
    } catch (failure) {
      setPending(undefined);
      setError(failure instanceof Error ? failure.message : 'Could not change this setting.');
    }
  };

  return (
    <div class="device-row__setting">
      <label class="toggle toggle--small">
        <input
          class="toggle__input"
          type="checkbox"
          role="switch"
          data-testid="auto-accept"
          checked={checked}
          aria-checked={checked}
          onChange={(event) => void change(event.currentTarget.checked)}
        />
        <span>Accept files automatically</span>
      </label>
      {checked ? null : <span class="device-row__setting-hint">You’ll be asked each time.</span>}
      {error ? (
        <p class="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
