// A compromised signalling server that answers a nearby connection itself and runs its own handshake on
// each leg tries to make both screens show the same verification code, so that two users who compare
// codes believe nobody is in between. With protocol version 1 it could: nothing committed a side to its
// share before it saw the other's, so it picked its nonce on each leg until the two codes agreed (a few
// thousand tries when it answers both devices, about 10^6 when it answers one and dials the other). Now
// the initiator commits to its share before the responder answers: whatever the man in the middle picks,
// it has one guess in 10^6 per handshake, and an initiator that opens another value than it committed to
// is refused as a failed verification.
//
// The attacker below speaks the protocol by hand but computes every hash with the real core functions,
// against two real engines on the in-memory network.

import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/bytes';
import type { EngineNotice } from '../../core/engine/engine';
import { createIdentity, type DeviceIdentity } from '../../core/identity';
import { NEARBY_ANSWER_BURST, NEARBY_ANSWER_INTERVAL_MS, PROTOCOL_VERSION } from '../../core/protocol/limits';
import { type HelloMessage, parseControlMessage } from '../../core/protocol/messages';
import { runHandshake } from '../../core/session/handshake';
import { MessageQueue } from '../../core/session/message-queue';
import { signatureInput, transcriptHash } from '../../core/session/transcript';
import { verificationCode } from '../../core/session/verification-code';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { connectAuthenticated, connectRaw, eventually, settle } from '../helpers/hostile-peer';
import { channelPair, type MemoryTransport } from '../helpers/memory-network';
import { MemoryPresenceHub } from '../helpers/memory-presence';
import { ManualClock, nodeCrypto, realClock } from '../helpers/node-env';

/** Nearby handshakes the attacker opens to one phone in the rationing test. */
const ATTEMPTS = 40;

/**
 * Candidate hellos the attacker may try per leg. Answering both devices, it needs two candidates (one per
 * leg) with the same predicted code: a birthday search, expected after about 1,250 per leg; with 20,000
 * per leg, missing is a chance of e^-400.
 */
const MAX_TRIES_PER_LEG = 20_000;

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function world() {
  const hub = new MemoryHub();
  const presence = new MemoryPresenceHub();
  const desktop = await openDevice(hub, DESKTOP_UA, { presence: { hub: presence, network: 'home' } });
  const phone = await openDevice(hub, PHONE_UA, { presence: { hub: presence, network: 'home' } });
  opened.push(desktop, phone);
  await waitFor(desktop.engine, (s) => s.nearby.length === 1);
  await waitFor(phone.engine, (s) => s.nearby.length === 1);
  return { hub, desktop, phone };
}

function parse(raw: string) {
  const parsed = parseControlMessage(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

/** One connection a victim dialled that the server handed to the attacker, which answers it. */
interface Leg {
  transport: MemoryTransport;
  queue: MessageQueue;
  /** Who the attacker pretends to be on this leg: the device the victim meant to reach. */
  posingAs: { peerId: string; name: string };
  initiatorHello: string;
  hello: HelloMessage;
}

function responderHello(attacker: DeviceIdentity, leg: Pick<Leg, 'posingAs'>): string {
  return JSON.stringify({
    t: 'hello',
    v: PROTOCOL_VERSION,
    mode: 'nearby',
    device: { id: attacker.deviceId, name: leg.posingAs.name, type: 'phone' },
    key: toBase64Url(attacker.publicKey),
    peerId: leg.posingAs.peerId,
    nonce: toBase64Url(nodeCrypto.randomBytes(16)),
  });
}

/**
 * The code the victim will show if the attacker answers with `hello`, computed from everything the
 * attacker has seen of the victim's share when it must answer. In version 1 that was the whole share (the
 * nonce in the victim's hello); now it is a commitment, and the attacker's best guess at the value behind
 * it is as good as any other.
 */
async function predictedCode(leg: Leg, hello: string): Promise<string> {
  const transcript = await transcriptHash(nodeCrypto, {
    mode: 'nearby',
    initiatorHello: leg.initiatorHello,
    responderHello: hello,
    initiatorReveal: leg.hello.commit ?? '',
    initiatorFingerprint: leg.transport.ownFingerprints.remote,
    responderFingerprint: leg.transport.ownFingerprints.local,
  });
  return verificationCode(nodeCrypto, transcript);
}

/** Looks for one answer per leg whose predicted codes agree: a meet-in-the-middle over fresh nonces. */
async function grind(attacker: DeviceIdentity, legs: [Leg, Leg]) {
  const seen: [Map<string, string>, Map<string, string>] = [new Map(), new Map()];
  for (let tries = 1; tries <= MAX_TRIES_PER_LEG; tries++) {
    for (const side of [0, 1] as const) {
      const hello = responderHello(attacker, legs[side]);
      const code = await predictedCode(legs[side], hello);
      seen[side].set(code, hello);
      const other = seen[1 - side]?.get(code);
      if (other !== undefined) {
        const hellos: [string, string] = side === 0 ? [hello, other] : [other, hello];
        return { hellos, code, tries };
      }
    }
  }
  throw new Error(`no two answers with the same predicted code in ${MAX_TRIES_PER_LEG} tries per leg`);
}

/** Completes the responder's side of the handshake after the answer was sent, as the real code would. */
async function finishAsResponder(attacker: DeviceIdentity, leg: Leg, hello: string): Promise<void> {
  leg.transport.send(hello);
  const auth = parse(await leg.queue.next());
  if (auth.t !== 'auth') throw new Error(`expected auth, got ${auth.t}`);
  const transcript = await transcriptHash(nodeCrypto, {
    mode: 'nearby',
    initiatorHello: leg.initiatorHello,
    responderHello: hello,
    // The victim opens its commitment only now, after the attacker's answer went out.
    initiatorReveal: auth.reveal ?? '',
    initiatorFingerprint: leg.transport.ownFingerprints.remote,
    responderFingerprint: leg.transport.ownFingerprints.local,
  });
  const sig = await nodeCrypto.sign(attacker.privateKey, signatureInput('responder', transcript));
  leg.transport.send(JSON.stringify({ t: 'auth', sig: toBase64Url(sig) }));
  // Keep the session alive while the users look at their screens.
  leg.queue.handOver((frame) => {
    if (frame === '{"t":"ping"}') leg.transport.send('{"t":"pong"}');
  });
}

function codeShownFor(device: TestDevice, peerId: string): string | undefined {
  return device.engine.snapshot().nearby.find((n) => n.peerId === peerId)?.verificationCode;
}

describe('a server in the middle of a nearby connection', { timeout: 30_000 }, () => {
  it('cannot make both screens show the same code by grinding its nonces, even answering both devices itself', async () => {
    const { hub, desktop, phone } = await world();
    const desktopPeer = desktop.network().localPeerId;
    const phonePeer = phone.network().localPeerId;
    const attacker = await createIdentity(nodeCrypto);

    // The server hands each device's connection to the other to the attacker.
    const arrived: Array<Promise<Leg>> = [];
    const intercept = (target: TestDevice) => async (from: { localPeerId: string }) => {
      const [victimEnd, attackerEnd] = channelPair(from.localPeerId, target.network().localPeerId);
      const queue = new MessageQueue(attackerEnd);
      const posingAs = { peerId: target.network().localPeerId, name: target.engine.snapshot().self.name };
      arrived.push(
        queue.next().then((initiatorHello) => {
          const hello = parse(initiatorHello);
          if (hello.t !== 'hello') throw new Error(`expected hello, got ${hello.t}`);
          return { transport: attackerEnd, queue, posingAs, initiatorHello, hello };
        }),
      );
      return victimEnd;
    };
    hub.interceptors.set(phonePeer, intercept(phone));
    hub.interceptors.set(desktopPeer, intercept(desktop));

    // Both users tap the other device under Nearby to compare codes.
    const desktopDials = desktop.engine.connectNearby(phonePeer);
    const phoneDials = phone.engine.connectNearby(desktopPeer);
    await eventually(() => arrived.length === 2);
    const [toDesktop, toPhone] = (await Promise.all(arrived)) as [Leg, Leg];

    const search = await grind(attacker, [toDesktop, toPhone]);
    expect(search.tries).toBeLessThanOrEqual(MAX_TRIES_PER_LEG);
    await Promise.all([
      finishAsResponder(attacker, toDesktop, search.hellos[0]),
      finishAsResponder(attacker, toPhone, search.hellos[1]),
    ]);
    await Promise.all([desktopDials, phoneDials]);

    // Both devices took the attacker's handshake (it holds the key it presented), and show a code.
    const onDesktop = codeShownFor(desktop, phonePeer);
    const onPhone = codeShownFor(phone, desktopPeer);
    expect(onDesktop).toMatch(/^\d{3} \d{3}$/);
    expect(onPhone).toMatch(/^\d{3} \d{3}$/);
    // The code the attacker steered for is not what either screen shows, and the two screens disagree:
    // comparing them reveals the attacker (a chance of 10^-6 that they agree by accident).
    expect([onDesktop, onPhone]).not.toContain(search.code);
    expect(onPhone).not.toBe(onDesktop);
  });

  it("cannot pick its share after seeing the other device's: opening another value than the one it committed to is refused, and the device says so", async () => {
    const { hub, phone } = await world();
    const phonePeer = phone.network().localPeerId;
    const notices: EngineNotice[] = [];
    phone.engine.onNotice((notice) => notices.push(notice));

    // The attacker dials the phone with the real initiator code, but once it has seen the phone's nonce it
    // replaces the value it opens (and signs the transcript that value gives) before the auth goes out.
    const attacker = await connectRaw(hub, phonePeer);
    const transport = attacker.transport;
    const queue = new MessageQueue(transport);
    const frames: string[] = [];
    const chosenLater = toBase64Url(nodeCrypto.randomBytes(32));
    const handshake = runHandshake({
      role: 'initiator',
      intent: { mode: 'nearby' },
      crypto: nodeCrypto,
      clock: realClock,
      self: {
        identity: attacker.identity,
        profile: { name: 'Chrome on Linux', type: 'desktop' },
        peerId: attacker.peerId,
      },
      fingerprints: transport.ownFingerprints,
      channel: {
        next: async () => {
          const frame = await queue.next();
          frames.push(frame);
          return frame;
        },
        send: (text) => {
          const message = parse(text);
          if (message.t !== 'auth') {
            frames.push(text);
            transport.send(text);
            return;
          }
          void (async () => {
            const [initiatorHello = '', responderHello = ''] = frames;
            const transcript = await transcriptHash(nodeCrypto, {
              mode: 'nearby',
              initiatorHello,
              responderHello,
              initiatorReveal: chosenLater,
              initiatorFingerprint: transport.ownFingerprints.local,
              responderFingerprint: transport.ownFingerprints.remote,
            });
            const sig = await nodeCrypto.sign(
              attacker.identity.privateKey,
              signatureInput('initiator', transcript),
            );
            transport.send(JSON.stringify({ t: 'auth', sig: toBase64Url(sig), reveal: chosenLater }));
          })();
        },
      },
    }).catch((error: unknown) => error);

    expect(await handshake).toMatchObject({ reason: 'bad-proof', byRemote: true });
    await settle();
    expect(frames.map((frame) => parse(frame).t)).toEqual(['hello', 'hello', 'reject']);
    // No session, and the phone's user is told why, exactly as for any failed verification.
    expect(phone.engine.snapshot().nearby.every((n) => n.status !== 'connected')).toBe(true);
    expect(notices.filter((n) => n.kind === 'verification-failed')).toHaveLength(1);
  });

  it('gets a bounded number of guesses: the phone answers at most a burst of nearby handshakes, then one per interval, and pairing with the QR code is not held back', async () => {
    const hub = new MemoryHub();
    const clock = new ManualClock();
    const phone = await openDevice(hub, PHONE_UA, { clock });
    const desktop = await openDevice(hub, DESKTOP_UA, { clock });
    opened.push(phone, desktop);
    const phonePeer = phone.network().localPeerId;

    // Each handshake the phone answers gives the dialler one code to compare with the one it holds on the
    // other leg, whether it completes the handshake or walks away once it has the phone's nonce.
    const attempt = async (i: number): Promise<string> => {
      if (i % 2 === 0) {
        return connectAuthenticated(hub, phonePeer, { mode: 'nearby' }, { clock }).then(
          ({ peer }) => {
            peer.close();
            return 'answered';
          },
          (error: { reason?: string }) => error.reason ?? 'failed',
        );
      }
      const walker = await connectRaw(hub, phonePeer);
      walker.sendJson({
        t: 'hello',
        v: PROTOCOL_VERSION,
        mode: 'nearby',
        device: { id: walker.identity.deviceId, name: 'Pixel 8', type: 'phone' },
        key: toBase64Url(walker.identity.publicKey),
        peerId: walker.peerId,
        nonce: toBase64Url(nodeCrypto.randomBytes(16)),
        commit: toBase64Url(nodeCrypto.randomBytes(32)),
      });
      await eventually(() => walker.messages().length > 0);
      walker.close();
      const [reply] = walker.messages();
      return reply?.t === 'hello' ? 'answered' : reply?.t === 'reject' ? reply.reason : 'failed';
    };
    const outcomes: string[] = [];
    for (let i = 0; i < ATTEMPTS; i++) outcomes.push(await attempt(i));
    expect(outcomes.filter((o) => o === 'answered')).toHaveLength(NEARBY_ANSWER_BURST);
    expect(outcomes.slice(NEARBY_ANSWER_BURST).every((o) => o === 'busy')).toBe(true);

    // One more per interval, not one more per try.
    clock.advance(NEARBY_ANSWER_INTERVAL_MS);
    expect([await attempt(0), await attempt(0)]).toEqual(['answered', 'busy']);

    // Pairing with the QR code is not rationed.
    await pairDevices(desktop, phone);
    expect(phone.engine.snapshot().devices).toHaveLength(1);
  });
});
