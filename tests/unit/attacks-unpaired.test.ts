// Devices that are not paired (never were, or were unpaired) get nothing in: whatever they send, with or
// without a handshake (items, offers, data frames, floods), the engine's inbox, transfers, outbox and file
// store stay untouched, nothing is announced to the user, and the connection is closed. Binary data before
// authentication closes the connection at once.

import { afterEach, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../../core/bytes';
import type { EngineNotice } from '../../core/engine/engine';
import type { FileEnv } from '../../core/engine/transfer-center';
import type { DeviceIdentity } from '../../core/identity';
import { createIdentity } from '../../core/identity';
import { PROTOCOL_VERSION } from '../../core/protocol/limits';
import { encodeDataFrame } from '../../core/transfer/data-frame';
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
  connectAuthenticated,
  connectRaw,
  eventually,
  type HostilePeer,
  pairHostile,
  settle,
} from '../helpers/hostile-peer';
import { nodeCrypto } from '../helpers/node-env';
import { MemoryStore } from '../helpers/transfer-harness';

const TRANSFER_ID = toBase64Url(new Uint8Array(16).fill(3));

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

function filesEnv(store: MemoryStore): FileEnv {
  return { store, sourceFor: () => undefined };
}

async function desktopWithFiles(hub = new MemoryHub()) {
  const store = new MemoryStore();
  const desktop = await openDevice(hub, DESKTOP_UA, { files: filesEnv(store) });
  opened.push(desktop);
  const notices: EngineNotice[] = [];
  desktop.engine.onNotice((notice) => notices.push(notice));
  return { hub, desktop, store, notices, peerId: desktop.network().localPeerId };
}

/** Everything an unpaired device could hope to plant, as one burst of frames. */
function payloads(): Array<string | Uint8Array> {
  return [
    JSON.stringify({
      t: 'item',
      id: 'planted',
      sentAt: 1,
      item: { kind: 'link', url: 'https://evil.example/' },
    }),
    JSON.stringify({ t: 'offer', id: TRANSFER_ID, files: [{ name: 'evil.exe', size: 10, type: '' }] }),
    JSON.stringify({
      t: 'offer',
      id: TRANSFER_ID,
      files: [{ name: 'evil.exe', size: 10, type: '' }],
      resume: true,
    }),
    encodeDataFrame(TRANSFER_ID, 0, 0, new Uint8Array(10).fill(0x41)),
    JSON.stringify({ t: 'file-end', id: TRANSFER_ID, file: 0, sha256: 'A'.repeat(43) }),
    JSON.stringify({ t: 'profile', name: 'Your bank', type: 'desktop' }),
    JSON.stringify({ t: 'unpair' }),
  ];
}

function expectUntouched(desktop: TestDevice, store: MemoryStore, notices: EngineNotice[], pairedCount = 0) {
  const snapshot = desktop.engine.snapshot();
  expect(desktop.engine.inbox()).toEqual([]);
  expect(snapshot.transfers).toEqual([]);
  expect(snapshot.outbox).toEqual([]);
  expect(snapshot.devices).toHaveLength(pairedCount);
  expect(store.files.size).toBe(0);
  expect(store.completed.size).toBe(0);
  expect(desktop.store.data.get('incoming') ?? []).toEqual([]);
  expect(notices.filter((n) => n.kind === 'item-received' || n.kind === 'transfer-offered')).toEqual([]);
}

function pairingIdOf(link: string): string {
  return (link.split('#pair=')[1] ?? '').split('.')[3] ?? '';
}

function helloFrom(identity: DeviceIdentity, peerId: string, mode: 'session' | 'pair', extra: object = {}) {
  return JSON.stringify({
    t: 'hello',
    v: PROTOCOL_VERSION,
    mode,
    device: { id: identity.deviceId, name: 'Android phone', type: 'phone' },
    key: toBase64Url(identity.publicKey),
    peerId,
    nonce: toBase64Url(nodeCrypto.randomBytes(16)),
    // An initiator's hello commits to its share; what it committed to never matters here.
    commit: toBase64Url(nodeCrypto.randomBytes(32)),
    ...extra,
  });
}

async function closedAndSettled(peer: HostilePeer) {
  await eventually(() => !peer.isOpen);
  await settle();
}

describe('a device that never paired', () => {
  it('a stranger naming an unknown pairing code, or a hello that does not match its key, neither fails the pairing panel nor raises a warning', async () => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const view = desktop.engine.startPairing('http://localhost:9000');
    if (view.state !== 'waiting') throw new Error('no pairing');
    const identity = await createIdentity(nodeCrypto);
    const guesser = await connectRaw(hub, peerId, { identity });
    guesser.send(helloFrom(identity, guesser.peerId, 'pair', { pairingId: 'AAAAAAAAAAA' }));
    await closedAndSettled(guesser);
    expect(guesser.messages()).toEqual([{ t: 'reject', reason: 'pairing-unknown' }]);

    const other = await createIdentity(nodeCrypto);
    const liar = await connectRaw(hub, peerId, { identity });
    liar.send(
      helloFrom(identity, liar.peerId, 'session', {
        device: { id: other.deviceId, name: 'x', type: 'phone' },
      }),
    );
    await closedAndSettled(liar);
    expect(liar.messages()).toEqual([{ t: 'reject', reason: 'bad-proof' }]);

    expect(desktop.engine.snapshot().pairing.state).toBe('waiting');
    expect(notices.filter((n) => n.kind === 'verification-failed')).toEqual([]);
    expectUntouched(desktop, store, notices);
  });

  it.each([
    ['an item', 0, 'protocol'],
    ['an offer', 1, 'protocol'],
    ['a file end', 4, 'protocol'],
  ])('sending %s instead of a handshake is refused and nothing is kept', async (_, index, reason) => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const attacker = await connectRaw(hub, peerId);
    const burst = payloads();
    attacker.send(burst[index] ?? '');
    for (const frame of burst) attacker.send(frame);
    await closedAndSettled(attacker);
    expect(attacker.messages()).toEqual([{ t: 'reject', reason }]);
    expectUntouched(desktop, store, notices);
  });

  it('sending binary data before its hello is cut off: the hello behind it is never read', async () => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const view = desktop.engine.startPairing('http://localhost:9000');
    if (view.state !== 'waiting') throw new Error('no pairing');
    const identity = await createIdentity(nodeCrypto);
    const attacker = await connectRaw(hub, peerId, { identity });
    attacker.send(encodeDataFrame(TRANSFER_ID, 0, 0, new Uint8Array(10)));
    attacker.send(helloFrom(identity, attacker.peerId, 'pair', { pairingId: pairingIdOf(view.link) }));
    for (const frame of payloads()) attacker.send(frame);
    await closedAndSettled(attacker);
    expect(attacker.messages()).toEqual([{ t: 'reject', reason: 'protocol' }]);
    expectUntouched(desktop, store, notices);
    // The code named by the unread hello was not spent.
    const phone = await openDevice(hub, PHONE_UA);
    opened.push(phone);
    await phone.engine.pairWith(view.link);
    expect(phone.engine.snapshot().devices).toHaveLength(1);
  });

  it('sending binary data between its hello and its proof is cut off before the proof is read', async () => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const view = desktop.engine.startPairing('http://localhost:9000');
    if (view.state !== 'waiting') throw new Error('no pairing');
    const identity = await createIdentity(nodeCrypto);
    const attacker = await connectRaw(hub, peerId, { identity });
    attacker.send(helloFrom(identity, attacker.peerId, 'pair', { pairingId: pairingIdOf(view.link) }));
    attacker.send(encodeDataFrame(TRANSFER_ID, 0, 0, new Uint8Array(10)));
    attacker.sendJson({ t: 'auth', sig: 'A'.repeat(86), mac: 'A'.repeat(43) });
    for (const frame of payloads()) attacker.send(frame);
    await closedAndSettled(attacker);
    expect(attacker.messages().map((m) => m.t)).toEqual(['hello', 'reject']);
    expect(attacker.messages()[1]).toEqual({ t: 'reject', reason: 'protocol' });
    expectUntouched(desktop, store, notices);
  });

  it('claiming a session with a key of its own is refused as not paired; what it sent behind the hello is dropped', async () => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const identity = await createIdentity(nodeCrypto);
    const attacker = await connectRaw(hub, peerId, { identity });
    attacker.send(helloFrom(identity, attacker.peerId, 'session'));
    for (const frame of payloads()) attacker.send(frame);
    await closedAndSettled(attacker);
    expect(attacker.messages()).toEqual([{ t: 'reject', reason: 'not-paired' }]);
    expectUntouched(desktop, store, notices);
  });

  it('running the real handshake as a paired device would is refused as not paired', async () => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const desktopIdentity = desktop.store.data.get('identity') as { deviceId: string; publicKey: string };
    const attempt = connectAuthenticated(hub, peerId, {
      mode: 'session',
      peer: {
        deviceId: desktopIdentity.deviceId,
        publicKey: fromBase64Url(desktopIdentity.publicKey) ?? new Uint8Array(),
      },
    });
    await expect(attempt).rejects.toMatchObject({ reason: 'not-paired', byRemote: true });
    await settle();
    expectUntouched(desktop, store, notices);
  });

  it('asking to pair with a code it does not have is refused; the code on screen keeps working', async () => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const view = desktop.engine.startPairing('http://localhost:9000');
    const identity = await createIdentity(nodeCrypto);
    const attacker = await connectRaw(hub, peerId, { identity });
    attacker.send(helloFrom(identity, attacker.peerId, 'pair', { pairingId: 'AAAAAAAAAAA' }));
    for (const frame of payloads()) attacker.send(frame);
    await closedAndSettled(attacker);
    expect(attacker.messages()).toEqual([{ t: 'reject', reason: 'pairing-unknown' }]);
    expectUntouched(desktop, store, notices);
    const phone = await openDevice(hub, PHONE_UA);
    opened.push(phone);
    if (view.state !== 'waiting') throw new Error('no pairing');
    await phone.engine.pairWith(view.link);
    expect(phone.engine.snapshot().devices).toHaveLength(1);
  });

  it('flooding frames before its handshake is done is cut off before the desktop answers', async () => {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const identity = await createIdentity(nodeCrypto);
    const attacker = await connectRaw(hub, peerId, { identity });
    attacker.send(helloFrom(identity, attacker.peerId, 'session'));
    for (let i = 0; i < 200; i++) attacker.send('{"t":"ping"}');
    await closedAndSettled(attacker);
    // The desktop's queue of unread frames is bounded: it closed the channel before even saying hello.
    expect(attacker.received).toEqual([]);
    expectUntouched(desktop, store, notices);
  });
});

describe('a device that was unpaired', () => {
  /** A paired desktop and phone; returns the phone's identity as a modified client would hold it. */
  async function pairedThenForgotten() {
    const { hub, desktop, store, notices, peerId } = await desktopWithFiles();
    const phone = await openDevice(hub, PHONE_UA);
    opened.push(phone);
    await pairDevices(desktop, phone);
    const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    await desktop.engine.unpair(phoneId);
    const stored = phone.store.data.get('identity') as {
      deviceId: string;
      publicKey: string;
      privateKey: unknown;
    };
    const identity: DeviceIdentity = {
      deviceId: stored.deviceId,
      publicKey: fromBase64Url(stored.publicKey) ?? new Uint8Array(),
      privateKey: stored.privateKey,
    };
    const desktopKey = (phone.store.data.get('pairings') as Array<{ publicKey: string }>)[0]?.publicKey ?? '';
    return { hub, desktop, store, notices, peerId, identity, desktopKey: fromBase64Url(desktopKey) };
  }

  it('is refused as not paired even with its real key, and nothing it sends afterwards is kept', async () => {
    const { hub, desktop, store, notices, peerId, identity, desktopKey } = await pairedThenForgotten();
    const attempt = connectAuthenticated(
      hub,
      peerId,
      {
        mode: 'session',
        peer: {
          deviceId: desktop.engine.snapshot().self.deviceId,
          publicKey: desktopKey ?? new Uint8Array(),
        },
      },
      { identity },
    );
    await expect(attempt).rejects.toMatchObject({ reason: 'not-paired', byRemote: true });
    // A modified client that ignores the refusal and sends anyway, on a fresh connection.
    const attacker = await connectRaw(hub, peerId, { identity });
    attacker.send(helloFrom(identity, attacker.peerId, 'session'));
    for (const frame of payloads()) attacker.send(frame);
    await closedAndSettled(attacker);
    expect(attacker.messages()).toEqual([{ t: 'reject', reason: 'not-paired' }]);
    expectUntouched(desktop, store, notices);
  });

  it('loses its session at once when unpaired while connected: frames already in flight are dropped', async () => {
    const { hub, desktop, store, notices } = await desktopWithFiles();
    const hostile = await pairHostile(hub, desktop.engine);
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
    const hostileId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    const unpairing = desktop.engine.unpair(hostileId);
    // Sent while the unpair is under way: the hostile device has not heard of it yet.
    for (const frame of payloads()) hostile.send(frame);
    await unpairing;
    await closedAndSettled(hostile);
    expect(hostile.messages().map((m) => m.t)).toContain('unpair');
    expectUntouched(desktop, store, notices);
    expect(hostile.send('{"t":"ping"}')).toBe(false);
  });
});
