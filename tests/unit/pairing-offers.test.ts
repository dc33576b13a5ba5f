import { describe, expect, it } from 'vitest';
import { PairingOffers } from '../../core/pairing/pairing-offers';
import { ManualClock, nodeCrypto } from '../helpers/node-env';

describe('pairing offers', () => {
  it('issues random one-time codes that expire', () => {
    const clock = new ManualClock();
    const offers = new PairingOffers(nodeCrypto, clock, 60_000);
    const a = offers.issue();
    const b = offers.issue();
    expect(a.pairingId).not.toBe(b.pairingId);
    expect(a.secret).toHaveLength(16);
    expect(a.expiresAt).toBe(clock.now() + 60_000);

    const taken = offers.take(a.pairingId);
    expect(taken.ok && taken.offer.secret).toEqual(a.secret);
    expect(offers.take(a.pairingId)).toEqual({ ok: false, reason: 'pairing-used' });

    clock.advance(60_001);
    expect(offers.take(b.pairingId)).toEqual({ ok: false, reason: 'pairing-expired' });
    expect(offers.take('neverIssued')).toEqual({ ok: false, reason: 'pairing-unknown' });
  });

  it('withdraws open codes on cancel', () => {
    const offers = new PairingOffers(nodeCrypto, new ManualClock());
    const a = offers.issue();
    offers.cancelAll();
    expect(offers.openCount).toBe(0);
    expect(offers.take(a.pairingId).ok).toBe(false);
  });
});
