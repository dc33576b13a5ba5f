import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/bytes';
import { parseControlMessage } from '../../core/protocol/messages';
import { HandshakeError } from '../../core/session/handshake';
import { device, inviteFor, PairingOffers, pairingPolicy, runBoth } from '../helpers/handshake-fixture';
import { channelPair } from '../helpers/memory-network';
import { ManualClock, nodeCrypto } from '../helpers/node-env';

const DESKTOP_PEER = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const PHONE_PEER = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

async function pairSetup() {
  const clock = new ManualClock();
  const desktop = await device('Chrome on Linux', DESKTOP_PEER);
  const phone = await device('Android phone', PHONE_PEER);
  const offers = new PairingOffers(nodeCrypto, clock);
  return { clock, desktop, phone, offers };
}

describe('pairing handshake', () => {
  it('pairs: both sides learn and pin the other key and agree on the transcript', async () => {
    const { clock, desktop, phone, offers } = await pairSetup();
    const invite = inviteFor(desktop, offers);
    const run = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: { mode: 'pair', invite },
      policy: pairingPolicy(offers),
    });
    const [i, r] = await Promise.all([run.initiator, run.responder]);
    if (!i.ok || !r.ok)
      throw new Error(`handshake failed: ${!i.ok ? i.error.message : ''} ${!r.ok ? r.error.message : ''}`);
    expect(i.value.peer.deviceId).toBe(desktop.identity.deviceId);
    expect(i.value.peer.publicKey).toEqual(desktop.identity.publicKey);
    expect(i.value.peer.profile.name).toBe('Chrome on Linux');
    expect(r.value.peer.deviceId).toBe(phone.identity.deviceId);
    expect(r.value.peer.publicKey).toEqual(phone.identity.publicKey);
    expect(r.value.peer.peerId).toBe(PHONE_PEER);
    expect(toBase64Url(i.value.transcript)).toBe(toBase64Url(r.value.transcript));
    expect(i.value.mode).toBe('pair');
  });

  it('rejects an expired pairing secret', async () => {
    const { clock, desktop, phone, offers } = await pairSetup();
    const invite = inviteFor(desktop, offers);
    clock.advance(2 * 60 * 1000 + 1);
    const run = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: { mode: 'pair', invite },
      policy: pairingPolicy(offers),
    });
    const [i, r] = await Promise.all([run.initiator, run.responder]);
    expect(r.ok).toBe(false);
    expect(!i.ok && i.error).toMatchObject({ reason: 'pairing-expired', byRemote: true });
  });

  it('rejects a reused pairing secret, even after a successful pairing', async () => {
    const { clock, desktop, phone, offers } = await pairSetup();
    const invite = inviteFor(desktop, offers);
    const first = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: { mode: 'pair', invite },
      policy: pairingPolicy(offers),
    });
    expect((await first.initiator).ok).toBe(true);
    const intruder = await device('Intruder', 'cccccccccccccccccccccccccccccccc');
    const second = runBoth({
      clock,
      initiator: intruder,
      responder: desktop,
      intent: { mode: 'pair', invite },
      policy: pairingPolicy(offers),
    });
    const [i, r] = await Promise.all([second.initiator, second.responder]);
    expect(!i.ok && i.error).toMatchObject({ reason: 'pairing-used', byRemote: true });
    expect(!r.ok && r.error).toMatchObject({ reason: 'pairing-used', byRemote: false });
  });

  it('rejects a phone that does not know the secret (a guessed or altered code)', async () => {
    const { clock, desktop, phone, offers } = await pairSetup();
    const invite = inviteFor(desktop, offers);
    const wrongSecret = { ...invite, secret: new Uint8Array(16).fill(7) };
    const run = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: { mode: 'pair', invite: wrongSecret },
      policy: pairingPolicy(offers),
    });
    const [i, r] = await Promise.all([run.initiator, run.responder]);
    expect(!r.ok && r.error).toMatchObject({ reason: 'bad-proof', byRemote: false });
    expect(!i.ok && i.error).toMatchObject({ reason: 'bad-proof', byRemote: true });
    // The code was spent by the failed attempt.
    expect(offers.take(invite.pairingId)).toEqual({ ok: false, reason: 'pairing-used' });
  });

  it('rejects a desktop whose key does not match the one pinned by the QR code', async () => {
    const { clock, desktop, phone, offers } = await pairSetup();
    const impostor = await device('Impostor', DESKTOP_PEER);
    const invite = inviteFor(desktop, offers);
    const run = runBoth({
      clock,
      initiator: phone,
      responder: impostor,
      intent: { mode: 'pair', invite },
      policy: pairingPolicy(offers),
    });
    const i = await run.initiator;
    expect(!i.ok && i.error).toMatchObject({ reason: 'wrong-device', byRemote: false });
  });

  it('fails closed when the two sides see different DTLS fingerprints (a relay in the middle)', async () => {
    const { clock, desktop, phone, offers } = await pairSetup();
    const invite = inviteFor(desktop, offers);
    const [a, b] = channelPair(PHONE_PEER, DESKTOP_PEER);
    // The relay presents its own certificate to each side: each sees a different "remote" fingerprint.
    const run = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: { mode: 'pair', invite },
      policy: pairingPolicy(offers),
      channels: [a, b],
      fingerprints: {
        initiator: { local: a.ownFingerprints.local, remote: 'sha-256 AA:BB' },
        responder: { local: b.ownFingerprints.local, remote: 'sha-256 CC:DD' },
      },
    });
    const [i, r] = await Promise.all([run.initiator, run.responder]);
    expect(!r.ok && r.error).toMatchObject({ reason: 'bad-proof' });
    expect(i.ok).toBe(false);
  });
});

describe('session handshake', () => {
  async function paired() {
    const { clock, desktop, phone } = await pairSetup();
    return { clock, desktop, phone };
  }

  it('authenticates two paired devices by their pinned keys', async () => {
    const { clock, desktop, phone } = await paired();
    const pinned = new Map([[phone.identity.deviceId, phone.identity.publicKey]]);
    const run = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: {
        mode: 'session',
        peer: { deviceId: desktop.identity.deviceId, publicKey: desktop.identity.publicKey },
      },
      policy: pairingPolicy(new PairingOffers(nodeCrypto, clock), pinned),
    });
    const [i, r] = await Promise.all([run.initiator, run.responder]);
    expect(i.ok && i.value.mode).toBe('session');
    expect(r.ok && r.value.peer.deviceId).toBe(phone.identity.deviceId);
  });

  it('refuses a device that is not (or no longer) paired', async () => {
    const { clock, desktop, phone } = await paired();
    const run = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: {
        mode: 'session',
        peer: { deviceId: desktop.identity.deviceId, publicKey: desktop.identity.publicKey },
      },
      policy: pairingPolicy(new PairingOffers(nodeCrypto, clock)),
    });
    const [i, r] = await Promise.all([run.initiator, run.responder]);
    expect(!r.ok && r.error).toMatchObject({ reason: 'not-paired', byRemote: false });
    expect(!i.ok && i.error).toMatchObject({ reason: 'not-paired', byRemote: true });
  });

  it('refuses a device presenting another key under a paired id', async () => {
    const { clock, desktop, phone } = await paired();
    const other = await device('Other', PHONE_PEER);
    // Claim the paired phone's id with a different key: the id no longer hashes from the key.
    const forged = { ...other, identity: { ...other.identity, deviceId: phone.identity.deviceId } };
    const pinned = new Map([[phone.identity.deviceId, phone.identity.publicKey]]);
    const run = runBoth({
      clock,
      initiator: forged,
      responder: desktop,
      intent: {
        mode: 'session',
        peer: { deviceId: desktop.identity.deviceId, publicKey: desktop.identity.publicKey },
      },
      policy: pairingPolicy(new PairingOffers(nodeCrypto, clock), pinned),
    });
    const r = await run.responder;
    expect(!r.ok && r.error).toMatchObject({ reason: 'bad-proof' });
  });

  it('does not accept handshake messages replayed from an earlier session', async () => {
    const { clock, desktop, phone } = await paired();
    const pinned = new Map([[phone.identity.deviceId, phone.identity.publicKey]]);
    const policy = pairingPolicy(new PairingOffers(nodeCrypto, clock), pinned);
    const intent = {
      mode: 'session' as const,
      peer: { deviceId: desktop.identity.deviceId, publicKey: desktop.identity.publicKey },
    };
    const first = runBoth({ clock, initiator: phone, responder: desktop, intent, policy });
    expect((await first.responder).ok).toBe(true);
    const recorded = first.channels[0].sent.filter((f): f is string => typeof f === 'string');
    expect(recorded.map((f) => (parseControlMessage(f) as { message: { t: string } }).message.t)).toEqual([
      'hello',
      'auth',
    ]);

    // An attacker replays the phone's recorded hello and auth on a new channel to the desktop.
    const [attacker, desktopEnd] = channelPair(PHONE_PEER, DESKTOP_PEER);
    const { MessageQueue } = await import('../../core/session/message-queue');
    const { runHandshake } = await import('../../core/session/handshake');
    const queue = new MessageQueue(desktopEnd);
    const result = runHandshake({
      role: 'responder',
      policy,
      crypto: nodeCrypto,
      clock,
      self: { identity: desktop.identity, profile: { name: 'd', type: 'desktop' }, peerId: DESKTOP_PEER },
      fingerprints: desktopEnd.ownFingerprints,
      channel: { send: (t) => desktopEnd.send(t), next: () => queue.next() },
    }).catch((e: unknown) => e);
    for (const frame of recorded) attacker.send(frame);
    const error = await result;
    expect(error).toBeInstanceOf(HandshakeError);
    expect(error).toMatchObject({ reason: 'bad-proof' });
  });

  it('drops binary data sent before authentication', async () => {
    const { clock, desktop, phone } = await paired();
    const [a, b] = channelPair(PHONE_PEER, DESKTOP_PEER);
    const { MessageQueue } = await import('../../core/session/message-queue');
    const { runHandshake } = await import('../../core/session/handshake');
    const queue = new MessageQueue(b);
    const result = runHandshake({
      role: 'responder',
      policy: pairingPolicy(
        new PairingOffers(nodeCrypto, clock),
        new Map([[phone.identity.deviceId, phone.identity.publicKey]]),
      ),
      crypto: nodeCrypto,
      clock,
      self: { identity: desktop.identity, profile: { name: 'd', type: 'desktop' }, peerId: DESKTOP_PEER },
      fingerprints: b.ownFingerprints,
      channel: { send: (t) => b.send(t), next: () => queue.next() },
    }).catch((e: unknown) => e);
    a.send(new Uint8Array([1, 2, 3]));
    expect(await result).toMatchObject({ reason: 'protocol', message: 'binary data before authentication' });
  });

  it('gives up when the peer never answers', async () => {
    const { clock, desktop, phone } = await paired();
    const [, b] = channelPair(PHONE_PEER, DESKTOP_PEER);
    const { MessageQueue } = await import('../../core/session/message-queue');
    const { runHandshake } = await import('../../core/session/handshake');
    const queue = new MessageQueue(b);
    const result = runHandshake({
      role: 'responder',
      policy: pairingPolicy(new PairingOffers(nodeCrypto, clock)),
      crypto: nodeCrypto,
      clock,
      self: { identity: desktop.identity, profile: { name: 'd', type: 'desktop' }, peerId: DESKTOP_PEER },
      fingerprints: b.ownFingerprints,
      channel: { send: (t) => b.send(t), next: () => queue.next() },
    }).catch((e: unknown) => e);
    clock.advance(15_001);
    expect(await result).toMatchObject({ reason: 'timeout' });
    void phone;
  });
});

describe('handshake across protocol versions', () => {
  it('refuses a version 1 hello (no commitment) with "version", and still sends every field a version 1 device reads', async () => {
    const clock = new ManualClock();
    const desktop = await device('Chrome on Linux', DESKTOP_PEER);
    const phone = await device('Android phone', PHONE_PEER);
    const [a, b] = channelPair(PHONE_PEER, DESKTOP_PEER);
    const { MessageQueue } = await import('../../core/session/message-queue');
    const { runHandshake } = await import('../../core/session/handshake');
    const queue = new MessageQueue(b);
    const result = runHandshake({
      role: 'responder',
      policy: { ...pairingPolicy(new PairingOffers(nodeCrypto, clock)), acceptsNearby: () => true },
      crypto: nodeCrypto,
      clock,
      self: { identity: desktop.identity, profile: { name: 'd', type: 'desktop' }, peerId: DESKTOP_PEER },
      fingerprints: b.ownFingerprints,
      channel: { send: (t) => b.send(t), next: () => queue.next() },
    }).catch((e: unknown) => e);
    const replies: string[] = [];
    a.onMessage((frame) => typeof frame === 'string' && replies.push(frame));
    a.send(
      JSON.stringify({
        t: 'hello',
        v: 1,
        mode: 'nearby',
        device: { id: phone.identity.deviceId, name: 'Android phone', type: 'phone' },
        key: toBase64Url(phone.identity.publicKey),
        peerId: PHONE_PEER,
        nonce: toBase64Url(nodeCrypto.randomBytes(16)),
      }),
    );
    expect(await result).toMatchObject({ reason: 'version', byRemote: false });
    expect(replies).toEqual(['{"t":"reject","reason":"version"}']);

    // A version 2 initiator's hello keeps the version 1 fields (a 16-byte nonce among them), so a version 1
    // responder parses it and answers "version" too, instead of "protocol".
    const run = runBoth({
      clock,
      initiator: phone,
      responder: desktop,
      intent: { mode: 'nearby' },
      policy: { ...pairingPolicy(new PairingOffers(nodeCrypto, clock)), acceptsNearby: () => true },
    });
    expect((await run.initiator).ok).toBe(true);
    const first = parseControlMessage(run.channels[0].sent[0] as string);
    expect(first.ok && first.message).toMatchObject({
      t: 'hello',
      v: 2,
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      commit: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });
});
