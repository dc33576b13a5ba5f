// Per-address WebSocket admission: how many sockets (signalling and presence together) one client
// address may hold open, and how many it may open per minute. A refused client learns why and when to
// come back (429 with Retry-After) before any socket state exists on the server.

import { type Clock, KeyedRateLimiter } from './rate-limiter';

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; status: 429; message: string; retryAfterS: number };

const RETRY_WHEN_TOO_MANY_OPEN_S = 10;

export class ConnectionLimits {
  readonly #open = new Map<string, number>();
  readonly #rate: KeyedRateLimiter;
  readonly #maxOpen: number;
  readonly #perMinute: number;

  constructor(options: { maxOpenPerAddress: number; perMinutePerAddress: number; now: Clock }) {
    this.#maxOpen = options.maxOpenPerAddress;
    this.#perMinute = options.perMinutePerAddress;
    this.#rate = new KeyedRateLimiter({
      capacity: options.perMinutePerAddress,
      windowMs: 60_000,
      now: options.now,
    });
  }

  admit(key: string): Admission {
    const open = this.#open.get(key) ?? 0;
    if (open >= this.#maxOpen) {
      return {
        ok: false,
        status: 429,
        message: `Too many open connections from your address (at most ${this.#maxOpen}). Close some and try again.`,
        retryAfterS: RETRY_WHEN_TOO_MANY_OPEN_S,
      };
    }
    const verdict = this.#rate.take(key);
    if (!verdict.ok) {
      return {
        ok: false,
        status: 429,
        message: `Too many new connections from your address (at most ${this.#perMinute} per minute). Try again in ${verdict.retryAfterS} s.`,
        retryAfterS: verdict.retryAfterS,
      };
    }
    this.#open.set(key, open + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const now = (this.#open.get(key) ?? 1) - 1;
        if (now <= 0) this.#open.delete(key);
        else this.#open.set(key, now);
      },
    };
  }

  sweep(): void {
    this.#rate.sweep();
  }
}
