// Transfer speed and time left, as people expect them: speed over the last few seconds (not since the
// start), and no estimate until the speed has settled.

import type { Clock } from '../clock';

const WINDOW_MS = 3000;
const WARM_UP_MS = 2000;

export interface ProgressFigures {
  bytesPerSecond: number | undefined;
  secondsLeft: number | undefined;
}

export class ProgressMeter {
  readonly #samples: Array<{ at: number; bytes: number }> = [];
  readonly #startedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly total: number,
  ) {
    this.#startedAt = clock.now();
  }

  record(bytesDone: number): void {
    const now = this.clock.now();
    this.#samples.push({ at: now, bytes: bytesDone });
    while (this.#samples.length > 2 && (this.#samples[0]?.at ?? now) < now - WINDOW_MS) this.#samples.shift();
  }

  figures(bytesDone: number): ProgressFigures {
    const now = this.clock.now();
    const first = this.#samples[0];
    if (!first || now - first.at < 250) return { bytesPerSecond: undefined, secondsLeft: undefined };
    const bytesPerSecond = ((bytesDone - first.bytes) * 1000) / (now - first.at);
    const settled = now - this.#startedAt >= WARM_UP_MS && bytesPerSecond > 0;
    return {
      bytesPerSecond,
      secondsLeft: settled ? Math.max(0, (this.total - bytesDone) / bytesPerSecond) : undefined,
    };
  }
}
