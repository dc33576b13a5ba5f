// Token buckets: each key may spend `capacity` actions at once and earns them back evenly over
// `windowMs`, so a limit of 120 per minute allows a burst of 120 and then two per second, and recovers
// fully a window after the last action. Used per client address (connections, HTTP requests) and per
// socket (messages). The clock is injectable so tests can step past a window.

export type Clock = () => number;

export interface Verdict {
  ok: boolean;
  /** When refused: whole seconds until one action is allowed again (at least 1). */
  retryAfterS: number;
}

const ALLOWED: Verdict = { ok: true, retryAfterS: 0 };

export class TokenBucket {
  #tokens: number;
  #updatedAt: number;
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #now: Clock;

  constructor(capacity: number, windowMs: number, now: Clock) {
    this.#capacity = capacity;
    this.#perMs = capacity / windowMs;
    this.#now = now;
    this.#tokens = capacity;
    this.#updatedAt = now();
  }

  take(): Verdict {
    const now = this.#now();
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return ALLOWED;
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - this.#tokens) / this.#perMs / 1000)) };
  }

  /** True once the bucket is back to full: the key can be forgotten without changing any verdict. */
  isFull(): boolean {
    this.#refill(this.#now());
    return this.#tokens >= this.#capacity;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#tokens = Math.min(this.#capacity, this.#tokens + elapsed * this.#perMs);
    this.#updatedAt = now;
  }
}

/** One bucket per key (client address), with forgotten full buckets and a bound on the keys kept. */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #capacity: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: Clock;

  constructor(options: { capacity: number; windowMs: number; now: Clock; maxKeys?: number }) {
    this.#capacity = options.capacity;
    this.#windowMs = options.windowMs;
    this.#now = options.now;
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  get size(): number {
    return this.#buckets.size;
  }

  take(key: string): Verdict {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#maxKeys) this.#evict();
      bucket = new TokenBucket(this.#capacity, this.#windowMs, this.#now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take();
  }

  /** Drops buckets that refilled completely; called periodically so idle addresses cost nothing. */
  sweep(): void {
    for (const [key, bucket] of this.#buckets) if (bucket.isFull()) this.#buckets.delete(key);
  }

  #evict(): void {
    this.sweep();
    // Still full of active keys (many addresses at once): forget the oldest tenth. A client that is
    // forgotten starts again with a full bucket, which is the least harmful way to stay bounded.
    let excess = this.#buckets.size - Math.floor(this.#maxKeys * 0.9);
    for (const key of this.#buckets.keys()) {
      if (excess-- <= 0) break;
      this.#buckets.delete(key);
    }
  }
}
