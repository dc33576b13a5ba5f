// A connection whose handshake this device refused stays open until the other side has read the reject
// and hung up, or LAST_WORD_MS at most; one refused by the other side, or already closed, closes at once.

import { describe, expect, it } from 'vitest';
import { HandshakeError } from '../../core/session/handshake';
import { closeAfterHandshakeFailure, LAST_WORD_MS } from '../../core/session/last-word';
import { channelPair } from '../helpers/memory-network';
import { ManualClock } from '../helpers/node-env';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('closing after a failed handshake', () => {
  it('we refused: open until the other side hangs up, then closed', async () => {
    const clock = new ManualClock();
    const [ours, theirs] = channelPair('a', 'b');
    closeAfterHandshakeFailure(ours, new HandshakeError('not-paired', false), clock);
    clock.advance(LAST_WORD_MS - 1);
    expect(ours.isOpen).toBe(true);
    theirs.close();
    await settle();
    expect(ours.isOpen).toBe(false);
  });

  it('we refused and the other side never hangs up: closed after LAST_WORD_MS', () => {
    const clock = new ManualClock();
    const [ours] = channelPair('a', 'b');
    closeAfterHandshakeFailure(ours, new HandshakeError('bad-proof', false), clock);
    clock.advance(LAST_WORD_MS - 1);
    expect(ours.isOpen).toBe(true);
    clock.advance(1);
    expect(ours.isOpen).toBe(false);
  });

  it('the other side refused, the channel closed, or something else failed: closed at once', () => {
    const clock = new ManualClock();
    for (const error of [
      new HandshakeError('not-paired', true),
      new HandshakeError('closed', false),
      new Error('the session could not start'),
    ]) {
      const [ours] = channelPair('a', 'b');
      closeAfterHandshakeFailure(ours, error, clock);
      expect(ours.isOpen).toBe(false);
    }
  });
});
