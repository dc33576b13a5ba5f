// One nearby device that is not paired: who it says it is, a Send files action, and once connected the
// short code both screens show, with the steps of pairing from here (ask, or answer the other's request)
// that only go ahead when the user says the codes match.

import { useState } from 'preact/hooks';
import type { NearbyView } from '../core/engine/nearby-view';
import { Button } from './button';
import { DeviceAvatar } from './device-avatar';
import { FilePickerButton } from './file-picker';
import { StatusDot } from './status-dot';

export interface NearbyActions {
  onSendFiles(peerId: string, files: File[]): Promise<void>;
  onRequestPairing(deviceId: string): Promise<void>;
  onDeclinePairing(deviceId: string): Promise<void>;
  onConnect(peerId: string): Promise<void>;
}

const TYPE_LABEL: Record<NearbyView['type'], string> = {
  phone: 'Phone',
  tablet: 'Tablet',
  laptop: 'Laptop',
  desktop: 'Computer',
};

export function NearbyRow({
  device,
  actions,
  onPickElsewhere,
}: {
  device: NearbyView;
  actions: NearbyActions;
  onPickElsewhere?: (() => void) | undefined;
}) {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  const code = device.verificationCode;
  const deviceId = device.deviceId;
  return (
    <li
      class="device-row nearby-row"
      data-testid="nearby-row"
      data-peer-id={device.peerId}
      data-status={device.status}
    >
      <DeviceAvatar seed={device.avatar} type={device.type} />
      <div class="device-row__main">
        <span class="device-row__name" data-testid="nearby-name">
          {device.name}
        </span>
        <span class="device-row__status">
          <StatusDot
            tone={
              device.status === 'connected'
                ? 'online'
                : device.status === 'connecting'
                  ? 'connecting'
                  : 'offline'
            }
          />
          {device.status === 'connecting' ? 'Connecting…' : `${TYPE_LABEL[device.type]} · not paired`}
        </span>
      </div>
      {onPickElsewhere ? (
        <Button small disabled={busy} onClick={onPickElsewhere}>
          Send files…
        </Button>
      ) : (
        <FilePickerButton
          small
          variant="secondary"
          disabled={busy}
          testId="nearby-send-input"
          onFiles={(files) => void run(() => actions.onSendFiles(device.peerId, files))}
        >
          Send files
        </FilePickerButton>
      )}
      {code ? (
        <p class="nearby-row__code">
          Code <strong data-testid="nearby-code">{code}</strong>
          <span class="nearby-row__hint">— the same on both screens means no one is in between</span>
        </p>
      ) : null}
      {code && deviceId ? (
        <PairingStep
          device={device}
          code={code}
          busy={busy}
          confirming={confirming}
          onConfirming={setConfirming}
          onPair={() => run(() => actions.onRequestPairing(deviceId))}
          onDecline={() => run(() => actions.onDeclinePairing(deviceId))}
        />
      ) : device.status === 'available' ? (
        <div class="nearby-row__actions">
          <Button
            small
            variant="ghost"
            disabled={busy}
            data-testid="nearby-connect"
            onClick={() => void run(() => actions.onConnect(device.peerId))}
          >
            Show code to pair
          </Button>
        </div>
      ) : null}
      {error || device.problem ? (
        <p class="device-row__note device-row__note--problem" role="alert">
          {error ?? device.problem}
        </p>
      ) : null}
    </li>
  );
}

function PairingStep({
  device,
  code,
  busy,
  confirming,
  onConfirming,
  onPair,
  onDecline,
}: {
  device: NearbyView;
  code: string;
  busy: boolean;
  confirming: boolean;
  onConfirming(value: boolean): void;
  onPair(): Promise<void>;
  onDecline(): Promise<void>;
}) {
  if (device.pairing === 'requested') {
    return (
      <p class="device-row__note" data-testid="nearby-pairing-waiting">
        Waiting for {device.name} to confirm the code…
      </p>
    );
  }
  if (device.pairing === 'asked' || confirming) {
    const asked = device.pairing === 'asked';
    return (
      <div class="device-row__confirm nearby-row__confirm" data-testid="nearby-pairing-confirm">
        <span class="device-row__confirm-text">
          {asked ? (
            <>
              <strong>{device.name}</strong> wants to pair.{' '}
            </>
          ) : null}
          Does {asked ? 'it' : <strong>{device.name}</strong>} show <strong>{code}</strong>?
        </span>
        <span class="device-row__confirm-actions">
          <Button
            small
            disabled={busy}
            onClick={() => {
              onConfirming(false);
              if (asked) void onDecline();
            }}
          >
            {asked ? 'Decline' : 'Cancel'}
          </Button>
          <Button
            variant="primary"
            small
            disabled={busy}
            data-testid="nearby-pair-confirm"
            onClick={() => {
              onConfirming(false);
              void onPair();
            }}
          >
            Codes match — pair
          </Button>
        </span>
      </div>
    );
  }
  return (
    <div class="nearby-row__actions">
      <Button
        small
        variant="ghost"
        disabled={busy}
        data-testid="nearby-pair"
        onClick={() => onConfirming(true)}
      >
        Pair…
      </Button>
    </div>
  );
}
