// Pairing codes under attack, at the engine level: a code works once and for two minutes only, and a
// pairing link altered in any one field (version, peer id, device id, pairing id, secret, expiry) never
// pairs: it is refused when parsed, or the handshake refuses it, and the phone tells its user why. A
// respelling of a field that decodes to the same value is refused as damaged.

import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/bytes';
import type { EngineNotice } from '../../core/engine/engine';
import { createIdentity } from '../../core/identity';
import { parsePairingInvite } from '../../core/pairing/pairing-link';
import { PAIRING_TTL_MS } from '../../core/protocol/limits';
import { VERIFICATION_FAILED } from '../../core/session/failure-messages';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { impostorAnswer, randomPeerId, settle } from '../helpers/hostile-peer';
import { ManualClock, nodeCrypto } from '../helpers/node-env';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const FIELD = { version: 0, peerId: 1, deviceId: 2, pairingId: 3, secret: 4, expires: 5 } as const;

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function setup() {
  const hub = new MemoryHub();
  const clock = new ManualClock();
  const desktop = await openDevice(hub, DESKTOP_UA, { clock });
  const phone = await openDevice(hub, PHONE_UA, { clock });
  opened.push(desktop, phone);
  const view = desktop.engine.startPairing('http://localhost:9000');
  if (view.state !== 'waiting') throw new Error('pairing did not start');
  return { hub, clock, desktop, phone, link: view.link };
}

function fieldsOf(link: string): string[] {
  return (link.split('#pair=')[1] ?? '').split('.');
}

function alter(link: string, field: number, value: string): string {
  const fields = fieldsOf(link);
  fields[field] = value;
  return `${link.split('#pair=')[0]}#pair=${fields.join('.')}`;
}

/** Another spelling of the same bytes: sets a spare bit of the last base64url character. */
function respell(text: string): string {
  const last = B64URL.indexOf(text.at(-1) ?? 'A');
  return text.slice(0, -1) + B64URL.charAt(last | 1);
}

function randomB64(bytes: number): string {
  return toBase64Url(nodeCrypto.randomBytes(bytes));
}

function noticesOf(device: TestDevice): EngineNotice[] {
  const notices: EngineNotice[] = [];
  device.engine.onNotice((notice) => notices.push(notice));
  return notices;
}

function nothingPaired(...devices: TestDevice[]): void {
  for (const device of devices) expect(device.engine.snapshot().devices).toEqual([]);
}

describe('a pairing code', () => {
  it('works once: a second device using the same link is refused and pairs with nothing', async () => {
    const { hub, clock, desktop, phone, link } = await setup();
    await phone.engine.pairWith(link);
    const intruder = await openDevice(hub, PHONE_UA, { clock });
    opened.push(intruder);
    await expect(intruder.engine.pairWith(link)).rejects.toThrow(
      'This pairing code was already used. Show a new code on the desktop and scan it again.',
    );
    expect(desktop.engine.snapshot().devices.map((d) => d.deviceId)).toEqual([
      phone.engine.snapshot().self.deviceId,
    ]);
    nothingPaired(intruder);
  });

  it('works for two minutes only, whatever the phone believes', async () => {
    const { clock, desktop, phone, link } = await setup();
    clock.advance(PAIRING_TTL_MS);
    await expect(phone.engine.pairWith(link)).rejects.toThrow(/expired/);
    expect(desktop.engine.snapshot().pairing).toEqual({ state: 'expired' });
    // A link whose expiry was pushed forward gets past the phone's own check; the desktop enforces its own.
    const extended = alter(link, FIELD.expires, String(Math.ceil((clock.now() + 3_600_000) / 1000)));
    await expect(phone.engine.pairWith(extended)).rejects.toThrow(
      'This pairing code has expired. Show a new code on the desktop and scan it again.',
    );
    nothingPaired(desktop, phone);
  });

  it('is withdrawn when a new one is shown', async () => {
    const { desktop, phone, link } = await setup();
    desktop.engine.startPairing('http://localhost:9000');
    await expect(phone.engine.pairWith(link)).rejects.toThrow(/expired|not valid/);
    nothingPaired(desktop, phone);
  });
});

describe('a pairing link altered in one field', () => {
  it('version: refused when parsed', async () => {
    const { desktop, phone, link } = await setup();
    for (const version of ['2', '0', '', '01']) {
      await expect(phone.engine.pairWith(alter(link, FIELD.version, version))).rejects.toThrow(
        /different version|not a DirectDrop pairing link/,
      );
    }
    expect(desktop.engine.snapshot().pairing.state).toBe('waiting');
    nothingPaired(desktop, phone);
  });

  it('peer id, pointing nowhere: the phone says the desktop is not reachable', async () => {
    const { desktop, phone, link } = await setup();
    await expect(phone.engine.pairWith(alter(link, FIELD.peerId, randomPeerId()))).rejects.toThrow(
      /not reachable/,
    );
    nothingPaired(desktop, phone);
    // The real code was never touched and still pairs.
    await phone.engine.pairWith(link);
    expect(phone.engine.snapshot().devices).toHaveLength(1);
  });

  it('peer id, pointing at an attacker who knows the code and secret: refused, as not the pinned desktop', async () => {
    const { hub, desktop, phone, link } = await setup();
    const parsed = parsePairingInvite(link);
    if (!parsed.ok) throw new Error(parsed.error);
    const { invite } = parsed;
    const attackerPeer = randomPeerId();
    const attacker = await createIdentity(nodeCrypto);
    const outcomes: Array<Promise<unknown>> = [];
    hub.interceptors.set(attackerPeer, async (from) => {
      const { transport, outcome } = impostorAnswer(
        from,
        attackerPeer,
        { identity: attacker, profile: { name: 'Chrome on Linux', type: 'desktop' }, peerId: attackerPeer },
        { pinnedKey: () => undefined, takeOffer: () => ({ ok: true, offer: invite }) },
      );
      outcomes.push(outcome);
      return transport;
    });
    const notices = noticesOf(phone);
    await expect(phone.engine.pairWith(alter(link, FIELD.peerId, attackerPeer))).rejects.toThrow(
      VERIFICATION_FAILED,
    );
    expect(notices).toContainEqual({ kind: 'verification-failed' });
    expect(await outcomes[0]).toMatchObject({ reason: 'wrong-device', byRemote: true });
    nothingPaired(desktop, phone);
  });

  it.each([
    ['another device id', () => randomB64(16)],
    ['the same device id spelled differently', (id: string) => respell(id)],
  ])('device id (%s): refused, as a different device answers', async (_, change) => {
    const { desktop, phone, link } = await setup();
    const altered = alter(link, FIELD.deviceId, change(fieldsOf(link)[FIELD.deviceId] ?? ''));
    expect(altered).not.toBe(link);
    const phoneNotices = noticesOf(phone);
    const desktopNotices = noticesOf(desktop);
    await expect(phone.engine.pairWith(altered)).rejects.toThrow(VERIFICATION_FAILED);
    await waitFor(desktop.engine, (s) => s.pairing.state === 'failed');
    await settle();
    expect(phoneNotices).toContainEqual({ kind: 'verification-failed' });
    expect(desktopNotices).toContainEqual({ kind: 'verification-failed' });
    nothingPaired(desktop, phone);
  });

  it.each([
    ['another pairing id', () => randomB64(8)],
    ['the same pairing id spelled differently', (id: string) => respell(id)],
  ])('pairing id (%s): refused as unknown', async (_, change) => {
    const { desktop, phone, link } = await setup();
    const altered = alter(link, FIELD.pairingId, change(fieldsOf(link)[FIELD.pairingId] ?? ''));
    expect(altered).not.toBe(link);
    await expect(phone.engine.pairWith(altered)).rejects.toThrow(
      'This pairing code is not valid any more. Show a new code on the desktop and scan it again.',
    );
    nothingPaired(desktop, phone);
  });

  it('secret: refused as unverifiable, and the attempt spends the code', async () => {
    const { desktop, phone, link } = await setup();
    const phoneNotices = noticesOf(phone);
    await expect(phone.engine.pairWith(alter(link, FIELD.secret, randomB64(16)))).rejects.toThrow(
      VERIFICATION_FAILED,
    );
    expect(phoneNotices).toContainEqual({ kind: 'verification-failed' });
    await waitFor(desktop.engine, (s) => s.pairing.state === 'failed');
    expect(desktop.engine.snapshot().pairing).toEqual({
      state: 'failed',
      error: VERIFICATION_FAILED,
      codeUsed: true,
    });
    await expect(phone.engine.pairWith(link)).rejects.toThrow(/already used/);
    nothingPaired(desktop, phone);
  });

  it('secret or expiry respelled to decode to the same value: refused as damaged', async () => {
    const { desktop, phone, link } = await setup();
    const secret = fieldsOf(link)[FIELD.secret] ?? '';
    const expires = fieldsOf(link)[FIELD.expires] ?? '';
    for (const altered of [
      alter(link, FIELD.secret, respell(secret)),
      alter(link, FIELD.expires, `0${expires}`),
    ]) {
      expect(altered).not.toBe(link);
      expect(parsePairingInvite(altered)).toEqual({
        ok: false,
        error: 'This pairing link is damaged or incomplete. Show a new code on the desktop.',
      });
      await expect(phone.engine.pairWith(altered)).rejects.toThrow(/damaged or incomplete/);
    }
    expect(desktop.engine.snapshot().pairing.state).toBe('waiting');
    nothingPaired(desktop, phone);
  });

  it('expiry moved into the past: refused by the phone before it connects', async () => {
    const { clock, desktop, phone, link } = await setup();
    const past = alter(link, FIELD.expires, String(Math.floor(clock.now() / 1000) - 1));
    await expect(phone.engine.pairWith(past)).rejects.toThrow(/expired/);
    expect(desktop.engine.snapshot().pairing.state).toBe('waiting');
    nothingPaired(desktop, phone);
  });
});
