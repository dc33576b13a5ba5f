// Replayed handshake messages: what an attacker recorded from an earlier session (or pairing) is useless
// later, in either direction, even on a channel with the very same DTLS fingerprints, because each side's
// fresh nonce goes into the transcript both proofs cover. At the engine level, a replay is refused, the user
// is told, nothing the attacker sends after it is taken, and the real session is not disturbed.

import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/bytes';
import type { EngineNotice } from '../../core/engine/engine';
import { parseControlMessage } from '../../core/protocol/messages';
import { VERIFICATION_FAILED } from '../../core/session/failure-messages';
import { HandshakeError, type ResponderPolicy, runHandshake } from '../../core/session/handshake';
import { MessageQueue } from '../../core/session/message-queue';
import { encodeDataFrame } from '../../core/transfer/data-frame';
import type { DtlsFingerprints } from '../../core/transport';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import {
  type Device,
  device,
  inviteFor,
  PairingOffers,
  pairingPolicy,
  runBoth,
  selfOf,
} from '../helpers/handshake-fixture';
import { connectRaw, eventually, settle } from '../helpers/hostile-peer';
import { MemoryTransport } from '../helpers/memory-network';
import { ManualClock, nodeCrypto } from '../helpers/node-env';

const DESKTOP_PEER = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const PHONE_PEER = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** A new channel whose two ends present exactly the given certificates (as the initiator sees them). */
function channelWith(initiatorView: DtlsFingerprints): [MemoryTransport, MemoryTransport] {
  const initiator = new MemoryTransport(DESKTOP_PEER, true, initiatorView);
  const responder = new MemoryTransport(PHONE_PEER, false, {
    local: initiatorView.remote,
    remote: initiatorView.local,
  });
  initiator.other = responder;
  responder.other = initiator;
  return [initiator, responder];
}

function textFrames(transport: MemoryTransport): string[] {
  return transport.sent.filter((frame): frame is string => typeof frame === 'string');
}

function typeOf(frame: string): string {
  const parsed = parseControlMessage(frame);
  return parsed.ok ? parsed.message.t : 'invalid';
}

function respondOn(transport: MemoryTransport, self: Device, clock: ManualClock, policy: ResponderPolicy) {
  const queue = new MessageQueue(transport);
  return runHandshake({
    role: 'responder',
    policy,
    crypto: nodeCrypto,
    clock,
    self: selfOf(self),
    fingerprints: transport.ownFingerprints,
    channel: { send: (text) => transport.send(text), next: () => queue.next() },
  }).catch((error: unknown) => error);
}

async function sessionPair() {
  const clock = new ManualClock();
  const desktop = await device('Chrome on Linux', DESKTOP_PEER);
  const phone = await device('Android phone', PHONE_PEER);
  const policy = pairingPolicy(
    new PairingOffers(nodeCrypto, clock),
    new Map([[phone.identity.deviceId, phone.identity.publicKey]]),
  );
  const intent = {
    mode: 'session' as const,
    peer: { deviceId: desktop.identity.deviceId, publicKey: desktop.identity.publicKey },
  };
  const first = runBoth({ clock, initiator: phone, responder: desktop, intent, policy });
  const [i, r] = await Promise.all([first.initiator, first.responder]);
  if (!i.ok || !r.ok) throw new Error('the first session failed');
  return { clock, desktop, phone, policy, intent, first };
}

describe('handshake messages replayed from an earlier session', () => {
  it("are refused by the responder even on a channel with the same fingerprints (the responder's nonce is fresh)", async () => {
    const { clock, desktop, policy, first } = await sessionPair();
    const recorded = textFrames(first.channels[0]);
    expect(recorded.map(typeOf)).toEqual(['hello', 'auth']);

    // The attacker somehow presents the very certificates of the first connection, and replays the phone.
    const [attacker, desktopEnd] = channelWith(first.channels[0].ownFingerprints);
    const result = respondOn(desktopEnd, desktop, clock, policy);
    for (const frame of recorded) attacker.send(frame);
    const error = await result;
    expect(error).toBeInstanceOf(HandshakeError);
    expect(error).toMatchObject({ reason: 'bad-proof', byRemote: false });
    expect(textFrames(desktopEnd).map(typeOf)).toEqual(['hello', 'reject']);
  });

  it("are refused by the initiator even on a channel with the same fingerprints (the initiator's nonce is fresh)", async () => {
    const { clock, phone, intent, first } = await sessionPair();
    const recorded = textFrames(first.channels[1]);
    expect(recorded.map(typeOf)).toEqual(['hello', 'auth']);

    // A server answers the phone's next connection with the desktop's recorded hello and proof.
    const [phoneEnd, attacker] = channelWith(first.channels[0].ownFingerprints);
    const queue = new MessageQueue(phoneEnd);
    const result = runHandshake({
      role: 'initiator',
      intent,
      crypto: nodeCrypto,
      clock,
      self: selfOf(phone),
      fingerprints: phoneEnd.ownFingerprints,
      channel: { send: (text) => phoneEnd.send(text), next: () => queue.next() },
    }).catch((error: unknown) => error);
    for (const frame of recorded) attacker.send(frame);
    expect(await result).toMatchObject({ reason: 'bad-proof', byRemote: false });
  });

  it('are refused when a whole pairing is replayed: the code was spent by the first use', async () => {
    const clock = new ManualClock();
    const desktop = await device('Chrome on Linux', DESKTOP_PEER);
    const phone = await device('Android phone', PHONE_PEER);
    const offers = new PairingOffers(nodeCrypto, clock);
    const invite = inviteFor(desktop, offers);
    const first = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: { mode: 'pair', invite },
      policy: pairingPolicy(offers),
    });
    expect((await first.responder).ok).toBe(true);
    const recorded = textFrames(first.channels[0]);

    const [attacker, desktopEnd] = channelWith(first.channels[0].ownFingerprints);
    const result = respondOn(desktopEnd, desktop, clock, pairingPolicy(offers));
    for (const frame of recorded) attacker.send(frame);
    expect(await result).toMatchObject({ reason: 'pairing-used' });
  });
});

const opened: TestDevice[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.engine.close();
});

/** A paired desktop and phone, with one session-mode connection made (the phone dialled the desktop). */
async function pairedWithSession() {
  const hub = new MemoryHub();
  const clock = new ManualClock();
  const desktop = await openDevice(hub, DESKTOP_UA, { clock });
  const phone = await openDevice(hub, PHONE_UA, { clock });
  opened.push(desktop, phone);
  await pairDevices(desktop, phone);
  phone.network().goOffline();
  await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
  phone.network().setStatus('online');
  await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
  await waitFor(phone.engine, (s) => s.devices[0]?.status === 'online');
  // Let the dial's bookkeeping finish before the tests drop the connection again.
  await settle();
  const phoneSide = phone.network().transports.at(-1);
  const desktopSide = desktop.network().transports.at(-1);
  if (!phoneSide || !desktopSide) throw new Error('no session');
  return {
    hub,
    clock,
    desktop,
    phone,
    phoneId: desktop.engine.snapshot().devices[0]?.deviceId ?? '',
    desktopId: phone.engine.snapshot().devices[0]?.deviceId ?? '',
    phoneFrames: textFrames(phoneSide).slice(0, 2),
    desktopFrames: textFrames(desktopSide).slice(0, 2),
  };
}

describe('replays against the engine', () => {
  it("refuses the desktop's recorded handshake replayed to the phone, and the phone says so", async () => {
    const { hub, desktop, phone, desktopFrames } = await pairedWithSession();
    expect(desktopFrames.map(typeOf)).toEqual(['hello', 'auth']);
    const notices: EngineNotice[] = [];
    phone.engine.onNotice((n) => notices.push(n));
    const desktopPeer = desktop.network().localPeerId;
    hub.interceptors.set(desktopPeer, async () => {
      const [phoneEnd, attacker] = channelWith({ local: 'sha-256 01', remote: 'sha-256 02' });
      attacker.onMessage(() => {
        // Answer the phone's hello with what the desktop said last time.
        if (attacker.sent.length === 0) for (const frame of desktopFrames) attacker.send(frame);
      });
      return phoneEnd;
    });
    phone.network().goOffline();
    phone.network().setStatus('online');
    await waitFor(phone.engine, (s) => s.devices[0]?.problem === VERIFICATION_FAILED);
    expect(notices).toContainEqual({ kind: 'verification-failed', name: 'Chrome on Linux' });
    expect(phone.engine.snapshot().devices[0]?.status).not.toBe('online');
  });

  it("refuses the phone's recorded handshake replayed to the desktop, takes nothing sent after it, and keeps the real session", async () => {
    const { hub, desktop, phone, desktopId, phoneFrames } = await pairedWithSession();
    expect(phoneFrames.map(typeOf)).toEqual(['hello', 'auth']);
    const inboxBefore = desktop.engine.inbox().length;
    const attacker = await connectRaw(hub, desktop.network().localPeerId);
    for (const frame of phoneFrames) attacker.send(frame);
    // Pipelined behind the replayed proof, in case the desktop took it.
    attacker.sendJson({
      t: 'item',
      id: 'replayed',
      sentAt: 1,
      item: { kind: 'link', url: 'https://attacker.example/' },
    });
    attacker.send(encodeDataFrame(toBase64Url(new Uint8Array(16)), 0, 0, new Uint8Array(10)));
    // The desktop refuses and keeps the channel only until the dialler has read why, as a dialler does.
    await eventually(() => attacker.messages().some((m) => m.t === 'reject'));
    attacker.close();
    await settle();

    expect(attacker.messages().map((m) => m.t)).toEqual(['hello', 'reject']);
    expect(attacker.messages()[1]).toEqual({ t: 'reject', reason: 'bad-proof' });
    expect(desktop.engine.inbox()).toHaveLength(inboxBefore);
    expect(desktop.engine.snapshot().transfers).toEqual([]);
    // The phone's real session was not replaced, and still delivers.
    expect(desktop.engine.snapshot().devices[0]?.status).toBe('online');
    await phone.engine.sendItem(desktopId, { kind: 'text', text: 'still here' });
    expect(desktop.engine.inbox()[0]?.item).toEqual({ kind: 'text', text: 'still here' });
  });
});
