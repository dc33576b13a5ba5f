// Chrome's offscreen document: the long-lived page that owns WebRTC, because the service worker has no
// RTCPeerConnection and is stopped when idle. It only has runtime messaging, so it asks the background
// for settings and broadcasts what the engine reports; a port to the background lets the worker recreate
// this document should it ever be closed.

import { browser } from 'wxt/browser';
import { hostExtensionEngine } from '../../utils/extension-engine-host';
import { type EngineEvent, isToOffscreen, type SettingsQuery } from '../../utils/extension-messages';
import { hasPendingWork, linkToBackground } from '../../utils/offscreen-engine';
import type { Settings } from '../../utils/settings';

const settingsQuery: SettingsQuery = { to: 'background', query: 'settings' };
const background = linkToBackground();

const host = hostExtensionEngine({
  loadSettings: () => browser.runtime.sendMessage(settingsQuery) as Promise<Settings>,
  broadcast: (event: EngineEvent) => {
    background.touch(event.kind === 'snapshot' ? hasPendingWork(event.snapshot) : undefined);
    // Nobody listening (popup closed, worker asleep and not woken) is normal.
    browser.runtime.sendMessage({ from: 'engine', event }).catch(() => {});
  },
});

browser.runtime.onMessage.addListener((message: unknown) => {
  if (!isToOffscreen(message)) return undefined;
  return host.answer(message.request);
});

background.touch();
