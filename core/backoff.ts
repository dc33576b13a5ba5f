// Reconnection delays: exponential with full jitter, so a server restart is not met by every client
// reconnecting in the same instant.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const SIGNALLING_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 15_000 };

/** Delay before retry number `attempt` (1-based); `random` returns [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  // Never less than half the ceiling: full jitter down to zero would hammer a server that is still down.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
