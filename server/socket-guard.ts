// What each signalling or presence socket may send: a message rate (token bucket: MESSAGE_RATE per
// second, bursts up to MESSAGE_BURST), a bound on dropped messages and on invalid ones. A client that
// goes over the rate now and then loses those messages; one that keeps flooding, or keeps sending
// garbage, is disconnected (close code 1008, policy violation) instead of costing the server forever.

import { type Clock, TokenBucket } from './rate-limiter';

export interface MessageLimits {
  /** Sustained messages per second per socket. */
  rate: number;
  /** Messages a socket may send at once (e.g. a burst of ICE candidates). */
  burst: number;
}

export type Admission = 'accept' | 'drop' | 'close';

const DROP_WINDOW_MS = 10_000;
const BAD_WINDOW_MS = 60_000;
/** Invalid messages tolerated per minute: a buggy client gets clear errors before it is dropped. */
export const MAX_BAD_MESSAGES = 10;

export const POLICY_VIOLATION = 1008;

export class SocketGuard {
  readonly #bucket: TokenBucket;
  readonly #now: Clock;
  readonly #maxDrops: number;
  #drops = 0;
  #dropWindowStart = 0;
  #bad = 0;
  #badWindowStart = 0;
  /** True while the socket is being throttled; lets callers report it once per episode, not per message. */
  throttled = false;

  constructor(limits: MessageLimits, now: Clock) {
    this.#bucket = new TokenBucket(limits.burst, (limits.burst / limits.rate) * 1000, now);
    this.#now = now;
    // Dropping more than another full burst within the window is no accident.
    this.#maxDrops = Math.max(20, limits.burst);
  }

  /** Decides about one incoming message before anything parses it. */
  admit(): Admission {
    if (this.#bucket.take().ok) {
      this.throttled = false;
      return 'accept';
    }
    const now = this.#now();
    if (now - this.#dropWindowStart > DROP_WINDOW_MS) {
      this.#dropWindowStart = now;
      this.#drops = 0;
    }
    this.#drops += 1;
    return this.#drops > this.#maxDrops ? 'close' : 'drop';
  }

  /** Records an invalid message; true when the socket has now sent too many and should be closed. */
  strike(): boolean {
    const now = this.#now();
    if (now - this.#badWindowStart > BAD_WINDOW_MS) {
      this.#badWindowStart = now;
      this.#bad = 0;
    }
    this.#bad += 1;
    return this.#bad > MAX_BAD_MESSAGES;
  }
}
