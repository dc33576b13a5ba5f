// The companion build a phone reports inside its authenticated session: the message is validated like any
// other, it reaches the paired desktop's device view (and only while that session is open), and the popup's
// check tells the shipped build from another one and from an app that runs unpinned.

import { afterEach, describe, expect, it } from 'vitest';
import { checkAppBuild, shortDigest } from '../../core/protocol/app-build';
import { parseControlMessage } from '../../core/protocol/messages';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';

const SHIPPED = { version: '0.1.0', digest: 'a'.repeat(64) };
const OTHER = { version: '0.2.0-test', digest: 'b'.repeat(64) };

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function pairedPair() {
  const hub = new MemoryHub();
  const desktop = await openDevice(hub, DESKTOP_UA);
  const phone = await openDevice(hub, PHONE_UA);
  opened.push(desktop, phone);
  return { desktop, phone };
}

describe('app-build message', () => {
  it('accepts a version and a digest or null, and nothing else', () => {
    expect(parseControlMessage(JSON.stringify({ t: 'app-build', ...SHIPPED })).ok).toBe(true);
    expect(parseControlMessage(JSON.stringify({ t: 'app-build', version: '0.1.0', digest: null })).ok).toBe(
      true,
    );
    for (const bad of [
      { version: '0.1.0', digest: 'A'.repeat(64) },
      { version: '0.1.0', digest: 'a'.repeat(63) },
      { version: '0.1.0' },
      { version: '<b>1</b>', digest: null },
      { version: '1'.repeat(33), digest: null },
      { version: '', digest: null },
    ]) {
      expect(parseControlMessage(JSON.stringify({ t: 'app-build', ...bad })).ok, JSON.stringify(bad)).toBe(
        false,
      );
    }
  });
});

describe('the build a paired phone reports', () => {
  it('reaches the desktop in the session, also when set before the session opened', async () => {
    const { desktop, phone } = await pairedPair();
    phone.engine.setAppBuild(OTHER);
    await pairDevices(desktop, phone);
    await waitFor(desktop.engine, (s) => s.devices[0]?.appBuild?.digest === OTHER.digest);
    // The desktop reports none: only the companion app knows a build.
    expect(phone.engine.snapshot().devices[0]?.appBuild).toBeUndefined();

    phone.engine.setAppBuild(SHIPPED);
    await waitFor(desktop.engine, (s) => s.devices[0]?.appBuild?.digest === SHIPPED.digest);
    expect(desktop.engine.snapshot().devices[0]?.appBuild).toEqual(SHIPPED);
  });

  it('is forgotten when the session closes', async () => {
    const { desktop, phone } = await pairedPair();
    phone.engine.setAppBuild(OTHER);
    await pairDevices(desktop, phone);
    await waitFor(desktop.engine, (s) => s.devices[0]?.appBuild !== undefined);
    phone.engine.close();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status !== 'online');
    expect(desktop.engine.snapshot().devices[0]?.appBuild).toBeUndefined();
  });
});

describe('checkAppBuild', () => {
  it('tells the shipped build from another and from an unpinned app', () => {
    expect(checkAppBuild(SHIPPED, { ...SHIPPED })).toBe('same');
    expect(checkAppBuild(SHIPPED, OTHER)).toBe('different');
    // The version alone proves nothing: the digest decides.
    expect(checkAppBuild(SHIPPED, { version: SHIPPED.version, digest: OTHER.digest })).toBe('different');
    expect(checkAppBuild(SHIPPED, { version: SHIPPED.version, digest: null })).toBe('unpinned');
    expect(shortDigest(`0123456789abcdef${'0'.repeat(48)}`)).toBe('0123 4567 89ab cdef');
  });
});
