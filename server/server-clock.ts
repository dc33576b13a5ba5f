// The server's time: what every limit, liveness check and expiry reads the time from and schedules its
// checks with. The real one is performance.now() and unref'd Node timers; tests pass a clock they move
// by hand, so they can step time to just before a limit and see that nothing happened, then past it.

export interface ServerClock {
  /** Milliseconds on a monotonic scale; only differences mean anything. */
  now(): number;
  /** Calls `callback` once after `ms`; returns what cancels it. */
  setTimeout(callback: () => void, ms: number): () => void;
}

export const realServerClock: ServerClock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    // A pending check must never be what keeps a stopped server's process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Calls `callback` every `ms` until the returned function is called. */
export function every(clock: ServerClock, ms: number, callback: () => void): () => void {
  let cancel: () => void = () => {};
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    cancel = clock.setTimeout(tick, ms);
    callback();
  };
  cancel = clock.setTimeout(tick, ms);
  return () => {
    stopped = true;
    cancel();
  };
}
