// What this device has sent or still has to send, per device: queued entries wait for their device to
// come online and go out by themselves, so they are listed (in the order they will go) where the user
// can see them and cancel them. Finished entries follow, newest first, so "did it arrive?" has an answer.

import { useState } from 'preact/hooks';
import type { OutboxView } from '../core/engine/transfer-center';
import { Button } from './button';
import { classNames } from './class-names';
import { formatRelativeTime } from './relative-time';

type OutboxState = OutboxView['state'];

const STATE_LABELS: Record<OutboxState, string> = {
  queued: 'Queued',
  sending: 'Sending',
  delivered: 'Delivered',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function isPendingState(state: OutboxState): boolean {
  return state === 'queued' || state === 'sending';
}

/** Pending entries in sending order, then finished ones newest first, at most `limit` finished. */
export function orderOutbox(entries: readonly OutboxView[], finishedLimit: number): OutboxView[] {
  const pending = entries.filter((e) => isPendingState(e.state));
  const finished = entries
    .filter((e) => !isPendingState(e.state))
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, finishedLimit);
  return [...pending, ...finished];
}

interface OutboxListProps {
  entries: readonly OutboxView[];
  now: number;
  onCancel(id: string): Promise<void>;
  /** Cap on pending rows shown; the rest are counted in one line. */
  pendingLimit?: number;
  finishedLimit?: number;
}

export function OutboxList({
  entries,
  now,
  onCancel,
  pendingLimit = 50,
  finishedLimit = 5,
}: OutboxListProps) {
  const ordered = orderOutbox(entries, finishedLimit);
  const pending = ordered.filter((e) => isPendingState(e.state));
  const hidden = Math.max(0, pending.length - pendingLimit);
  const shown = hidden ? [...pending.slice(0, pendingLimit), ...ordered.slice(pending.length)] : ordered;
  if (shown.length === 0) return null;
  return (
    <ul class="item-list outbox-list">
      {shown.map((entry) => (
        <OutboxRow key={entry.id} entry={entry} now={now} onCancel={onCancel} />
      ))}
      {hidden ? <li class="outbox-list__more">and {hidden} more waiting to be sent</li> : null}
    </ul>
  );
}

function OutboxRow({
  entry,
  now,
  onCancel,
}: {
  entry: OutboxView;
  now: number;
  onCancel(id: string): Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const cancel = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onCancel(entry.id);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  const waiting = entry.state === 'queued';
  return (
    <li
      class={classNames('outbox-row', `outbox-row--${entry.state}`)}
      data-testid="outbox-row"
      data-outbox-id={entry.id}
      data-state={entry.state}
    >
      <div class="outbox-row__main">
        <p class="outbox-row__summary">{entry.summary}</p>
        <p class="outbox-row__meta">
          <span class={`state-chip state-chip--${entry.state}`}>{STATE_LABELS[entry.state]}</span>
          {waiting ? `Waits for ${entry.deviceName} to come online` : `To ${entry.deviceName}`} ·{' '}
          <time dateTime={new Date(entry.createdAt).toISOString()}>
            {formatRelativeTime(entry.createdAt, now)}
          </time>
        </p>
        {entry.error && entry.state !== 'delivered' ? (
          <p class="outbox-row__error" role="alert">
            {entry.error}
          </p>
        ) : null}
        {error ? (
          <p class="outbox-row__error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
      {isPendingState(entry.state) ? (
        <Button
          variant="ghost"
          small
          data-testid="outbox-cancel"
          disabled={busy}
          onClick={() => void cancel()}
        >
          Cancel
        </Button>
      ) : null}
    </li>
  );
}
