import { describe, expect, it } from 'vitest';
import { latestOnly } from '../../core/latest-only';
import { ManualClock } from '../helpers/node-env';

describe('latestOnly', () => {
  it('sends the first value at once, then only the newest once per interval', () => {
    const clock = new ManualClock();
    const sent: number[] = [];
    const push = latestOnly<number>(clock, 250, (v) => sent.push(v));
    push(1);
    expect(sent).toEqual([1]);
    push(2);
    push(3);
    clock.advance(249);
    expect(sent).toEqual([1]);
    clock.advance(1);
    expect(sent).toEqual([1, 3]);
    // Nothing new: the timer does not fire again.
    clock.advance(1000);
    expect(sent).toEqual([1, 3]);
    // Long after the last one, a value goes out at once again.
    push(4);
    expect(sent).toEqual([1, 3, 4]);
  });

  it('never sends more than one value per interval under a steady stream', () => {
    const clock = new ManualClock();
    const sentAt: number[] = [];
    const push = latestOnly<number>(clock, 250, () => sentAt.push(clock.now()));
    for (let i = 0; i < 1000; i++) {
      push(i);
      clock.advance(7);
    }
    clock.advance(250);
    const gaps = sentAt.slice(1).map((at, i) => at - (sentAt[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
    expect(sentAt.length).toBeGreaterThan(25);
  });

  it('delivers the last value of a burst, and nothing after cancel', () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const push = latestOnly<string>(clock, 100, (v) => sent.push(v));
    push('a');
    push('b');
    push('c');
    clock.advance(100);
    expect(sent).toEqual(['a', 'c']);
    push('d');
    push.cancel();
    clock.advance(1000);
    expect(sent).toEqual(['a', 'c']);
  });
});
