// A compromised signalling server, at the engine level: it relays both devices through itself (so each
// side sees the relay's DTLS certificate), or answers a device itself with its own key or with another
// device's public key. Pairing and every later session fail closed on both sides, both engines tell their
// user that the connection could not be verified, and nothing but handshake messages crosses the relay.

import { afterEach, describe, expect, it } from 'vitest';
import { fromBase64Url } from '../../core/bytes';
import type { EngineNotice } from '../../core/engine/engine';
import { createIdentity } from '../../core/identity';
import { parseControlMessage } from '../../core/protocol/messages';
import { VERIFICATION_FAILED } from '../../core/session/failure-messages';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { impostorAnswer, recordingRelay, settle } from '../helpers/hostile-peer';
import { ManualClock, nodeCrypto } from '../helpers/node-env';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

/** Devices on a hand-driven clock, so no retry or keepalive fires unless a test moves time on. */
async function twoDevices() {
  const hub = new MemoryHub();
  const clock = new ManualClock();
  const desktop = await openDevice(hub, DESKTOP_UA, { clock });
  const phone = await openDevice(hub, PHONE_UA, { clock });
  opened.push(desktop, phone);
  return { hub, clock, desktop, phone };
}

async function pairedDevices() {
  const devices = await twoDevices();
  await pairDevices(devices.desktop, devices.phone);
  const { desktop, phone } = devices;
  const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
  const desktopId = phone.engine.snapshot().devices[0]?.deviceId ?? '';
  return { ...devices, phoneId, desktopId };
}

function noticesOf(device: TestDevice): EngineNotice[] {
  const notices: EngineNotice[] = [];
  device.engine.onNotice((notice) => notices.push(notice));
  return notices;
}

type Relayed = Array<{ to: 'target' | 'caller'; frame: string | Uint8Array }>;

function typesOf(log: Relayed): string[] {
  return log.map(({ frame }) => {
    if (typeof frame !== 'string') return 'binary';
    const parsed = parseControlMessage(frame);
    return parsed.ok ? parsed.message.t : 'invalid';
  });
}

function storedPublicKey(device: TestDevice): Uint8Array {
  const identity = device.store.data.get('identity') as { publicKey: string } | undefined;
  const key = fromBase64Url(identity?.publicKey ?? '');
  if (!key) throw new Error('no identity');
  return key;
}

describe('a compromised signalling server relaying the devices through itself', () => {
  it('makes pairing fail closed on both sides, each telling its user the connection could not be verified', async () => {
    const { hub, desktop, phone } = await twoDevices();
    const desktopNotices = noticesOf(desktop);
    const phoneNotices = noticesOf(phone);
    const view = desktop.engine.startPairing('http://localhost:9000');
    if (view.state !== 'waiting') throw new Error('no pairing');
    const desktopPeer = desktop.network().localPeerId;
    const relayed: Relayed = [];
    hub.interceptors.set(desktopPeer, (from) =>
      Promise.resolve(recordingRelay(hub, from, desktopPeer, relayed)),
    );

    await expect(phone.engine.pairWith(view.link)).rejects.toThrow(VERIFICATION_FAILED);
    await waitFor(desktop.engine, (s) => s.pairing.state === 'failed');
    await settle();

    expect(phoneNotices).toContainEqual({ kind: 'verification-failed' });
    expect(desktopNotices).toContainEqual({ kind: 'verification-failed' });
    expect(desktop.engine.snapshot().pairing).toEqual({
      state: 'failed',
      error: VERIFICATION_FAILED,
      codeUsed: true,
    });
    expect(desktop.engine.snapshot().devices).toEqual([]);
    expect(phone.engine.snapshot().devices).toEqual([]);
    expect(desktopNotices.some((n) => n.kind === 'paired')).toBe(false);
    expect(phoneNotices.some((n) => n.kind === 'paired')).toBe(false);
    // Only the handshake crossed the relay: the phone's proof was refused before the desktop proved itself.
    expect(typesOf(relayed)).toEqual(['hello', 'hello', 'auth', 'reject']);

    // The attempt spent the code: the relay cannot finish pairing later with what it saw.
    hub.interceptors.clear();
    await expect(phone.engine.pairWith(view.link)).rejects.toThrow(/already used/);
    expect(desktop.engine.snapshot().devices).toEqual([]);
  });

  it('makes a later session of a paired pair fail closed on both sides, and nothing is delivered through it', async () => {
    const { hub, clock, desktop, phone, phoneId } = await pairedDevices();
    const desktopNotices = noticesOf(desktop);
    const phoneNotices = noticesOf(phone);
    const desktopPeer = desktop.network().localPeerId;
    const phonePeer = phone.network().localPeerId;
    const relayed: Relayed = [];
    hub.interceptors.set(desktopPeer, (from) =>
      Promise.resolve(recordingRelay(hub, from, desktopPeer, relayed)),
    );
    hub.interceptors.set(phonePeer, (from) => Promise.resolve(recordingRelay(hub, from, phonePeer, relayed)));

    // The phone loses its connection and comes back: its next session goes through the relay.
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    phone.network().setStatus('online');

    const phoneView = await waitFor(phone.engine, (s) => s.devices[0]?.problem === VERIFICATION_FAILED);
    const desktopView = await waitFor(desktop.engine, (s) => s.devices[0]?.problem === VERIFICATION_FAILED);
    expect(phoneView.devices[0]?.status).not.toBe('online');
    expect(desktopView.devices[0]?.status).not.toBe('online');
    expect(phoneNotices).toContainEqual({ kind: 'verification-failed', name: 'Chrome on Linux' });
    expect(desktopNotices).toContainEqual({ kind: 'verification-failed', name: 'Android phone' });

    // Sending now goes through the relay too; the item is kept back with the reason, not delivered.
    const outcome = await desktop.engine.sendItem(phoneId, { kind: 'text', text: 'the secret' });
    expect(outcome).toEqual({ queued: true, reason: `Android phone: ${VERIFICATION_FAILED}` });
    await settle();
    expect(phone.engine.inbox()).toEqual([]);
    expect(new Set(typesOf(relayed))).toEqual(new Set(['hello', 'auth', 'reject']));
    expect(relayed.some(({ frame }) => typeof frame === 'string' && frame.includes('the secret'))).toBe(
      false,
    );

    // Pairings are kept (the devices did nothing wrong); once the relay is gone the item goes out.
    expect(desktop.engine.snapshot().devices).toHaveLength(1);
    expect(phone.engine.snapshot().devices).toHaveLength(1);
    hub.interceptors.clear();
    clock.advance(3_000);
    await waitFor(phone.engine, (s) => s.inboxSize === 1);
    expect(phone.engine.inbox()[0]?.item).toEqual({ kind: 'text', text: 'the secret' });
    expect(desktop.engine.snapshot().devices[0]?.problem).toBeUndefined();
  });
});

describe('a compromised signalling server answering a paired device itself', () => {
  it('is refused when it answers with its own key', async () => {
    const { hub, desktop, phone } = await pairedDevices();
    const phoneNotices = noticesOf(phone);
    const server = await createIdentity(nodeCrypto);
    const desktopPeer = desktop.network().localPeerId;
    const phoneKey = storedPublicKey(phone);
    const outcomes: Array<Promise<unknown>> = [];
    hub.interceptors.set(desktopPeer, async (from) => {
      const { transport, outcome } = impostorAnswer(
        from,
        desktopPeer,
        { identity: server, profile: { name: 'Chrome on Linux', type: 'desktop' }, peerId: desktopPeer },
        { pinnedKey: () => phoneKey, takeOffer: () => ({ ok: false, reason: 'pairing-unknown' }) },
      );
      outcomes.push(outcome);
      return transport;
    });
    phone.network().goOffline();
    phone.network().setStatus('online');

    await waitFor(phone.engine, (s) => s.devices[0]?.problem === VERIFICATION_FAILED);
    expect(phoneNotices).toContainEqual({ kind: 'verification-failed', name: 'Chrome on Linux' });
    expect(phone.engine.snapshot().devices[0]?.status).not.toBe('online');
    // The phone refused at the impostor's hello and never sent a proof of its own.
    expect(await outcomes[0]).toMatchObject({ reason: 'wrong-device', byRemote: true });
  });

  it("is refused when it presents the desktop's public key without its private key", async () => {
    const { hub, desktop, phone, desktopId } = await pairedDevices();
    const phoneNotices = noticesOf(phone);
    const server = await createIdentity(nodeCrypto);
    const desktopPeer = desktop.network().localPeerId;
    const phoneKey = storedPublicKey(phone);
    const forged = {
      deviceId: desktopId,
      publicKey: storedPublicKey(desktop),
      privateKey: server.privateKey,
    };
    hub.interceptors.set(
      desktopPeer,
      async (from) =>
        impostorAnswer(
          from,
          desktopPeer,
          { identity: forged, profile: { name: 'Chrome on Linux', type: 'desktop' }, peerId: desktopPeer },
          { pinnedKey: () => phoneKey, takeOffer: () => ({ ok: false, reason: 'pairing-unknown' }) },
        ).transport,
    );
    phone.network().goOffline();
    phone.network().setStatus('online');

    await waitFor(phone.engine, (s) => s.devices[0]?.problem === VERIFICATION_FAILED);
    expect(phoneNotices).toContainEqual({ kind: 'verification-failed', name: 'Chrome on Linux' });
    await expect(
      phone.engine.sendItem(desktopId, { kind: 'link', url: 'https://example.com/' }),
    ).resolves.toEqual({ queued: true, reason: `Chrome on Linux: ${VERIFICATION_FAILED}` });
  });
});
