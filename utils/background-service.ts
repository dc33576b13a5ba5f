// The background's behaviour, separate from its wiring: sending what a context-menu click points at (as an
// item, or as a file the engine fetches), turning engine notices into notifications, saving received files
// to Downloads, offering to send a download once it finishes, and the keyboard shortcut that sends the
// current tab to the device last sent to. Every user-visible outcome ends in a notification: a menu click
// or a shortcut has no other place to show it.

import { browser } from 'wxt/browser';
import type { DeviceView, EngineNotice } from '../core/engine/engine';
import { formatBytes } from '../core/transfer/incoming-transfer';
import {
  ALL_DEVICES,
  type ClickInfo,
  type ClickTab,
  PAIR_MENU_ID,
  parseMenuId,
  targetOfClick,
} from './context-menus';
import { describeDownload, recentDownloads, sendDownload } from './downloads';
import type { EngineAccess } from './engine-access';
import type {
  BackgroundRequest,
  BackgroundResponses,
  EngineEvent,
  FilesQueued,
  RpcResult,
} from './extension-messages';
import { loadLastTarget } from './last-target';
import type { MenuSync } from './menu-sync';
import { clickActionFor, notify, notifyNotice, parseReceivedNotificationId } from './notifications';
import { readBlobUrlInTab } from './read-blob-url';
import { onReceivedDownloadChanged, saveReceivedFile, showReceivedFile } from './received-files';
import { loadSettings } from './settings';

export interface BackgroundService {
  handleEngineEvent(event: EngineEvent): Promise<void>;
  /** Exactly what Chrome calls for contextMenus.onClicked; resolves with the send's outcome. */
  onContextMenuClicked(
    info: ClickInfo & { menuItemId: string | number },
    tab?: ClickTab,
  ): Promise<RpcResult<unknown>>;
  /** Exactly what Chrome calls for commands.onCommand (the keyboard shortcuts). */
  onCommand(command: string, tab?: ClickTab): Promise<RpcResult<unknown>>;
  onNotificationClicked(notificationId: string, buttonIndex?: number): Promise<void>;
  onDownloadChanged(delta: { id: number; state?: { current?: string } }): Promise<void>;
  answer(request: BackgroundRequest): Promise<RpcResult<BackgroundResponses[BackgroundRequest['type']]>>;
  refreshMenus(): Promise<void>;
}

/** The manifest command that sends the current tab (manifest `commands`, wxt.config.ts). */
export const SEND_TAB_COMMAND = 'send-tab';

const KIND_WORD = {
  link: 'Link',
  text: 'Text',
  page: 'Page',
  image: 'Image',
  video: 'Video',
  audio: 'Audio',
  'linked-file': 'File',
} as const;

export function createBackgroundService(access: EngineAccess, menus: MenuSync): BackgroundService {
  async function devices(): Promise<DeviceView[]> {
    const state = await access.request({ type: 'get-state' });
    if (!state.ok) return [];
    await menus.update(state.value.snapshot.devices);
    return state.value.snapshot.devices;
  }

  async function deviceName(deviceId: string): Promise<string> {
    return (
      menus.nameOf(deviceId) ?? (await devices()).find((d) => d.deviceId === deviceId)?.name ?? 'your device'
    );
  }

  async function targetsOf(target: string): Promise<string[]> {
    if (target !== ALL_DEVICES) return [target];
    return (await devices()).filter((d) => d.status !== 'unpaired').map((d) => d.deviceId);
  }

  async function copy(text: string): Promise<void> {
    const result = await access.request({ type: 'copy-text', text });
    await notify(
      `copied:${Date.now()}`,
      result.ok ? 'Copied' : 'Could not copy',
      result.ok ? 'The text is on your clipboard.' : result.error,
    );
  }

  async function sendItemToAll(
    deviceIds: string[],
    item: Extract<ReturnType<typeof targetOfClick>, { item: unknown }>['item'],
    what: string,
  ): Promise<RpcResult<unknown>> {
    let last: RpcResult<unknown> = { ok: true, value: null };
    for (const deviceId of deviceIds) {
      const name = await deviceName(deviceId);
      const result = await access.request({ type: 'send-item', deviceId, item });
      if (!result.ok) {
        await notify(`send:${Date.now()}:${deviceId}`, `Could not send to ${name}`, result.error);
        last = result;
      } else if ('queued' in result.value) {
        await notify(
          `send:${Date.now()}:${deviceId}`,
          `${what} waiting for ${name}`,
          `${result.value.reason} It will be sent when ${name} comes online.`,
        );
        last = { ok: true, value: result.value };
      } else {
        await notify(
          `send:${Date.now()}:${deviceId}`,
          `${what} sent to ${name}`,
          'It arrived, peer to peer. No server kept a copy.',
        );
        last = { ok: true, value: result.value };
      }
    }
    return deviceIds.length === 1 ? last : { ok: true, value: null };
  }

  async function sendFileFromUrl(
    deviceIds: string[],
    url: string,
    permission: Promise<boolean | undefined>,
    tab: ClickTab | undefined,
  ): Promise<RpcResult<FilesQueued>> {
    const granted = await permission;
    let readable = url;
    if (url.startsWith('blob:')) {
      const read = await readBlobUrlInTab(tab?.id, url);
      if (!read.ok) return read;
      readable = read.value;
    }
    const result = await access.request({ type: 'send-url-as-file', deviceIds, url: readable });
    if (!result.ok && granted === false) {
      return {
        ok: false,
        error: `DirectDrop needs permission to read files from ${new URL(url).host} to send them. Try again and allow it.`,
      };
    }
    return result;
  }

  async function offerDownload(downloadId: number): Promise<void> {
    if (!(await loadSettings()).offerToSendDownloads) return;
    const [item] = await browser.downloads.search({ id: downloadId });
    if (!item || item.byExtensionId === browser.runtime.id) return;
    const targets = (await devices()).filter((d) => d.status !== 'unpaired');
    const [first] = targets;
    if (!first) return;
    const download = describeDownload(item);
    await notify(
      `download:${downloadId}`,
      `Downloaded ${download.name}`,
      `Send it to ${targets.length === 1 ? first.name : 'one of your devices'}? (${formatBytes(download.size)})`,
      [`Send to ${first.name}`, ...(targets.length > 1 ? ['Choose device…'] : [])],
    );
  }

  async function onNotice(notice: EngineNotice): Promise<void> {
    await notifyNotice(notice, (await loadSettings()).notifyOnReceive);
    if (notice.kind === 'item-received' && notice.item.item.kind === 'file') {
      try {
        await saveReceivedFile(access, notice.item.item);
      } catch (error) {
        await notify(
          `save:${Date.now()}`,
          'Could not save a received file',
          error instanceof Error ? error.message : String(error),
        );
      }
    }
  }

  const service: BackgroundService = {
    async handleEngineEvent(event) {
      if (event.kind === 'snapshot') await menus.update(event.snapshot.devices);
      else await onNotice(event.notice);
    },

    onContextMenuClicked(info, tab) {
      // Permission prompts need the click's user gesture, so this is asked before anything is awaited.
      const parsed = parseMenuId(info.menuItemId);
      const target = parsed ? targetOfClick(parsed.kind, info, tab) : undefined;
      const permission = target && 'fileUrl' in target ? requestReadPermission(target.fileUrl) : undefined;
      return (async (): Promise<RpcResult<unknown>> => {
        if (info.menuItemId === PAIR_MENU_ID) {
          await browser.tabs.create({ url: browser.runtime.getURL('/popup.html') });
          return { ok: true, value: null };
        }
        if (!parsed || !target) return { ok: false, error: 'Unknown menu entry.' };
        if ('error' in target) {
          await notify(`send:${Date.now()}`, 'Nothing to send', target.error);
          return { ok: false, error: target.error };
        }
        const deviceIds = await targetsOf(parsed.target);
        if (deviceIds.length === 0) return { ok: false, error: 'Pair a device first.' };
        if ('item' in target) return sendItemToAll(deviceIds, target.item, KIND_WORD[parsed.kind]);
        const result = await sendFileFromUrl(
          deviceIds,
          target.fileUrl,
          permission ?? Promise.resolve(undefined),
          tab,
        );
        if (!result.ok) {
          await notify(
            `send:${Date.now()}`,
            `Could not send the ${KIND_WORD[parsed.kind].toLowerCase()}`,
            result.error,
          );
          return result;
        }
        const [file] = result.value.files;
        const names = await Promise.all(deviceIds.map(deviceName));
        await notify(
          `send:${Date.now()}`,
          `Sending ${file?.name ?? 'the file'}`,
          `To ${names.join(', ')}, peer to peer. It waits in the outbox for any device that is offline.`,
        );
        return result;
      })();
    },

    async onCommand(command, tab) {
      if (command !== SEND_TAB_COMMAND) return { ok: false, error: `Unknown command ${command}.` };
      const target = targetOfClick('page', {}, tab ?? (await activeTab()));
      if ('error' in target || !('item' in target)) {
        const error = 'error' in target ? target.error : 'This tab cannot be sent.';
        await notify(`send:${Date.now()}`, 'Nothing sent', error);
        return { ok: false, error };
      }
      const paired = (await devices()).filter((d) => d.status !== 'unpaired');
      const last = await loadLastTarget();
      const device = paired.find((d) => d.deviceId === last) ?? (paired.length === 1 ? paired[0] : undefined);
      if (!device) {
        const error =
          paired.length === 0
            ? 'Pair a device first: click the DirectDrop button in the toolbar.'
            : 'Send something to one of your devices once, from the menu or the toolbar button: the shortcut then sends to that device.';
        await notify(`send:${Date.now()}`, 'Which device?', error);
        return { ok: false, error };
      }
      return sendItemToAll([device.deviceId], target.item, KIND_WORD.page);
    },

    async onNotificationClicked(notificationId, buttonIndex) {
      await browser.notifications.clear(notificationId);
      const download = /^download:(\d+)$/.exec(notificationId)?.[1];
      if (download) {
        const targets = (await devices()).filter((d) => d.status !== 'unpaired');
        const first = targets[0];
        if (buttonIndex === 0 && first) {
          const result = await sendDownload(access, Number(download), [first.deviceId]);
          if (!result.ok) await notify(`send:${Date.now()}`, `Could not send to ${first.name}`, result.error);
        } else {
          await browser.tabs.create({ url: browser.runtime.getURL('/popup.html') });
        }
        return;
      }
      const received = parseReceivedNotificationId(notificationId);
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
      else if (item.item.kind === 'file') {
        const { transferId, file, name } = item.item;
        await showReceivedFile(transferId, file).catch((error: unknown) =>
          notify(
            `show:${Date.now()}`,
            `Cannot show ${name}`,
            error instanceof Error ? error.message : String(error),
          ),
        );
      }
    },

    async onDownloadChanged(delta) {
      await onReceivedDownloadChanged(access, delta);
      if (delta.state?.current === 'complete') await offerDownload(delta.id);
    },

    async answer(request) {
      try {
        switch (request.type) {
          case 'recent-downloads':
            return { ok: true, value: await recentDownloads() };
          case 'send-download':
            return await sendDownload(access, request.downloadId, request.deviceIds);
          case 'show-received-file':
            await showReceivedFile(request.transferId, request.file);
            return { ok: true, value: null };
        }
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      return { ok: false, error: 'Unknown request.' };
    },

    refreshMenus: async () => {
      await devices();
    },
  };
  return service;
}

/**
 * Asks for the optional permission to read a URL's site. Without a user gesture (or with no prompt
 * possible) the browser refuses to ask; the fetch is then tried anyway, which still works for sites that
 * allow it. Resolves undefined when the question could not be asked.
 */
function requestReadPermission(url: string): Promise<boolean | undefined> {
  let origin: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return Promise.resolve(undefined);
    origin = parsed.origin;
  } catch {
    return Promise.resolve(undefined);
  }
  try {
    return browser.permissions.request({ origins: [`${origin}/*`] }).catch(() => undefined);
  } catch {
    return Promise.resolve(undefined);
  }
}

async function activeTab(): Promise<ClickTab | undefined> {
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab;
}
