// The engine over real PeerJS, a real PeerServer and real WebRTC data channels (node-datachannel).

import { afterAll, describe, expect, it } from 'vitest';
import type { EngineNotice } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';
import type { DirectDropServer } from '../../server/app';
import { DESKTOP_UA, PHONE_UA, waitFor } from '../helpers/engine-fixture';
import { type NetworkedDevice, openNetworkedDevice, startServer } from '../helpers/peerjs-engine';

function nextItem(device: NetworkedDevice): Promise<ReceivedItem> {
  return new Promise((resolve) => {
    const stop = device.engine.onNotice((notice: EngineNotice) => {
      if (notice.kind !== 'item-received') return;
      stop();
      resolve(notice.item);
    });
  });
}

describe('engine over PeerJS and WebRTC', () => {
  let server: DirectDropServer;
  let desktop: NetworkedDevice;
  let phone: NetworkedDevice;
  let phoneId = '';
  let desktopId = '';

  afterAll(async () => {
    desktop?.engine.close();
    phone?.engine.close();
    await server?.close();
  });

  it('pairs two devices through the signalling server', async () => {
    server = await startServer();
    desktop = await openNetworkedDevice(server.httpUrl, DESKTOP_UA);
    phone = await openNetworkedDevice(server.httpUrl, PHONE_UA);
    await waitFor(desktop.engine, (s) => s.server === 'online', 10_000);
    const view = desktop.engine.startPairing(server.publicUrl);
    if (view.state !== 'waiting') throw new Error('pairing did not start');
    expect(view.link.startsWith(`${server.publicUrl}/#pair=1.`)).toBe(true);
    const paired = await phone.engine.pairWith(view.link);
    expect(paired).toMatchObject({ name: 'Chrome on Linux', status: 'online' });
    const d = await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
    expect(d.devices[0]?.name).toBe('Android phone');
    phoneId = d.devices[0]?.deviceId ?? '';
    desktopId = paired.deviceId;
  });

  it('binds the handshake to real, distinct DTLS fingerprints', async () => {
    const session = desktop.engine.session(phoneId);
    const fingerprints = await session?.transport.fingerprints();
    expect(fingerprints?.local).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(fingerprints?.remote).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(fingerprints?.local).not.toBe(fingerprints?.remote);
    const phoneSide = await phone.engine.session(desktopId)?.transport.fingerprints();
    expect(phoneSide).toEqual({ local: fingerprints?.remote, remote: fingerprints?.local });
  });

  it('sends a link, text and a page desktop -> phone, and text phone -> desktop', async () => {
    const items = [
      { kind: 'link' as const, url: 'https://example.com/article', title: 'An article' },
      { kind: 'text' as const, text: 'selected words', sourceUrl: 'https://example.com/source' },
      { kind: 'page' as const, url: 'https://example.com/page', title: 'A page' },
    ];
    for (const item of items) {
      const arrived = nextItem(phone);
      await desktop.engine.sendItem(phoneId, item);
      expect((await arrived).item).toEqual(item);
    }
    const back = nextItem(desktop);
    await phone.engine.sendItem(desktopId, { kind: 'text', text: 'from the phone' });
    expect((await back).item).toEqual({ kind: 'text', text: 'from the phone' });
  });

  it('survives a server restart: both reconnect by themselves and the next send works', async () => {
    const port = server.httpPort;
    await server.close();
    await waitFor(desktop.engine, (s) => s.server !== 'online', 10_000);
    await waitFor(phone.engine, (s) => s.server !== 'online', 10_000);
    // The data channel is peer to peer: it does not need the server.
    const during = nextItem(phone);
    await desktop.engine.sendItem(phoneId, { kind: 'text', text: 'while the server is down' });
    expect((await during).item).toEqual({ kind: 'text', text: 'while the server is down' });

    server = await startServer(port);
    await waitFor(desktop.engine, (s) => s.server === 'online', 20_000);
    await waitFor(phone.engine, (s) => s.server === 'online', 20_000);
    // Force a fresh connection through the restarted server.
    desktop.engine.session(phoneId)?.close();
    await waitFor(phone.engine, (s) => s.devices[0]?.status !== 'online', 10_000);
    const after = nextItem(phone);
    await desktop.engine.sendItem(phoneId, { kind: 'link', url: 'https://example.com/after' });
    expect((await after).item).toEqual({ kind: 'link', url: 'https://example.com/after' });
  });

  it('after unpairing, the phone is refused as not paired', async () => {
    // The phone is away when the desktop unpairs it, so it is not told; its next connection is refused.
    phone.engine.close();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline', 10_000);
    await desktop.engine.unpair(phoneId);
    expect(desktop.engine.snapshot().devices).toEqual([]);
    phone = await openNetworkedDevice(server.httpUrl, PHONE_UA, phone.store);
    const refused = await waitFor(phone.engine, (s) => s.devices[0]?.status === 'unpaired', 20_000);
    expect(refused.devices[0]?.deviceId).toBe(desktopId);
    await expect(phone.engine.sendItem(desktopId, { kind: 'text', text: 'x' })).rejects.toThrow(
      /no longer has this device paired/,
    );
    expect(desktop.engine.snapshot().devices).toEqual([]);
  });
});
