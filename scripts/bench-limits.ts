// Time limits of the benchmark: every step it waits on (a browser launch, a connection, a transfer) gets
// one, so that a contender that stalls fails its run with the step it stalled in, instead of the whole
// benchmark hanging with an idle CPU. Transfer steps scale with the size sent (a floor throughput well
// below any honest run on this machine), so a slow but moving run is not failed.

/** A step did not finish within its limit. */
export class StalledError extends Error {
  constructor(
    readonly step: string,
    readonly limitMs: number,
  ) {
    super(`stalled: "${step}" did not finish within ${(limitMs / 1000).toFixed(0)} s`);
    this.name = 'StalledError';
  }
}

export interface LimitPolicy {
  /** Any step that does not move the file's bytes: connecting, opening a tab, picking a file. */
  stepMs: number;
  /** The slowest throughput a transfer step is allowed, in MB/s (10^6 bytes), on top of stepMs. */
  floorMbps: number;
}

export const DEFAULT_LIMITS: LimitPolicy = { stepMs: 30_000, floorMbps: 2 };

/** The limit for a step that moves `bytes`: the fixed step allowance plus the bytes at the floor speed. */
export function transferLimitMs(policy: LimitPolicy, bytes: number): number {
  return Math.round(policy.stepMs + (bytes / (policy.floorMbps * 1e6)) * 1000);
}

/**
 * Settles with `work`, or rejects with a StalledError naming `step` once `limitMs` has passed. The work
 * itself cannot be stopped from here (a browser evaluation goes on); the caller ends the run, and the
 * late settlement of the abandoned work is swallowed rather than reported as an unhandled rejection.
 */
export async function within<T>(step: string, limitMs: number, work: Promise<T>): Promise<T> {
  work.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StalledError(step, limitMs)), limitMs);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
