// Byte budgets for what clients send: each key (a socket, a client address) may send `burstBytes` at once
// and earns `bytesPerS` back evenly. Spending is never refused: a key that overdraws is told how long to
// wait until it is even again, and the caller stops reading from it for that long (backpressure), so a
// flood waits in the sender's own buffers instead of the server's memory.

export class ByteBudget<K> {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #keys = new Map<K, { bytes: number; at: number }>();

  constructor(burstBytes: number, bytesPerS: number) {
    this.#burst = burstBytes;
    this.#perMs = bytesPerS / 1000;
  }

  /** Spends `bytes`; how many milliseconds the key must wait before it is out of debt (0: it is not). */
  spend(key: K, bytes: number, now: number): number {
    const entry = this.#keys.get(key) ?? { bytes: this.#burst, at: now };
    entry.bytes = Math.min(this.#burst, entry.bytes + (now - entry.at) * this.#perMs) - bytes;
    entry.at = now;
    this.#keys.set(key, entry);
    return entry.bytes >= 0 ? 0 : Math.ceil(-entry.bytes / this.#perMs);
  }

  /** Forgets keys whose budget is full again: they would start from a full budget anyway. */
  sweep(now: number): void {
    for (const [key, entry] of this.#keys) {
      if (entry.bytes + (now - entry.at) * this.#perMs >= this.#burst) this.#keys.delete(key);
    }
  }
}
