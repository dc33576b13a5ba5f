// The background's behaviour, separate from its wiring: sending what a context-menu click points at,
// turning engine notices into notifications, and acting on notification clicks. Every user-visible
// outcome, success or failure, ends in a notification: a menu click has no other place to show it.

import { browser } from 'wxt/browser';
import { type ClickInfo, type ClickTab, itemFromClick, PAIR_MENU_ID, parseMenuId } from './context-menus';
import type { EngineAccess } from './engine-access';
import type { EngineEvent, RpcResult } from './extension-messages';
import type { MenuSync } from './menu-sync';
import { clickActionFor, notify, notifyNotice, parseReceivedNotificationId } from './notifications';
import { loadSettings } from './settings';

export interface BackgroundService {
  handleEngineEvent(event: EngineEvent): Promise<void>;
  /** Exactly what Chrome calls for contextMenus.onClicked; resolves with the send's outcome. */
  onContextMenuClicked(
    info: ClickInfo & { menuItemId: string | number },
    tab?: ClickTab,
  ): Promise<RpcResult<null>>;
  onNotificationClicked(notificationId: string): Promise<void>;
  refreshMenus(): Promise<void>;
}

export function createBackgroundService(access: EngineAccess, menus: MenuSync): BackgroundService {
  async function deviceName(deviceId: string): Promise<string> {
    const known = menus.nameOf(deviceId);
    if (known) return known;
    await refreshMenus();
    return menus.nameOf(deviceId) ?? 'your device';
  }

  async function refreshMenus(): Promise<void> {
    const state = await access.request({ type: 'get-state' });
    if (state.ok) await menus.update(state.value.snapshot.devices);
  }

  async function copy(text: string): Promise<void> {
    const result = await access.request({ type: 'copy-text', text });
    await notify(
      `copied:${Date.now()}`,
      result.ok ? 'Copied' : 'Could not copy',
      result.ok ? 'The text is on your clipboard.' : result.error,
    );
  }

  return {
    async handleEngineEvent(event) {
      if (event.kind === 'snapshot') {
        await menus.update(event.snapshot.devices);
        return;
      }
      await notifyNotice(event.notice, (await loadSettings()).notifyOnReceive);
    },

    async onContextMenuClicked(info, tab) {
      if (info.menuItemId === PAIR_MENU_ID) {
        await browser.tabs.create({ url: browser.runtime.getURL('/popup.html') });
        return { ok: true, value: null };
      }
      const target = parseMenuId(info.menuItemId);
      if (!target) return { ok: false, error: 'Unknown menu entry.' };
      const item = itemFromClick(target.kind, info, tab);
      if ('error' in item) {
        await notify(`send:${Date.now()}`, 'Nothing to send', item.error);
        return { ok: false, error: item.error };
      }
      const name = await deviceName(target.deviceId);
      const result = await access.request({ type: 'send-item', deviceId: target.deviceId, item });
      const what = { link: 'Link', text: 'Text', page: 'Page' }[target.kind];
      await notify(
        `send:${Date.now()}`,
        result.ok ? `${what} sent to ${name}` : `Could not send to ${name}`,
        result.ok ? 'It arrived, peer to peer. No server kept a copy.' : result.error,
      );
      return result.ok ? { ok: true, value: null } : result;
    },

    async onNotificationClicked(notificationId) {
      const received = parseReceivedNotificationId(notificationId);
      await browser.notifications.clear(notificationId);
      if (!received) return;
      const inbox = await access.request({ type: 'get-inbox' });
      const item = inbox.ok
        ? inbox.value.find(
            (entry) => entry.id === received.itemId && entry.fromDeviceId === received.fromDeviceId,
          )
        : undefined;
      if (!item) return;
      const action = clickActionFor(item);
      if ('open' in action) await browser.tabs.create({ url: action.open });
      else if ('copy' in action) await copy(action.copy);
    },

    refreshMenus,
  };
}
