import { describe, expect, it } from 'vitest';
import { buildPairingLink, type PairingInvite, parsePairingInvite } from '../../core/pairing/pairing-link';

const invite: PairingInvite = {
  peerId: '0123456789abcdef0123456789abcdef',
  deviceId: 'AbCdEfGhIjKlMnOpQrStUv',
  pairingId: 'pAiRiNgId_-',
  secret: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
  expiresAt: 1_700_000_120_000,
};

describe('pairing link', () => {
  it('keeps every secret in the fragment and round-trips', () => {
    const link = buildPairingLink('https://192.168.1.20:9443/', invite);
    const url = new URL(link);
    expect(url.origin).toBe('https://192.168.1.20:9443');
    expect(url.pathname).toBe('/');
    expect(url.search).toBe('');
    expect(url.hash.startsWith('#pair=1.')).toBe(true);
    const parsed = parsePairingInvite(link);
    expect(parsed).toEqual({ ok: true, invite });
  });

  it('rejects a link altered in any field', () => {
    const link = buildPairingLink('http://localhost:9000', invite);
    const [base, fragment = ''] = link.split('#pair=');
    const fields = fragment.split('.');
    const mutations = [
      ['2', ...fields.slice(1)],
      [...fields.slice(0, 1), 'NOT-HEX!', ...fields.slice(2)],
      [...fields.slice(0, 2), 'short', ...fields.slice(3)],
      [...fields.slice(0, 3), 'x', ...fields.slice(4)],
      [...fields.slice(0, 4), 'tooshort', ...fields.slice(5)],
      [...fields.slice(0, 5), 'soon'],
      fields.slice(0, 5),
      [...fields, 'extra'],
    ];
    for (const mutated of mutations) {
      const result = parsePairingInvite(`${base}#pair=${mutated.join('.')}`);
      expect(result.ok, mutated.join('.')).toBe(false);
    }
    expect(parsePairingInvite('https://example.com/#other=1')).toEqual({
      ok: false,
      error: 'This is not a DirectDrop pairing link.',
    });
  });
});
