// Background wiring only: listeners are registered synchronously at start-up (so Chrome can wake the
// service worker for them) and delegate to the background service. On Firefox this persistent page also
// hosts the engine.

import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { createBackgroundService } from '../utils/background-service';
import { type EngineAccess, localEngineAccess, offscreenEngineAccess } from '../utils/engine-access';
import {
  isBackgroundRequest,
  isEngineBroadcast,
  isSettingsQuery,
  isToBackground,
} from '../utils/extension-messages';
import { rememberingLastTarget } from '../utils/last-target';
import { createMenuSync } from '../utils/menu-sync';
import { watchOffscreenDocument } from '../utils/offscreen-engine';
import { loadSettings, settingsItem } from '../utils/settings';

export default defineBackground({
  // Firefox (MV2): the background page owns the WebRTC connections, so it must not be unloaded.
  persistent: true,
  main() {
    const menus = createMenuSync();
    let service: ReturnType<typeof createBackgroundService>;
    const access: EngineAccess = rememberingLastTarget(
      import.meta.env.FIREFOX
        ? localEngineAccess((event) => void service.handleEngineEvent(event))
        : offscreenEngineAccess(),
    );
    service = createBackgroundService(access, menus);

    browser.runtime.onMessage.addListener((message: unknown) => {
      if (isSettingsQuery(message)) return loadSettings();
      if (isToBackground(message)) {
        const { request } = message;
        return isBackgroundRequest(request) ? service.answer(request) : access.request(request);
      }
      if (isEngineBroadcast(message)) void service.handleEngineEvent(message.event);
      return undefined;
    });
    // Chrome: the offscreen document holds a port open to us; it closing means the engine is gone.
    if (!import.meta.env.FIREFOX) {
      browser.runtime.onConnect.addListener((port) =>
        watchOffscreenDocument(port, (error) => console.warn('[DirectDrop] could not restart', error)),
      );
    }
    browser.contextMenus.onClicked.addListener((info, tab) => void service.onContextMenuClicked(info, tab));
    browser.commands.onCommand.addListener((command, tab) => void service.onCommand(command, tab));
    browser.notifications.onClicked.addListener((id) => void service.onNotificationClicked(id));
    browser.notifications.onButtonClicked?.addListener(
      (id, buttonIndex) => void service.onNotificationClicked(id, buttonIndex),
    );
    browser.downloads.onChanged.addListener((delta) => void service.onDownloadChanged(delta));
    browser.runtime.onInstalled.addListener(() => void access.start().then(service.refreshMenus));
    browser.runtime.onStartup.addListener(() => void access.start().then(service.refreshMenus));
    // A new server address or ICE servers take effect at once, whoever changed them.
    settingsItem.watch(() => void access.request({ type: 'reconfigure' }));

    // Reachable from the worker's console and from end-to-end tests, which call it exactly as Chrome does.
    Object.assign(globalThis, {
      directDrop: {
        onContextMenuClicked: service.onContextMenuClicked,
        onCommand: service.onCommand,
        onNotificationClicked: service.onNotificationClicked,
      },
    });

    void access.start().catch((error: unknown) => console.warn('[DirectDrop] could not start', error));
  },
});
