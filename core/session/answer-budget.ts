// How many nearby handshakes this device answers. Every answer to a device that is not paired hands the
// other side one guess in 10^6 at making the verification code match one it holds elsewhere (the
// commitment stops it choosing, not retrying), and a visible device answers without asking its user. So
// the answers are rationed, a token bucket on the injected clock: a burst for a busy moment, then one per
// interval; a man in the middle that dials again and again gets a few dozen guesses an hour, not millions.

import type { Clock } from '../clock';
import { NEARBY_ANSWER_BURST, NEARBY_ANSWER_INTERVAL_MS } from '../protocol/limits';

export class AnswerBudget {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly burst = NEARBY_ANSWER_BURST,
    private readonly intervalMs = NEARBY_ANSWER_INTERVAL_MS,
  ) {
    this.#tokens = burst;
    this.#updatedAt = clock.now();
  }

  /** Spends one answer; false (spending nothing) when none is left until the next interval. */
  take(): boolean {
    const now = this.clock.now();
    const earned = Math.floor((now - this.#updatedAt) / this.intervalMs);
    if (earned > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + earned);
      this.#updatedAt = this.#tokens === this.burst ? now : this.#updatedAt + earned * this.intervalMs;
    }
    if (this.#tokens === 0) return false;
    if (this.#tokens === this.burst) this.#updatedAt = now;
    this.#tokens -= 1;
    return true;
  }
}
