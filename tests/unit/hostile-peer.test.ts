// A paired but hostile device, at the engine level: data frames that lie about sizes and offsets, impossible
// headers and numbers, floods of tiny or bad frames, thousands of offers and items, a hash mismatch, and
// messages aimed at other devices' transfers. Each bad transfer fails alone with a clear message and its
// partial file is deleted; queues and maps stay within their limits (the counts are asserted); other
// transfers, stored files and inbox items are untouched; a device that keeps misbehaving is disconnected.

import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/bytes';
import type { EngineNotice } from '../../core/engine/engine';
import { MAX_INCOMING_TRANSFERS, RECEIVE_WINDOW_BYTES } from '../../core/protocol/limits';
import type { ControlMessage } from '../../core/protocol/messages';
import { DATA_HEADER_BYTES, encodeDataFrame } from '../../core/transfer/data-frame';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { eventually, type HostilePeer, pairHostile, settle } from '../helpers/hostile-peer';
import { nodeCrypto } from '../helpers/node-env';
import { bytesOf, MemoryStore, memoryFiles, sha256 } from '../helpers/transfer-harness';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function desktopAndHostile(hub = new MemoryHub()) {
  const store = new MemoryStore();
  const desktop = await openDevice(hub, DESKTOP_UA, { files: memoryFiles(store) });
  opened.push(desktop);
  const notices: EngineNotice[] = [];
  desktop.engine.onNotice((n) => notices.push(n));
  const hostile = await pairHostile(hub, desktop.engine);
  await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
  const hostileId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
  return { hub, desktop, store, notices, hostile, hostileId };
}

function newId(): string {
  return toBase64Url(nodeCrypto.randomBytes(16));
}

function offer(hostile: HostilePeer, id: string, files: Array<{ name: string; size: number }>) {
  hostile.sendJson({ t: 'offer', id, files: files.map((f) => ({ ...f, type: '' })) });
}

function accepted(hostile: HostilePeer, id: string) {
  return hostile.waitFor(
    (m): m is Extract<ControlMessage, { t: 'accept' }> => m.t === 'accept' && m.id === id,
  );
}

function transferView(desktop: TestDevice, id: string) {
  return desktop.engine.snapshot().transfers.find((t) => t.id === id);
}

function countOf(hostile: HostilePeer, predicate: (m: ControlMessage) => boolean): number {
  return hostile.messages().filter(predicate).length;
}

/** An offered and accepted transfer of one file from the hostile device. */
async function acceptedTransfer(hostile: HostilePeer, size: number, name = 'x.bin') {
  const id = newId();
  offer(hostile, id, [{ name, size }]);
  await accepted(hostile, id);
  return id;
}

/** Proves the connection still works: an honest transfer on it completes and is stored. */
async function honestTransfer(hostile: HostilePeer, store: MemoryStore, name = 'honest.bin') {
  const data = bytesOf(100_000, 42);
  const id = await acceptedTransfer(hostile, data.length, name);
  await hostile.sendFile(id, 0, data);
  await hostile.waitFor((m) => m.t === 'file-ok' && m.id === id);
  await eventually(() => store.completed.has(`${id}/${name}`));
  expect(sha256(store.completed.get(`${id}/${name}`) ?? new Uint8Array(1))).toBe(sha256(data));
}

describe('data frames that break the rules fail only their transfer, with a clear message', () => {
  const SIZE = 1000;
  const cases: Array<[string, (h: HostilePeer, id: string) => void, string]> = [
    [
      'more bytes than offered in one frame',
      (h, id) => h.send(encodeDataFrame(id, 0, 0, bytesOf(SIZE + 1))),
      'more data than the offered size',
    ],
    [
      'more bytes than offered over several frames',
      (h, id) => {
        h.send(encodeDataFrame(id, 0, 0, bytesOf(SIZE)));
        h.send(encodeDataFrame(id, 0, SIZE, bytesOf(1)));
      },
      'more data than the offered size',
    ],
    [
      'an offset past the end of the file',
      (h, id) => h.send(encodeDataFrame(id, 0, SIZE + 5, bytesOf(1))),
      'data out of order',
    ],
    [
      'a gap (an offset ahead of the next byte)',
      (h, id) => h.send(encodeDataFrame(id, 0, 1, bytesOf(10))),
      'data out of order',
    ],
    [
      'a repeated frame',
      (h, id) => {
        h.send(encodeDataFrame(id, 0, 0, bytesOf(10)));
        h.send(encodeDataFrame(id, 0, 0, bytesOf(10)));
      },
      'data out of order',
    ],
    [
      'a frame for a file that was not granted',
      (h, id) => h.send(encodeDataFrame(id, 1, 0, bytesOf(10))),
      'data for the wrong file',
    ],
    [
      'a file end before all its bytes',
      (h, id) => {
        h.send(encodeDataFrame(id, 0, 0, bytesOf(SIZE - 1)));
        h.sendJson({ t: 'file-end', id, file: 0, sha256: 'A'.repeat(43) });
      },
      'a file ended before its offered size',
    ],
    [
      'a file end for another file',
      (h, id) => h.sendJson({ t: 'file-end', id, file: 1, sha256: 'A'.repeat(43) }),
      'a file ended out of turn',
    ],
    [
      'data after the file end',
      (h, id) => {
        h.send(encodeDataFrame(id, 0, 0, bytesOf(SIZE)));
        h.sendJson({ t: 'file-end', id, file: 0, sha256: 'A'.repeat(43) });
        h.send(encodeDataFrame(id, 0, SIZE, new Uint8Array(0)));
      },
      'data after the end of the file',
    ],
  ];

  it.each(cases)('%s', async (_, attack, detail) => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const id = newId();
    offer(hostile, id, [
      { name: 'x.bin', size: SIZE },
      { name: 'y.bin', size: SIZE },
    ]);
    await accepted(hostile, id);
    attack(hostile, id);
    await hostile.waitFor((m) => m.t === 'cancel' && m.id === id);
    expect(hostile.messages()).toContainEqual({ t: 'cancel', id, reason: 'protocol' });
    await waitFor(desktop.engine, (s) => s.transfers.some((t) => t.id === id && t.state === 'failed'));
    expect(transferView(desktop, id)?.error).toBe(`The transfer broke off: ${detail}.`);
    await eventually(() => store.files.size === 0);
    expect(store.completed.size).toBe(0);
    expect(desktop.engine.inbox()).toEqual([]);
    // The connection survives a broken transfer.
    expect(hostile.isOpen).toBe(true);
    await honestTransfer(hostile, store);
  });
});

describe('impossible numbers', () => {
  it('data frame headers with impossible fields are dropped before reaching any transfer', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const data = bytesOf(5000, 3);
    const id = await acceptedTransfer(hostile, data.length);
    const header = (file: number, high: number, low: number, magic = 0xdd) => {
      const frame = encodeDataFrame(id, 0, 0, bytesOf(10));
      const view = new DataView(frame.buffer);
      frame[0] = magic;
      view.setUint32(18, file);
      view.setUint32(22, high);
      view.setUint32(26, low);
      return frame;
    };
    const impossible = [
      header(0xffffffff, 0, 0), // file index 4294967295
      header(1000, 0, 0), // one past the largest offer
      header(0, 0x40000, 1), // offset 2^50 + 1
      header(0, 0xffffffff, 0xffffffff), // offset 2^64 - 1
      header(0, 0x80000000, 0), // what a signed reading would call negative
      header(0, 0, 0, 0x00), // not a data frame
      encodeDataFrame(id, 0, 0, bytesOf(10)).subarray(0, DATA_HEADER_BYTES - 1), // shorter than its header
    ];
    for (const frame of impossible) hostile.send(frame);
    await settle();
    expect(transferView(desktop, id)?.state).toBe('receiving');
    expect(store.files.get(`${id}/0`)?.length ?? 0).toBe(0);
    // The transfer goes on and completes with the real bytes.
    await hostile.sendFile(id, 0, data);
    await hostile.waitFor((m) => m.t === 'file-ok' && m.id === id);
    expect(sha256(store.completed.get(`${id}/x.bin`) ?? new Uint8Array(1))).toBe(sha256(data));
  });

  it('control messages with negative, fractional, huge or mistyped numbers are refused before use', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const id = newId();
    const file = (size: unknown, name: unknown = 'a') => ({ name, size, type: '' });
    const refused: object[] = [
      { t: 'offer', id, files: [file(-1)] },
      { t: 'offer', id, files: [file(1.5)] },
      { t: 'offer', id, files: [file(2 ** 50 + 1)] },
      { t: 'offer', id, files: [file(1e308)] },
      { t: 'offer', id, files: [file('10')] },
      { t: 'offer', id, files: [file(null)] },
      { t: 'offer', id, files: [] },
      { t: 'offer', id, files: Array.from({ length: 1001 }, () => file(1)) },
      { t: 'offer', id, files: [file(1, 'n'.repeat(1025))] },
      { t: 'offer', id: 'short', files: [file(1)] },
      { t: 'offer', id, files: { length: 1 } },
      { t: 'ack', id, file: -1, offset: 0, window: 1 },
      { t: 'ack', id, file: 0, offset: -5, window: 1 },
      { t: 'ack', id, file: 0, offset: 0, window: RECEIVE_WINDOW_BYTES + 1 },
      { t: 'accept', id, file: 1000, offset: 0, window: 1 },
      { t: 'file-end', id, file: 0, sha256: 'A'.repeat(42) },
    ];
    for (const message of refused) hostile.sendJson(message);
    await settle();
    expect(desktop.engine.snapshot().transfers).toEqual([]);
    expect(store.files.size).toBe(0);
    expect(desktop.store.data.get('incoming') ?? []).toEqual([]);
    expect(hostile.messages().filter((m) => m.t !== 'ping')).toEqual([]);
    // Sixteen bad frames are tolerated; the session is still up.
    expect(hostile.isOpen).toBe(true);
  });
});

describe('floods', { timeout: 30_000 }, () => {
  it('a file sent as thousands of one-byte frames arrives intact, without an answer per frame', async () => {
    const { store, hostile } = await desktopAndHostile();
    const data = bytesOf(20_000, 8);
    const id = await acceptedTransfer(hostile, data.length);
    await hostile.sendFile(id, 0, data, { frameBytes: 1 });
    await hostile.waitFor((m) => m.t === 'file-ok' && m.id === id, 20_000);
    expect(sha256(store.completed.get(`${id}/x.bin`) ?? new Uint8Array(1))).toBe(sha256(data));
    // One acknowledgement at the end of the file, not 20,000.
    expect(countOf(hostile, (m) => m.t === 'ack')).toBeLessThanOrEqual(2);
  });

  it('bytes beyond the granted window are refused, so what a sender has in flight is bounded', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    store.writeDelayMs = 50;
    const size = RECEIVE_WINDOW_BYTES * 2;
    const id = await acceptedTransfer(hostile, size);
    const accept = hostile.messages().find((m) => m.t === 'accept');
    expect(accept).toMatchObject({ offset: 0, window: RECEIVE_WINDOW_BYTES });
    const chunk = bytesOf(256 * 1024 - DATA_HEADER_BYTES, 1);
    let offset = 0;
    while (offset <= RECEIVE_WINDOW_BYTES) {
      hostile.send(encodeDataFrame(id, 0, offset, chunk));
      offset += chunk.length;
    }
    await hostile.waitFor((m) => m.t === 'cancel' && m.id === id);
    await waitFor(desktop.engine, (s) => s.transfers[0]?.state === 'failed');
    expect(transferView(desktop, id)?.error).toBe('The transfer broke off: data beyond the granted window.');
    await eventually(() => store.files.size === 0, 10_000);
  });

  it('a flood of frames for no transfer disconnects the device after 20, and it stays paired', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const ghost = newId();
    // One frame at a time, each handled before the next: the 21st bad frame closes the session.
    let sent = 0;
    while (sent < 1000 && hostile.send(encodeDataFrame(ghost, 0, sent, bytesOf(1)))) {
      sent++;
      await settle(1);
    }
    expect(sent).toBe(21);
    expect(hostile.isOpen).toBe(false);
    await waitFor(desktop.engine, (s) => s.devices[0]?.status !== 'online');
    expect(desktop.engine.snapshot().devices).toHaveLength(1);
    expect(store.files.size).toBe(0);
    expect(desktop.engine.snapshot().transfers).toEqual([]);
  });

  it(`thousands of offers: at most ${MAX_INCOMING_TRANSFERS} are open at once, the rest are declined as busy`, async () => {
    const { desktop, hostile, notices, hostileId } = await desktopAndHostile();
    await desktop.engine.setAutoAccept(hostileId, false);
    const OFFERS = 2000;
    for (let i = 0; i < OFFERS; i++) offer(hostile, newId(), [{ name: `f${i}.bin`, size: 1 }]);
    await eventually(
      () => countOf(hostile, (m) => m.t === 'decline') === OFFERS - MAX_INCOMING_TRANSFERS,
      20_000,
    );
    await settle();
    expect(countOf(hostile, (m) => m.t === 'decline' && m.reason === 'busy')).toBe(
      OFFERS - MAX_INCOMING_TRANSFERS,
    );
    const snapshot = desktop.engine.snapshot();
    expect(snapshot.transfers).toHaveLength(MAX_INCOMING_TRANSFERS);
    expect(snapshot.transfers.every((t) => t.state === 'offered')).toBe(true);
    expect(notices.filter((n) => n.kind === 'transfer-offered')).toHaveLength(MAX_INCOMING_TRANSFERS);
  });

  it(`thousands of auto-accepted offers: at most ${MAX_INCOMING_TRANSFERS} are received at once`, async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const OFFERS = 2000;
    for (let i = 0; i < OFFERS; i++) offer(hostile, newId(), [{ name: `f${i}.bin`, size: 1 }]);
    await eventually(
      () => countOf(hostile, (m) => m.t === 'decline') === OFFERS - MAX_INCOMING_TRANSFERS,
      20_000,
    );
    await settle();
    expect(countOf(hostile, (m) => m.t === 'accept')).toBe(MAX_INCOMING_TRANSFERS);
    expect(desktop.engine.snapshot().transfers).toHaveLength(MAX_INCOMING_TRANSFERS);
    expect(desktop.store.data.get('incoming')).toHaveLength(MAX_INCOMING_TRANSFERS);
    expect(store.files.size).toBeLessThanOrEqual(MAX_INCOMING_TRANSFERS);
  });

  it('thousands of items: the inbox keeps a bounded number, and a repeated id is stored once', async () => {
    const { desktop, hostile } = await desktopAndHostile();
    for (let i = 0; i < 500; i++) {
      hostile.sendJson({ t: 'item', id: 'same', sentAt: 1, item: { kind: 'text', text: 'again' } });
    }
    await eventually(() => countOf(hostile, (m) => m.t === 'item-ack') === 500, 20_000);
    expect(desktop.engine.inbox()).toHaveLength(1);
    for (let i = 0; i < 1000; i++) {
      hostile.sendJson({ t: 'item', id: `i${i}`, sentAt: 1, item: { kind: 'text', text: `n${i}` } });
    }
    await eventually(() => countOf(hostile, (m) => m.t === 'item-ack') === 1500, 20_000);
    expect(desktop.engine.inbox().length).toBeLessThanOrEqual(100);
    expect(desktop.engine.snapshot().inboxSize).toBe(desktop.engine.inbox().length);
    // Long out of the inbox, a re-sent item (as after a lost acknowledgement) is still not stored twice.
    hostile.sendJson({ t: 'item', id: 'same', sentAt: 1, item: { kind: 'text', text: 'again' } });
    hostile.sendJson({ t: 'item', id: 'i0', sentAt: 1, item: { kind: 'text', text: 'n0' } });
    await eventually(() => countOf(hostile, (m) => m.t === 'item-ack') === 1502, 20_000);
    expect(desktop.engine.inbox().filter((e) => e.id === 'same' || e.id === 'i0')).toEqual([]);
  });
});

describe('integrity', () => {
  it('a file whose digest does not match is deleted and reported; files received before stay', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    await honestTransfer(hostile, store, 'earlier.bin');
    await waitFor(desktop.engine, (s) => s.inboxSize === 1);
    const data = bytesOf(300_000, 5);
    const id = await acceptedTransfer(hostile, data.length, 'tampered.bin');
    await hostile.sendFile(id, 0, data, { sha256: toBase64Url(new Uint8Array(32)) });
    await hostile.waitFor((m) => m.t === 'file-failed' && m.id === id);
    expect(hostile.messages()).toContainEqual({ t: 'file-failed', id, file: 0, reason: 'hash-mismatch' });
    await waitFor(desktop.engine, (s) => s.transfers.some((t) => t.id === id && t.state === 'failed'));
    expect(transferView(desktop, id)?.error).toBe(
      'tampered.bin arrived damaged (its checksum did not match) and was deleted.',
    );
    await eventually(() => store.files.size === 0);
    expect([...store.completed.keys()].map((k) => k.split('/')[1])).toEqual(['earlier.bin']);
    expect(desktop.engine.inbox().map((e) => e.item.kind === 'file' && e.item.name)).toEqual(['earlier.bin']);
  });
});

describe("another device's transfers", { timeout: 30_000 }, () => {
  it('are out of reach: messages and data naming them are ignored, and they complete', async () => {
    const hub = new MemoryHub();
    const { desktop, store, hostile } = await desktopAndHostile(hub);
    const phoneStore = new MemoryStore();
    const phone = await openDevice(hub, PHONE_UA, { files: memoryFiles(phoneStore) });
    opened.push(phone);
    await pairDevices(desktop, phone);
    const phoneId = desktop.engine.snapshot().devices.find((d) => d.name === 'Android phone')?.deviceId ?? '';
    const desktopId = phone.engine.snapshot().devices[0]?.deviceId ?? '';
    store.writeDelayMs = 20;
    phoneStore.writeDelayMs = 20;

    // The phone sends the desktop a file, and the desktop sends the phone one.
    const fromPhone = bytesOf(3 * 1024 * 1024, 6);
    const toPhone = bytesOf(3 * 1024 * 1024, 7);
    await phone.engine.sendFiles(desktopId, [
      { name: 'mine.bin', type: '', size: fromPhone.length, data: fromPhone },
    ]);
    await desktop.engine.sendFiles(phoneId, [
      { name: 'yours.bin', type: '', size: toPhone.length, data: toPhone },
    ]);
    const busy = await waitFor(
      desktop.engine,
      (s) => s.transfers.filter((t) => t.bytesDone > 0 && t.deviceId === phoneId).length === 2,
      10_000,
    );
    const ids = busy.transfers.filter((t) => t.deviceId === phoneId).map((t) => t.id);

    // The hostile device learns both ids and tries everything on them.
    for (const id of ids) {
      hostile.sendJson({ t: 'cancel', id, reason: 'cancelled' });
      hostile.sendJson({ t: 'file-end', id, file: 0, sha256: 'A'.repeat(43) });
      hostile.sendJson({ t: 'file-failed', id, file: 0, reason: 'hash-mismatch' });
      hostile.sendJson({ t: 'decline', id, reason: 'declined' });
      hostile.sendJson({ t: 'accept', id, file: 0, offset: 0, window: 1 });
      hostile.sendJson({ t: 'ack', id, file: 0, offset: 0, window: 0 });
      hostile.send(encodeDataFrame(id, 0, 0, bytesOf(100)));
    }
    await waitFor(
      desktop.engine,
      (s) => ids.every((id) => s.transfers.find((t) => t.id === id)?.state === 'done'),
      20_000,
    );
    const mine = [...store.completed.entries()].find(([key]) => key.endsWith('/mine.bin'));
    expect(sha256(mine?.[1] ?? new Uint8Array(1))).toBe(sha256(fromPhone));
    expect(sha256([...phoneStore.completed.values()][0] ?? new Uint8Array(1))).toBe(sha256(toPhone));
  });
});

describe('transfers that end while the device is still talking', { timeout: 30_000 }, () => {
  it('an offer followed at once by a closed connection leaves no transfer stuck "receiving"', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const id = newId();
    offer(hostile, id, [{ name: 'gone.bin', size: 5000 }]);
    hostile.close();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status !== 'online');
    await settle(20);
    expect(transferView(desktop, id)?.state).not.toBe('receiving');
    expect(desktop.store.data.get('incoming') ?? []).toEqual([]);
    await eventually(() => store.files.size === 0);
  });

  it('frames in flight when the receiver cancels are dropped quietly; the session stays open', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const size = 1024 * 1024;
    const id = await acceptedTransfer(hostile, size);
    await desktop.engine.cancelTransfer(id);
    expect(transferView(desktop, id)?.state).toBe('cancelled');
    // Everything the sender had on the way before it saw the cancel: far more than the 20 bad frames a
    // session tolerates.
    const chunk = bytesOf(1024, 2);
    for (let offset = 0; offset < 100 * chunk.length; offset += chunk.length) {
      hostile.send(encodeDataFrame(id, 0, offset, chunk));
    }
    hostile.sendJson({ t: 'file-end', id, file: 0, sha256: 'A'.repeat(43) });
    await settle(20);
    expect(hostile.isOpen).toBe(true);
    expect(desktop.engine.snapshot().devices[0]?.status).toBe('online');
    await eventually(() => store.files.size === 0);
    await honestTransfer(hostile, store);
  });
});
