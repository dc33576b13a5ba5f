// Transfers whose connection drops at the very end, and a queue that must keep going afterwards: the
// receiver's last verdict lost on the way, a restart of the receiver right after it verified a file, a
// drop between the last data frame and the end of the file, and a session replaced while the sender was
// getting ready to offer.

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
import { bytesOf, type MemoryStore, memoryFiles, sha256 } from '../helpers/transfer-harness';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

/** A key-value store that can hold back one write of the outbox until the test lets it through. */
class GatedStore extends MemoryKeyValueStore {
  #gate: { reached(): void; opened: Promise<void> } | undefined;

  /** Holds the next outbox write; resolves once a write is held, with the function that lets it go. */
  holdNextOutboxWrite(): Promise<() => void> {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return new Promise((resolve) => {
      this.#gate = { reached: () => resolve(open), opened };
    });
  }

  override async set(key: string, value: unknown): Promise<void> {
    const gate = this.#gate;
    if (gate && key === 'outbox') {
      this.#gate = undefined;
      gate.reached();
      await gate.opened;
    }
    return super.set(key, value);
  }
}

async function pairWithFiles(desktopStore?: MemoryKeyValueStore) {
  const hub = new MemoryHub();
  const phoneFiles = memoryFiles();
  const desktop = await openDevice(hub, DESKTOP_UA, {
    files: memoryFiles(),
    ...(desktopStore ? { store: desktopStore } : {}),
  });
  const phone = await openDevice(hub, PHONE_UA, { files: phoneFiles });
  opened.push(desktop, phone);
  await pairDevices(desktop, phone);
  const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
  return { hub, desktop, phone, phoneId, phoneFiles };
}

/** A copy of a device's storage as it is at this instant, as a crash would leave it. */
function crashImage(device: TestDevice): MemoryKeyValueStore {
  const image = new MemoryKeyValueStore();
  for (const [key, value] of device.store.data) image.data.set(key, structuredClone(value));
  return image;
}

/**
 * From the first control message of type `type` that `device` sends, nothing it sends reaches the other
 * side any more (that message included); `cut` runs at that instant.
 */
function loseFrom(device: TestDevice, type: string, cut: () => void): void {
  let lost = false;
  for (const transport of device.network().transports) {
    const send = transport.send.bind(transport);
    transport.send = (frame) => {
      if (!lost && typeof frame === 'string' && (JSON.parse(frame) as { t?: unknown }).t === type) {
        lost = true;
        cut();
      }
      if (!lost) send(frame);
    };
  }
}

function completedFile(store: MemoryStore, name: string): string | undefined {
  const entry = [...store.completed].find(([key]) => key.endsWith(`/${name}`));
  return entry && sha256(entry[1]);
}

type Ending =
  /** The phone's network drops; the same phone comes back. */
  | 'reconnects'
  /** The phone is closed; it starts again from its storage as it was when the message was lost. */
  | 'restarts at once'
  /** The phone is closed a moment later, once it has finished (and forgotten) the transfer. */
  | 'restarts after finishing';

const cases: Array<{ lost: string; from: 'desktop' | 'phone'; ending: Ending }> = [
  { lost: 'file-ok', from: 'phone', ending: 'reconnects' },
  { lost: 'file-ok', from: 'phone', ending: 'restarts after finishing' },
  { lost: 'file-ok', from: 'phone', ending: 'restarts at once' },
  { lost: 'file-end', from: 'desktop', ending: 'reconnects' },
  { lost: 'file-end', from: 'desktop', ending: 'restarts at once' },
];

describe('transfers cut off at the very end', { timeout: 30_000 }, () => {
  for (const { lost, from, ending } of cases) {
    it(`delivers a file whose ${lost} was lost when the phone ${ending}, then the file queued meanwhile`, async () => {
      const { hub, desktop, phone, phoneId, phoneFiles } = await pairWithFiles();
      let image: MemoryKeyValueStore | undefined;
      loseFrom(from === 'phone' ? phone : desktop, lost, () => {
        if (ending === 'reconnects') {
          setTimeout(() => phone.network().goOffline(), 0);
        } else if (ending === 'restarts at once') {
          image = crashImage(phone);
          setTimeout(() => phone.engine.close(), 0);
        } else {
          setTimeout(() => {
            image = crashImage(phone);
            phone.engine.close();
          }, 0);
        }
      });
      const first = bytesOf(300_000, 3);
      await desktop.engine.sendFiles(phoneId, [
        { name: 'first.bin', type: '', size: first.length, data: first },
      ]);
      await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
      expect(desktop.engine.snapshot().outbox[0]?.state).toBe('sending');
      // Restarting at once, the phone still has its record of the transfer; a moment later, it has not.
      if (ending === 'restarts at once') expect(image?.data.get('incoming')).toHaveLength(1);
      if (ending === 'restarts after finishing') expect(image?.data.get('incoming')).toEqual([]);

      const second = bytesOf(50_000, 4);
      await desktop.engine.sendFiles(phoneId, [
        { name: 'second.bin', type: '', size: second.length, data: second },
      ]);
      if (ending === 'reconnects') {
        phone.network().setStatus('online');
      } else {
        opened.push(await openDevice(hub, PHONE_UA, { store: image, files: phoneFiles }));
      }

      const done = await waitFor(desktop.engine, (s) =>
        s.outbox.every((e) => e.state !== 'queued' && e.state !== 'sending'),
      );
      expect(done.outbox.map((e) => [e.summary, e.state, e.error])).toEqual([
        ['first.bin (300 KB)', 'delivered', undefined],
        ['second.bin (50 KB)', 'delivered', undefined],
      ]);
      const firstView = done.transfers.find((t) => t.files[0]?.name === 'first.bin');
      expect(firstView).toMatchObject({ direction: 'out', state: 'done', bytesDone: first.length });
      expect(firstView?.error).toBeUndefined();
      expect(completedFile(phoneFiles.store, 'first.bin')).toBe(sha256(first));
      expect(completedFile(phoneFiles.store, 'second.bin')).toBe(sha256(second));
    });
  }

  it('reports a file delivered, not lost, when the phone restarts and the desktop re-offers it as new', async () => {
    // The desktop restarted too: it no longer knows the phone had accepted, so it offers the same id again
    // without `resume`. The phone verified that transfer already and must not take the file a second time.
    const { hub, desktop, phone, phoneId, phoneFiles } = await pairWithFiles();
    const images = new Promise<[MemoryKeyValueStore, MemoryKeyValueStore]>((resolve) =>
      loseFrom(phone, 'file-ok', () =>
        setTimeout(() => {
          resolve([crashImage(desktop), crashImage(phone)]);
          phone.engine.close();
          desktop.engine.close();
        }, 0),
      ),
    );
    const data = bytesOf(100_000, 5);
    await desktop.engine.sendFiles(phoneId, [{ name: 'once.bin', type: '', size: data.length, data }]);
    const [desktopImage, phoneImage] = await images;
    expect(phoneImage.data.get('incoming')).toEqual([]);
    const desktopAgain = await openDevice(hub, DESKTOP_UA, { store: desktopImage, files: memoryFiles() });
    opened.push(desktopAgain);
    const phoneAgain = await openDevice(hub, PHONE_UA, { store: phoneImage, files: phoneFiles });
    opened.push(phoneAgain);
    const done = await waitFor(desktopAgain.engine, (s) => s.outbox[0]?.state !== 'sending');
    expect(done.outbox[0]).toMatchObject({ state: 'delivered' });
    expect(done.outbox[0]?.error).toBeUndefined();
    expect(completedFile(phoneFiles.store, 'once.bin')).toBe(sha256(data));
    expect(phoneAgain.engine.snapshot().transfers).toEqual([]);
  });

  it('keeps the queue going when the session is replaced while the desktop gets ready to offer', async () => {
    // The phone reconnects, and connects again (a reload, or both sides dialling at once) while the
    // desktop is still saving the outbox entry it is about to offer on the first session.
    const desktopStore = new GatedStore();
    const { hub, desktop, phone, phoneId, phoneFiles } = await pairWithFiles(desktopStore);
    phone.engine.close();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    const data = bytesOf(50_000, 9);
    await desktop.engine.sendFiles(phoneId, [{ name: 'later.bin', type: '', size: data.length, data }]);

    const held = desktopStore.holdNextOutboxWrite();
    const firstLoad = await openDevice(hub, PHONE_UA, { store: phone.store, files: phoneFiles });
    opened.push(firstLoad);
    const letGo = await held;
    const secondLoad = await openDevice(hub, PHONE_UA, { store: phone.store, files: phoneFiles });
    opened.push(secondLoad);
    await waitFor(secondLoad.engine, (s) => s.devices[0]?.status === 'online');
    firstLoad.engine.close();
    letGo();

    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
    expect(completedFile(phoneFiles.store, 'later.bin')).toBe(sha256(data));
  });
});
