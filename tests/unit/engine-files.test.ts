import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '../../core/engine/key-value-store';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { bytesOf, memoryFiles, sha256 } from '../helpers/transfer-harness';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function pairWithFiles() {
  const hub = new MemoryHub();
  const desktopFiles = memoryFiles();
  const phoneFiles = memoryFiles();
  const desktop = await openDevice(hub, DESKTOP_UA, { files: desktopFiles });
  const phone = await openDevice(hub, PHONE_UA, { files: phoneFiles });
  opened.push(desktop, phone);
  await pairDevices(desktop, phone);
  const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
  const desktopId = phone.engine.snapshot().devices[0]?.deviceId ?? '';
  return { hub, desktop, phone, phoneId, desktopId, desktopFiles, phoneFiles };
}

describe('engine file transfers', { timeout: 30_000 }, () => {
  it('sends files to a paired device, which accepts them by itself and lists them in its inbox', async () => {
    const { desktop, phone, phoneId, phoneFiles } = await pairWithFiles();
    const photo = bytesOf(300_000, 4);
    const notes = bytesOf(12, 5);
    await desktop.engine.sendFiles(phoneId, [
      { name: 'photo.jpg', type: 'image/jpeg', size: photo.length, data: photo },
      { name: 'notes.txt', type: 'text/plain', size: notes.length, data: notes },
    ]);
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    const inbox = phone.engine.inbox();
    expect(inbox.map((e) => e.item.kind === 'file' && e.item.name)).toEqual(['notes.txt', 'photo.jpg']);
    const stored = [...phoneFiles.store.completed.entries()];
    expect(stored.map(([k, v]) => [k.split('/')[1], sha256(v)])).toEqual([
      ['photo.jpg', sha256(photo)],
      ['notes.txt', sha256(notes)],
    ]);
    const finished = phone.engine.snapshot().transfers[0];
    expect(finished).toMatchObject({
      direction: 'in',
      state: 'done',
      bytesDone: photo.length + notes.length,
    });
  });

  it('asks first when auto-accept is off, and tells the sender when the receiver declines', async () => {
    const { desktop, phone, phoneId, desktopId } = await pairWithFiles();
    await phone.engine.setAutoAccept(desktopId, false);
    await desktop.engine.sendFiles(phoneId, [{ name: 'a.bin', type: '', size: 10, data: bytesOf(10) }]);
    const offered = await waitFor(phone.engine, (s) => s.transfers[0]?.state === 'offered');
    expect(offered.transfers[0]).toMatchObject({
      direction: 'in',
      files: [{ name: 'a.bin', size: 10 }],
      total: 10,
    });
    phone.engine.declineTransfer(offered.transfers[0]?.id ?? '');
    const declined = await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'failed');
    expect(declined.outbox[0]?.error).toBe('The other device declined.');

    await desktop.engine.sendFiles(phoneId, [{ name: 'b.bin', type: '', size: 10, data: bytesOf(10) }]);
    const second = await waitFor(phone.engine, (s) => s.transfers.some((t) => t.state === 'offered'));
    await phone.engine.acceptTransfer(second.transfers.find((t) => t.state === 'offered')?.id ?? '');
    await waitFor(desktop.engine, (s) => s.outbox.some((e) => e.state === 'delivered'));
  });

  it('queues files for an offline device and delivers them when it comes online', async () => {
    const { desktop, phone, phoneId, phoneFiles } = await pairWithFiles();
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    const data = bytesOf(50_000, 9);
    await desktop.engine.sendFiles(phoneId, [{ name: 'later.bin', type: '', size: data.length, data }]);
    expect(desktop.engine.snapshot().outbox[0]?.state).toBe('queued');
    phone.network().setStatus('online');
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered', 10_000);
    expect(sha256(phoneFiles.store.completed.values().next().value ?? new Uint8Array(1))).toBe(sha256(data));
  });

  it('resumes an interrupted transfer when the device reconnects and verifies the file', async () => {
    const { desktop, phone, phoneId, phoneFiles } = await pairWithFiles();
    phoneFiles.store.writeDelayMs = 100;
    const data = bytesOf(6 * 1024 * 1024, 13);
    await desktop.engine.sendFiles(phoneId, [{ name: 'big.bin', type: '', size: data.length, data }]);
    await waitFor(phone.engine, (s) => (s.transfers[0]?.bytesDone ?? 0) > 1024 * 1024, 10_000);
    phone.network().goOffline();
    const interrupted = await waitFor(phone.engine, (s) => s.transfers[0]?.state === 'interrupted');
    const partial = interrupted.transfers[0]?.bytesDone ?? 0;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(data.length);
    phone.network().setStatus('online');
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered', 20_000);
    expect(sha256(phoneFiles.store.completed.values().next().value ?? new Uint8Array(1))).toBe(sha256(data));
  });

  it('resumes after the receiving device restarts mid-transfer (its partial file and record survive)', async () => {
    const { hub, desktop, phone, phoneId, phoneFiles } = await pairWithFiles();
    phoneFiles.store.writeDelayMs = 100;
    const data = bytesOf(6 * 1024 * 1024, 17);
    await desktop.engine.sendFiles(phoneId, [{ name: 'restart.bin', type: '', size: data.length, data }]);
    await waitFor(phone.engine, (s) => (s.transfers[0]?.bytesDone ?? 0) > 1024 * 1024, 10_000);
    // A crash, not a shutdown: the restarted device sees its storage exactly as it was at this instant.
    const persisted = new MemoryKeyValueStore();
    for (const [key, value] of phone.store.data) persisted.data.set(key, structuredClone(value));
    phone.engine.close();
    phoneFiles.store.writeDelayMs = 0;
    const again = await openDevice(hub, PHONE_UA, { store: persisted, files: phoneFiles });
    opened.push(again);
    const restored = again.engine.snapshot().transfers[0];
    expect(restored).toMatchObject({ direction: 'in', state: 'interrupted' });
    expect(restored?.bytesDone).toBe(0);
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered', 20_000);
    expect(sha256(phoneFiles.store.completed.values().next().value ?? new Uint8Array(1))).toBe(sha256(data));
    expect(again.engine.inbox()[0]?.item).toMatchObject({ kind: 'file', name: 'restart.bin' });
  });

  it('lets the sender cancel; the receiver removes the partial file', async () => {
    const { desktop, phone, phoneId, phoneFiles } = await pairWithFiles();
    phoneFiles.store.writeDelayMs = 100;
    const data = bytesOf(8 * 1024 * 1024, 2);
    const entryId = await desktop.engine.sendFiles(phoneId, [
      { name: 'big.bin', type: '', size: data.length, data },
    ]);
    await waitFor(phone.engine, (s) => (s.transfers[0]?.bytesDone ?? 0) > 0, 10_000);
    await desktop.engine.cancelTransfer(entryId);
    await waitFor(phone.engine, (s) => s.transfers[0]?.state === 'cancelled');
    expect(desktop.engine.snapshot().outbox[0]?.state).toBe('cancelled');
    await waitFor(phone.engine, () => phoneFiles.store.files.size === 0);
    expect(phoneFiles.store.completed.size).toBe(0);
  });
});
