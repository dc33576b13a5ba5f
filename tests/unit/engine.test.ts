import { afterEach, describe, expect, it } from 'vitest';
import { defaultDeviceProfile } from '../../core/device-naming';
import type { EngineNotice } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { advanceInSteps, ManualClock } from '../helpers/node-env';

const opened: TestDevice[] = [];
async function open(hub: MemoryHub, ua: string, options = {}) {
  const device = await openDevice(hub, ua, options);
  opened.push(device);
  return device;
}
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

function nextInboxItem(device: TestDevice): Promise<ReceivedItem> {
  return new Promise((resolve) => {
    const stop = device.engine.onNotice((notice: EngineNotice) => {
      if (notice.kind !== 'item-received') return;
      stop();
      resolve(notice.item);
    });
  });
}

describe('engine', () => {
  it('names devices sensibly by default', () => {
    expect(defaultDeviceProfile(DESKTOP_UA)).toEqual({ name: 'Chrome on Linux', type: 'desktop' });
    expect(defaultDeviceProfile(PHONE_UA)).toEqual({ name: 'Android phone', type: 'phone' });
  });

  it('pairs through a link, then both show each other online by name', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    await pairDevices(desktop, phone);
    const d = desktop.engine.snapshot();
    const p = phone.engine.snapshot();
    expect(d.devices).toMatchObject([{ name: 'Android phone', type: 'phone', status: 'online' }]);
    expect(p.devices).toMatchObject([{ name: 'Chrome on Linux', type: 'desktop', status: 'online' }]);
    expect(d.pairing).toMatchObject({ state: 'paired', name: 'Android phone' });
  });

  it('delivers items both ways and acknowledges them once stored', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    await pairDevices(desktop, phone);
    const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    const desktopId = phone.engine.snapshot().devices[0]?.deviceId ?? '';

    const arrived = nextInboxItem(phone);
    await desktop.engine.sendItem(phoneId, { kind: 'link', url: 'https://example.com/a', title: 'A' });
    expect((await arrived).item).toEqual({ kind: 'link', url: 'https://example.com/a', title: 'A' });
    expect(phone.engine.inbox()).toHaveLength(1);
    expect(phone.engine.inbox()[0]?.fromName).toBe('Chrome on Linux');

    const back = nextInboxItem(desktop);
    await phone.engine.sendItem(desktopId, { kind: 'text', text: 'hello desktop' });
    expect((await back).item).toEqual({ kind: 'text', text: 'hello desktop' });
  });

  it('propagates a rename to the paired device', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    await pairDevices(desktop, phone);
    await phone.engine.setName('  Pixel\u202e 8\n ');
    expect(phone.engine.snapshot().self.name).toBe('Pixel 8');
    await waitFor(desktop.engine, (s) => s.devices[0]?.name === 'Pixel 8');
  });

  it('says clearly that an offline device is offline, queues the item and delivers it when it is back', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    await pairDevices(desktop, phone);
    const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    const outcome = await desktop.engine.sendItem(phoneId, { kind: 'text', text: 'later' });
    expect(outcome).toEqual({ queued: true, reason: 'Android phone is offline.' });
    expect(desktop.engine.snapshot().outbox).toMatchObject([{ state: 'queued', summary: 'later' }]);
    const arrived = nextInboxItem(phone);
    phone.network().setStatus('online');
    expect((await arrived).item).toEqual({ kind: 'text', text: 'later' });
    await waitFor(desktop.engine, (s) => s.outbox[0]?.state === 'delivered');
  });

  it('reconnects when the device comes back, and the next send works', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    await pairDevices(desktop, phone);
    const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    phone.network().setStatus('online');
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
    const arrived = nextInboxItem(phone);
    await desktop.engine.sendItem(phoneId, { kind: 'page', url: 'https://example.com/', title: 'Example' });
    expect((await arrived).item.kind).toBe('page');
  });

  // Where closing a channel loses what is still in flight, the desktop's refusal is its last word on
  // the channel, and closing at once would lose it: the phone would never learn why.
  it.each([
    ['', false],
    [', also where closing a channel loses what is in flight', true],
  ])(
    'after unpairing, the other device can no longer connect as paired, and learns it%s',
    async (_, lossy) => {
      const hub = new MemoryHub();
      const desktop = await open(hub, DESKTOP_UA);
      const phone = await open(hub, PHONE_UA);
      await pairDevices(desktop, phone);
      const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
      const desktopId = phone.engine.snapshot().devices[0]?.deviceId ?? '';
      // The phone is offline when the desktop unpairs it, so it is not told.
      phone.network().goOffline();
      await desktop.engine.unpair(phoneId);
      desktop.network().closeLosesInFlight = lossy;
      expect(desktop.engine.snapshot().devices).toEqual([]);
      phone.network().setStatus('online');
      await waitFor(phone.engine, (s) => s.devices[0]?.status === 'unpaired');
      await expect(phone.engine.sendItem(desktopId, { kind: 'text', text: 'x' })).rejects.toThrow(
        /no longer has this device paired/,
      );
      expect(desktop.engine.inbox()).toHaveLength(0);
    },
  );

  it('tells an online device that it was unpaired', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    await pairDevices(desktop, phone);
    const notice = new Promise<EngineNotice>((resolve) => phone.engine.onNotice(resolve));
    await desktop.engine.unpair(desktop.engine.snapshot().devices[0]?.deviceId ?? '');
    expect(await notice).toMatchObject({ kind: 'unpaired-by-peer', name: 'Chrome on Linux' });
    await waitFor(phone.engine, (s) => s.devices.length === 0);
  });

  it('keeps pairings, identity and inbox across a restart', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    await pairDevices(desktop, phone);
    const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    const before = phone.engine.snapshot().self.deviceId;
    await desktop.engine.sendItem(phoneId, { kind: 'text', text: 'kept' });
    phone.engine.close();
    const again = await open(hub, PHONE_UA, { store: phone.store });
    expect(again.engine.snapshot().self.deviceId).toBe(before);
    expect(again.engine.inbox()[0]?.item).toEqual({ kind: 'text', text: 'kept' });
    await waitFor(again.engine, (s) => s.devices[0]?.status === 'online');
  });

  it('settles two devices dialling each other at once on a single session', async () => {
    const hub = new MemoryHub();
    const clock = new ManualClock();
    const desktop = await open(hub, DESKTOP_UA, { clock });
    const phone = await open(hub, PHONE_UA, { clock });
    await pairDevices(desktop, phone);
    const phoneId = desktop.engine.snapshot().devices[0]?.deviceId ?? '';
    // Both lose the server and come back at the same moment: both dial.
    phone.network().goOffline();
    desktop.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    phone.network().setStatus('online');
    desktop.network().setStatus('online');
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
    await waitFor(phone.engine, (s) => s.devices[0]?.status === 'online');
    const settled = desktop.engine.session(phoneId);
    // Past every wait a duplicate connection could still end in (the wait for the other side's session,
    // the first retries), nothing has replaced or dropped the session both kept.
    await advanceInSteps(clock, 35_000);
    expect(desktop.engine.session(phoneId)).toBe(settled);
    expect(desktop.network().transports.filter((t) => t.isOpen)).toHaveLength(1);
    expect(phone.network().transports.filter((t) => t.isOpen)).toHaveLength(1);
    expect(desktop.engine.snapshot().devices[0]?.status).toBe('online');
    expect(phone.engine.snapshot().devices[0]?.status).toBe('online');
    const arrived = nextInboxItem(phone);
    await desktop.engine.sendItem(phoneId, { kind: 'text', text: 'one' });
    expect((await arrived).item).toEqual({ kind: 'text', text: 'one' });
  });

  it('rejects a bad pairing link with a clear message and loses nothing', async () => {
    const hub = new MemoryHub();
    const phone = await open(hub, PHONE_UA);
    await expect(phone.engine.pairWith('https://x.example/#pair=1.zz')).rejects.toThrow(
      /damaged or incomplete/,
    );
    expect(phone.engine.snapshot().devices).toEqual([]);
  });

  it('fails closed when a compromised server relays the phone to an attacker in the middle', async () => {
    const hub = new MemoryHub();
    const desktop = await open(hub, DESKTOP_UA);
    const phone = await open(hub, PHONE_UA);
    const view = desktop.engine.startPairing('http://localhost:9000');
    if (view.state !== 'waiting') throw new Error('no pairing');
    const desktopPeer = desktop.network().localPeerId;
    const { relayInTheMiddle } = await import('../helpers/relay');
    hub.interceptors.set(desktopPeer, (from) => relayInTheMiddle(hub, from, desktopPeer));
    const failure = phone.engine.pairWith(view.link);
    await expect(failure).rejects.toThrow(/could not be verified/);
    await waitFor(desktop.engine, (s) => s.pairing.state === 'failed');
    expect(desktop.engine.snapshot().pairing).toMatchObject({
      error: expect.stringMatching(/could not be verified/),
    });
    expect(desktop.engine.snapshot().devices).toEqual([]);
    expect(phone.engine.snapshot().devices).toEqual([]);
  });
});
