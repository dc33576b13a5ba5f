// A minimal typed event emitter; listeners that throw are isolated so one bad subscriber cannot stop
// the others or the engine.

import type { Unsubscribe } from './transport';

export class Emitter<T> {
  readonly #listeners = new Set<(value: T) => void>();

  on(listener: (value: T) => void): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(value);
      } catch {
        // A subscriber's failure is its own; the event still reaches everyone else.
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
