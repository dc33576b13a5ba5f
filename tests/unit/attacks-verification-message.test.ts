// After a compromised server relayed a paired pair through itself, every place that tells the user about
// it says the same thing: the device's row, the result of a send, and the desktop notification. In
// particular a send that waited on a handshake the relay broke hears the verification warning at once,
// not "The other device did not finish connecting." seconds later.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { type EngineNotice, SEND_FEEDBACK_MS, type SendOutcome } from '../../core/engine/engine';
import { VERIFICATION_FAILED } from '../../core/session/failure-messages';
import { notifyNotice } from '../../utils/notifications';
import {
  DESKTOP_UA,
  MemoryHub,
  openDevice,
  PHONE_UA,
  pairDevices,
  type TestDevice,
  waitFor,
} from '../helpers/engine-fixture';
import { settle } from '../helpers/hostile-peer';
import { advanceInSteps, ManualClock } from '../helpers/node-env';
import { relayInTheMiddle } from '../helpers/relay';

vi.mock('wxt/browser', () => ({ browser: fakeBrowser }));

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
  fakeBrowser.reset();
});

function nextVerificationFailure(device: TestDevice): Promise<EngineNotice> {
  return new Promise((resolve) => {
    const stop = device.engine.onNotice((notice) => {
      if (notice.kind !== 'verification-failed') return;
      stop();
      resolve(notice);
    });
  });
}

describe('after a relay in the middle broke a paired session', () => {
  it('the send result, the device row and the notification all give the one verification warning', async () => {
    const hub = new MemoryHub();
    const clock = new ManualClock();
    const desktop = await openDevice(hub, DESKTOP_UA, { clock });
    const phone = await openDevice(hub, PHONE_UA, { clock });
    opened.push(desktop, phone);
    await pairDevices(desktop, phone);
    // Who gives way when both dial at once depends on the device ids: "high" has the larger one, so its
    // dial is refused as a duplicate and it waits for the other's, which the relay then breaks.
    const byId = [desktop, phone].map((device) => ({
      device,
      id: device.engine.snapshot().self.deviceId,
      name: device.engine.snapshot().self.name,
    }));
    byId.sort((a, b) => (a.id < b.id ? -1 : 1));
    const [low, high] = byId as [(typeof byId)[0], (typeof byId)[0]];

    // The server now relays every connection between the two through itself.
    for (const device of [desktop, phone]) {
      const peerId = device.network().localPeerId;
      hub.interceptors.set(peerId, (from) => relayInTheMiddle(hub, from, peerId));
    }
    phone.network().goOffline();
    await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'offline');
    const attacked = [nextVerificationFailure(desktop), nextVerificationFailure(phone)];
    phone.network().setStatus('online');
    await Promise.all(attacked);
    await settle();

    // Both users send at the same moment: both dial, "high" gives way and waits for "low"'s connection.
    const failed = [nextVerificationFailure(high.device), nextVerificationFailure(low.device)];
    let answered = false;
    const fromHigh = high.device.engine.sendItem(low.id, { kind: 'text', text: 'one' });
    const fromLow = low.device.engine.sendItem(high.id, { kind: 'text', text: 'two' });
    void fromHigh.then(() => (answered = true));
    const [highNotice] = await Promise.all(failed);
    await settle();
    // The wait ended with the failure: the send answered without the feedback deadline passing.
    expect(answered).toBe(true);
    clock.advance(SEND_FEEDBACK_MS);

    const warningAbout = (name: string) => `${name}: ${VERIFICATION_FAILED}`;
    expect(await fromHigh).toEqual({ queued: true, reason: warningAbout(low.name) });
    expect(await fromLow).toEqual({ queued: true, reason: warningAbout(high.name) });
    expect(high.device.engine.snapshot().devices[0]?.problem).toBe(VERIFICATION_FAILED);
    expect(low.device.engine.snapshot().devices[0]?.problem).toBe(VERIFICATION_FAILED);

    // The notification says it in the same words as the send result.
    expect(highNotice).toEqual({ kind: 'verification-failed', name: low.name });
    await notifyNotice(highNotice as EngineNotice, true);
    const shown = Object.values(await fakeBrowser.notifications.getAll()) as Array<{ message: string }>;
    expect(shown.map((n) => n.message)).toEqual([warningAbout(low.name)]);

    // Later sends, while the relay keeps breaking every attempt, never read as a vague timeout either.
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < 3; i++) {
      const send = high.device.engine.sendItem(low.id, { kind: 'text', text: `again ${i}` });
      await settle();
      clock.advance(SEND_FEEDBACK_MS);
      outcomes.push(await send);
      await advanceInSteps(clock, 4_000);
    }
    expect(outcomes).toEqual(outcomes.map(() => ({ queued: true, reason: warningAbout(low.name) })));
    expect(low.device.engine.inbox()).toEqual([]);
  });
});
