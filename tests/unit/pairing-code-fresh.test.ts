// A pairing code names the server (the companion address the phone opens) and this device's signalling id.
// When the network is rebuilt, for a new server or a new id, a code that is showing would send a phone
// nowhere: it is replaced at once by a code for the new address, and the old one no longer pairs.

import { afterEach, describe, expect, it } from 'vitest';
import { DESKTOP_UA, MemoryHub, openDevice, PHONE_UA, type TestDevice } from '../helpers/engine-fixture';

const OLD_SERVER = 'http://old.example:9000';
const NEW_SERVER = 'https://new.example';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function world() {
  const hub = new MemoryHub();
  const desktop = await openDevice(hub, DESKTOP_UA);
  const phone = await openDevice(hub, PHONE_UA);
  opened.push(desktop, phone);
  return { desktop, phone };
}

function waitingLink(device: TestDevice): string {
  const pairing = device.engine.snapshot().pairing;
  if (pairing.state !== 'waiting') throw new Error(`no code is showing (${pairing.state})`);
  return pairing.link;
}

describe('a code showing when the network is rebuilt', () => {
  it('is replaced by one for the new server, and only the new one pairs', async () => {
    const { desktop, phone } = await world();
    desktop.engine.startPairing(OLD_SERVER);
    const oldLink = waitingLink(desktop);

    desktop.engine.reconnectNetwork(NEW_SERVER);
    const newLink = waitingLink(desktop);
    expect(newLink.startsWith(`${NEW_SERVER}/#pair=`)).toBe(true);
    expect(newLink).not.toBe(oldLink);

    await expect(phone.engine.pairWith(oldLink)).rejects.toThrow();
    await expect(phone.engine.pairWith(newLink)).resolves.toMatchObject({ name: 'Chrome on Linux' });
  });

  it('is made again for the same server when only the connection was renewed', async () => {
    const { desktop } = await world();
    desktop.engine.startPairing(OLD_SERVER);
    const oldLink = waitingLink(desktop);
    desktop.engine.reconnectNetwork();
    const newLink = waitingLink(desktop);
    expect(newLink.startsWith(`${OLD_SERVER}/#pair=`)).toBe(true);
    expect(newLink).not.toBe(oldLink);
  });

  it('is not conjured up when none was showing', async () => {
    const { desktop } = await world();
    desktop.engine.reconnectNetwork(NEW_SERVER);
    expect(desktop.engine.snapshot().pairing).toEqual({ state: 'idle' });
  });
});
