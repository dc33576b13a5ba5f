// Real WebCrypto (Node's) and real or hand-driven clocks for tests of core/.

import { webcrypto } from 'node:crypto';
import type { Clock } from '../../core/clock';
import { createWebCryptoEnv, type WebCryptoLike } from '../../core/crypto';

export const nodeCrypto = createWebCryptoEnv(webcrypto as unknown as WebCryptoLike);

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/** A clock that only moves when the test says so. */
export class ManualClock implements Clock {
  #now = 1_700_000_000_000;
  #timers: Array<{ at: number; callback: () => void; id: number }> = [];
  #nextId = 0;

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): () => void {
    const id = this.#nextId++;
    this.#timers.push({ at: this.#now + ms, callback, id });
    return () => {
      this.#timers = this.#timers.filter((t) => t.id !== id);
    };
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t.id !== due.id);
      this.#now = due.at;
      due.callback();
    }
    this.#now = until;
  }
}

/**
 * Moves a manual clock on a second at a time, letting the engines answer what each step set off (pings,
 * retries) before the next, as time passing would.
 */
export async function advanceInSteps(clock: ManualClock, ms: number, stepMs = 1_000): Promise<void> {
  for (let passed = 0; passed < ms; passed += stepMs) {
    clock.advance(Math.min(stepMs, ms - passed));
    await new Promise((resolve) => setImmediate(resolve));
  }
}
