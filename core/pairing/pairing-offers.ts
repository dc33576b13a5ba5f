// The desktop's outstanding pairing codes. A code is single-use: it is consumed by the first handshake
// that names it, whether or not the proof that follows succeeds, so a leaked or replayed code is worthless.

import { toBase64Url } from '../bytes';
import type { Clock } from '../clock';
import type { CryptoEnv } from '../crypto';
import { PAIRING_TTL_MS } from '../protocol/limits';

export interface PairingOffer {
  pairingId: string;
  secret: Uint8Array;
  expiresAt: number;
}

export type OfferTakeResult =
  | { ok: true; offer: PairingOffer }
  | { ok: false; reason: 'pairing-unknown' | 'pairing-expired' | 'pairing-used' };

/** Remembering spent ids lets a reused code get a precise "already used" answer; bounded like everything. */
const MAX_REMEMBERED = 32;

export class PairingOffers {
  readonly #open = new Map<string, PairingOffer>();
  readonly #spent = new Map<string, 'pairing-expired' | 'pairing-used'>();

  constructor(
    private readonly crypto: CryptoEnv,
    private readonly clock: Clock,
    private readonly ttlMs = PAIRING_TTL_MS,
  ) {}

  issue(): PairingOffer {
    this.#expireOld();
    const offer = {
      pairingId: toBase64Url(this.crypto.randomBytes(8)),
      secret: this.crypto.randomBytes(16),
      expiresAt: this.clock.now() + this.ttlMs,
    };
    this.#open.set(offer.pairingId, offer);
    return offer;
  }

  take(pairingId: string): OfferTakeResult {
    this.#expireOld();
    const offer = this.#open.get(pairingId);
    if (offer) {
      this.#open.delete(pairingId);
      this.#remember(pairingId, 'pairing-used');
      return { ok: true, offer };
    }
    const spent = this.#spent.get(pairingId);
    return { ok: false, reason: spent ?? 'pairing-unknown' };
  }

  /** Withdraws every open code, e.g. when the user closes the pairing screen. */
  cancelAll(): void {
    for (const id of this.#open.keys()) this.#remember(id, 'pairing-expired');
    this.#open.clear();
  }

  get openCount(): number {
    this.#expireOld();
    return this.#open.size;
  }

  #expireOld(): void {
    const now = this.clock.now();
    for (const [id, offer] of this.#open) {
      if (offer.expiresAt <= now) {
        this.#open.delete(id);
        this.#remember(id, 'pairing-expired');
      }
    }
  }

  #remember(id: string, reason: 'pairing-expired' | 'pairing-used'): void {
    this.#spent.set(id, reason);
    while (this.#spent.size > MAX_REMEMBERED) {
      const oldest = this.#spent.keys().next().value;
      if (oldest === undefined) break;
      this.#spent.delete(oldest);
    }
  }
}
