// Passing on only the latest of a stream of values, at most once per interval. A burst of engine changes
// (a thousand outbox entries queued or delivered) is a burst of snapshots; a screen needs only the newest,
// and redrawing it for each one takes CPU from the work it shows (and battery on a phone).

import type { Clock } from './clock';

export interface LatestOnly<T> {
  (value: T): void;
  /** Drops a value still waiting and stops the timer. */
  cancel(): void;
}

/**
 * The first value goes out at once (a screen reacts without delay to a single change); values arriving
 * within `intervalMs` of the last one sent wait, and only the newest of them is sent when it ends.
 */
export function latestOnly<T>(clock: Clock, intervalMs: number, send: (value: T) => void): LatestOnly<T> {
  let latest: { value: T } | undefined;
  let cancelTimer: (() => void) | undefined;
  let lastSent = Number.NEGATIVE_INFINITY;

  const flush = () => {
    cancelTimer = undefined;
    const next = latest;
    latest = undefined;
    if (!next) return;
    lastSent = clock.now();
    send(next.value);
  };

  const push = (value: T) => {
    latest = { value };
    if (cancelTimer) return;
    const wait = lastSent + intervalMs - clock.now();
    if (wait <= 0) flush();
    else cancelTimer = clock.setTimeout(flush, wait);
  };
  return Object.assign(push, {
    cancel() {
      cancelTimer?.();
      cancelTimer = undefined;
      latest = undefined;
    },
  });
}
