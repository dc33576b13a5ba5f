// One file transfer, either direction: what is moving, to or from which device, how far it got (bar,
// bytes, speed and time left once the engine has a steady estimate), the path it takes, and the one or
// two actions that make sense in its state: Accept / Decline an offer waiting for this user, Cancel
// while it is under way. Names come from the other device: they are only ever rendered as text.

import { useState } from 'preact/hooks';
import type { TransferState, TransferView } from '../core/engine/transfer-center';
import { Button } from './button';
import { classNames } from './class-names';
import {
  fileNamesLine,
  filesTitle,
  formatBytes,
  formatProgress,
  formatSpeed,
  formatTimeLeft,
} from './format-transfer';
import { AlertIcon, ArrowDownIcon, ArrowUpIcon, CheckIcon, CloseIcon } from './icons';
import { PathBadge } from './path-badge';

export interface TransferActions {
  onAccept(id: string): Promise<void>;
  onDecline(id: string): Promise<void>;
  onCancel(id: string): Promise<void>;
}

/** States in which bytes are (or will again be) on their way, so Cancel is offered. */
const CANCELLABLE: ReadonlySet<TransferState> = new Set(['offering', 'sending', 'receiving', 'interrupted']);
/** States that carry a progress element; an undecided offer and a refusal have no progress at all. */
const WITH_PROGRESS: ReadonlySet<TransferState> = new Set([
  'offering',
  'sending',
  'receiving',
  'interrupted',
  'done',
  'cancelled',
  'failed',
]);
/**
 * States whose bar is kept out of sight: nothing has moved yet, or everything has. The element stays (with
 * its byte counts) for scripts; a finished row shrinks to one line so the list stays short.
 */
const BAR_HIDDEN: ReadonlySet<TransferState> = new Set(['offering', 'done']);

export function isFinished(state: TransferState): boolean {
  return state === 'done' || state === 'declined' || state === 'cancelled' || state === 'failed';
}

/** The line under the title: who is on the other end, and what is happening with them. */
function statusLine(t: TransferView): string {
  const device = t.deviceName;
  const out = t.direction === 'out';
  switch (t.state) {
    case 'offered':
      return `${device} wants to send you ${formatBytes(t.total)}`;
    case 'offering':
      return `${formatBytes(t.total)} · waiting for ${device} to accept…`;
    case 'sending':
      return `Sending to ${device}`;
    case 'receiving':
      return `Receiving from ${device}`;
    case 'interrupted':
      return `Waiting for ${device} to reconnect…`;
    case 'done':
      return `${out ? `Sent to ${device}` : `Received from ${device}`} · ${formatBytes(t.total)}`;
    case 'declined':
      return out ? `${device} declined` : `Declined · from ${device}`;
    case 'cancelled':
      return out ? `Cancelled · to ${device}` : `Cancelled · from ${device}`;
    case 'failed':
      return out ? `Failed · to ${device}` : `Failed · from ${device}`;
  }
}

/** Bytes, then speed and time left only while they are known and meaningful. */
function figuresLine(t: TransferView): string {
  const parts = [formatProgress(t.bytesDone, t.total)];
  if (t.state === 'sending' || t.state === 'receiving') {
    if (t.bytesPerSecond !== undefined) parts.push(formatSpeed(t.bytesPerSecond));
    if (t.secondsLeft !== undefined) parts.push(formatTimeLeft(t.secondsLeft));
  }
  return parts.join(' · ');
}

function StateIcon({ transfer }: { transfer: TransferView }) {
  if (transfer.state === 'done') return <CheckIcon size={18} />;
  if (transfer.state === 'failed') return <AlertIcon size={18} />;
  if (transfer.state === 'cancelled' || transfer.state === 'declined') return <CloseIcon size={18} />;
  return transfer.direction === 'out' ? <ArrowUpIcon size={18} /> : <ArrowDownIcon size={18} />;
}

export function TransferRow({ transfer, actions }: { transfer: TransferView; actions: TransferActions }) {
  const [busy, setBusy] = useState<'accept' | 'decline' | 'cancel' | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const { state } = transfer;
  const names = fileNamesLine(transfer.files);
  const barHidden = BAR_HIDDEN.has(state);
  const progress = WITH_PROGRESS.has(state) ? (
    <progress
      class="progress"
      data-testid="transfer-progress"
      data-bytes-done={transfer.bytesDone}
      data-total={transfer.total}
      max={Math.max(transfer.total, 1)}
      value={state === 'done' ? Math.max(transfer.total, 1) : transfer.bytesDone}
      aria-label={`${filesTitle(transfer.files)}: ${formatProgress(transfer.bytesDone, transfer.total)}`}
      hidden={barHidden}
    />
  ) : null;
  const showError =
    state === 'failed' || (!!transfer.error && (state === 'cancelled' || state === 'declined'));
  // The route stays on a finished transfer too: "it went direct" is the reassurance people look for.
  const showPath = !!transfer.path && (state === 'done' || !isFinished(state));
  const showDetails =
    (progress && !barHidden) || showError || !!actionError || showPath || state === 'offered';

  const run = async (which: 'accept' | 'decline' | 'cancel') => {
    setBusy(which);
    setActionError(undefined);
    try {
      const action =
        which === 'accept' ? actions.onAccept : which === 'decline' ? actions.onDecline : actions.onCancel;
      await action(transfer.id);
    } catch (failure) {
      setActionError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <li
      class={classNames('transfer-row', `transfer-row--${state}`)}
      data-testid="transfer-row"
      data-transfer-id={transfer.id}
      data-direction={transfer.direction}
      data-state={state}
    >
      <span class="transfer-row__icon" title={transfer.direction === 'out' ? 'Outgoing' : 'Incoming'}>
        <StateIcon transfer={transfer} />
      </span>
      <div class="transfer-row__main">
        <p class="transfer-row__title" title={transfer.files.map((f) => f.name).join('\n')}>
          {filesTitle(transfer.files)}
        </p>
        {names ? <p class="transfer-row__names">{names}</p> : null}
        <p class="transfer-row__status">{statusLine(transfer)}</p>
      </div>
      {CANCELLABLE.has(state) ? (
        <Button
          variant="ghost"
          small
          class="transfer-row__cancel"
          data-testid="transfer-cancel"
          disabled={busy !== undefined}
          onClick={() => void run('cancel')}
        >
          {busy === 'cancel' ? 'Cancelling…' : 'Cancel'}
        </Button>
      ) : null}

      {progress && barHidden ? progress : null}
      {showDetails ? (
        <div class="transfer-row__details">
          {progress && !barHidden ? (
            <>
              {progress}
              <p class="transfer-row__figures">{figuresLine(transfer)}</p>
            </>
          ) : null}
          {showError ? (
            <p class="transfer-row__error" data-testid="transfer-error" role="alert">
              {transfer.error ?? 'The transfer failed.'}
            </p>
          ) : null}
          {actionError ? (
            <p class="transfer-row__error" data-testid="transfer-action-error" role="alert">
              {actionError}
            </p>
          ) : null}
          {showPath && transfer.path ? <PathBadge path={transfer.path} /> : null}
          {state === 'offered' && transfer.verificationCode ? (
            <p class="transfer-row__unpaired" data-testid="transfer-unpaired">
              {transfer.deviceName} is not paired with this device. Accept only if it shows the code{' '}
              <strong data-testid="transfer-code">{transfer.verificationCode}</strong>.
            </p>
          ) : null}
          {state === 'offered' ? (
            <div class="transfer-row__decision">
              <Button
                variant="primary"
                small
                data-testid="transfer-accept"
                disabled={busy !== undefined}
                onClick={() => void run('accept')}
              >
                {busy === 'accept' ? 'Accepting…' : 'Accept'}
              </Button>
              <Button
                variant="secondary"
                small
                data-testid="transfer-decline"
                disabled={busy !== undefined}
                onClick={() => void run('decline')}
              >
                Decline
              </Button>
            </div>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}
