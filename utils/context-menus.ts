// The right-click menus: which entries exist for the current paired devices, and what a click means.
// Pure functions of plain data, so the menu layout and click handling are testable without a browser.

import type { DeviceView } from '../core/engine/engine';
import type { Item } from '../core/protocol/messages';

export type SendKind = 'link' | 'text' | 'page';

type MenuContext = 'link' | 'selection' | 'page';

export interface MenuEntry {
  id: string;
  title: string;
  contexts: [MenuContext, ...MenuContext[]];
  parentId?: string;
}

const CONTEXT_OF: Record<SendKind, MenuContext> = {
  link: 'link',
  text: 'selection',
  page: 'page',
};
const LABEL: Record<SendKind, string> = { link: 'Send link', text: 'Send text', page: 'Send this page' };
export const PAIR_MENU_ID = 'pair-device';

/** The devices a menu may target: paired ones that have not unpaired us. */
export function menuTargets(devices: readonly DeviceView[]): Array<Pick<DeviceView, 'deviceId' | 'name'>> {
  return devices.filter((d) => d.status !== 'unpaired').map(({ deviceId, name }) => ({ deviceId, name }));
}

/** One entry per device and kind; a submenu per kind when there are several devices. */
export function menuEntries(devices: ReadonlyArray<Pick<DeviceView, 'deviceId' | 'name'>>): MenuEntry[] {
  if (devices.length === 0) {
    return [
      {
        id: PAIR_MENU_ID,
        title: 'DirectDrop: pair a device to send to…',
        contexts: ['link', 'selection', 'page'],
      },
    ];
  }
  const entries: MenuEntry[] = [];
  for (const kind of ['link', 'text', 'page'] as const) {
    const contexts: MenuEntry['contexts'] = [CONTEXT_OF[kind]];
    const [only] = devices;
    if (devices.length === 1 && only) {
      entries.push({ id: menuId(kind, only.deviceId), title: `${LABEL[kind]} to ${only.name}`, contexts });
      continue;
    }
    const parentId = `send-${kind}`;
    entries.push({ id: parentId, title: `${LABEL[kind]} to`, contexts });
    for (const device of devices) {
      entries.push({ id: menuId(kind, device.deviceId), title: device.name, contexts, parentId });
    }
  }
  return entries;
}

export function menuId(kind: SendKind, deviceId: string): string {
  return `send:${kind}:${deviceId}`;
}

export function parseMenuId(id: string | number): { kind: SendKind; deviceId: string } | undefined {
  const match = /^send:(link|text|page):([A-Za-z0-9_-]{22})$/.exec(String(id));
  if (!match?.[1] || !match[2]) return undefined;
  return { kind: match[1] as SendKind, deviceId: match[2] };
}

/** The subset of contextMenus.OnClickData and tabs.Tab a click needs. */
export interface ClickInfo {
  linkUrl?: string;
  selectionText?: string;
  pageUrl?: string;
  linkText?: string;
}
export interface ClickTab {
  url?: string;
  title?: string;
}

/** What to send for a click, or a message saying why there is nothing to send. */
export function itemFromClick(
  kind: SendKind,
  info: ClickInfo,
  tab: ClickTab | undefined,
): Item | { error: string } {
  const pageUrl = tab?.url ?? info.pageUrl;
  switch (kind) {
    case 'link':
      if (!info.linkUrl) return { error: 'There is no link here to send.' };
      return {
        kind: 'link',
        url: info.linkUrl,
        ...(info.linkText ? { title: info.linkText.slice(0, 512) } : {}),
      };
    case 'text': {
      const text = info.selectionText?.trim();
      if (!text) return { error: 'Select some text first.' };
      return {
        kind: 'text',
        text,
        ...(pageUrl ? { sourceUrl: pageUrl } : {}),
        ...(tab?.title ? { sourceTitle: tab.title.slice(0, 512) } : {}),
      };
    }
    case 'page':
      if (!pageUrl) return { error: 'This page has no address to send.' };
      return { kind: 'page', url: pageUrl, title: (tab?.title || pageUrl).slice(0, 512) };
  }
}
