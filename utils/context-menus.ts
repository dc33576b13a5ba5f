// The right-click menus: which entries exist for the current paired devices, and what a click means.
// Pure functions of plain data, so the menu layout and click handling are testable without a browser.

import type { DeviceView } from '../core/engine/engine';
import type { Item } from '../core/protocol/messages';

export type SendKind = 'link' | 'text' | 'page' | 'image' | 'video' | 'audio' | 'linked-file';

type MenuContext = 'link' | 'selection' | 'page' | 'image' | 'video' | 'audio';

export interface MenuEntry {
  id: string;
  title: string;
  contexts: [MenuContext, ...MenuContext[]];
  parentId?: string;
}

/** Menu order: what people send most first. */
const KINDS: readonly SendKind[] = ['image', 'link', 'linked-file', 'text', 'page', 'video', 'audio'];
const CONTEXT_OF: Record<SendKind, MenuContext> = {
  link: 'link',
  'linked-file': 'link',
  text: 'selection',
  page: 'page',
  image: 'image',
  video: 'video',
  audio: 'audio',
};
const LABEL: Record<SendKind, string> = {
  link: 'Send link',
  'linked-file': 'Send linked file',
  text: 'Send text',
  page: 'Send this page',
  image: 'Send image',
  video: 'Send video',
  audio: 'Send audio',
};
export const PAIR_MENU_ID = 'pair-device';
export const ALL_DEVICES = 'all';

/** The devices a menu may target: paired ones that have not unpaired us. */
export function menuTargets(devices: readonly DeviceView[]): Array<Pick<DeviceView, 'deviceId' | 'name'>> {
  return devices.filter((d) => d.status !== 'unpaired').map(({ deviceId, name }) => ({ deviceId, name }));
}

/** One entry per device and kind; with several devices a submenu per kind that ends with "All devices". */
export function menuEntries(devices: ReadonlyArray<Pick<DeviceView, 'deviceId' | 'name'>>): MenuEntry[] {
  if (devices.length === 0) {
    return [
      {
        id: PAIR_MENU_ID,
        title: 'DirectDrop: pair a device to send to…',
        contexts: ['link', 'selection', 'page', 'image', 'video', 'audio'],
      },
    ];
  }
  const entries: MenuEntry[] = [];
  for (const kind of KINDS) {
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
    entries.push({ id: menuId(kind, ALL_DEVICES), title: 'All devices', contexts, parentId });
  }
  return entries;
}

export function menuId(kind: SendKind, target: string): string {
  return `send:${kind}:${target}`;
}

export function parseMenuId(id: string | number): { kind: SendKind; target: string } | undefined {
  const match = /^send:(link|text|page|image|video|audio|linked-file):([A-Za-z0-9_-]{22}|all)$/.exec(
    String(id),
  );
  if (!match?.[1] || !match[2]) return undefined;
  return { kind: match[1] as SendKind, target: match[2] };
}

/** The subset of contextMenus.OnClickData and tabs.Tab a click needs. */
export interface ClickInfo {
  linkUrl?: string;
  srcUrl?: string;
  selectionText?: string;
  pageUrl?: string;
  linkText?: string;
}
export interface ClickTab {
  id?: number;
  url?: string;
  title?: string;
}

/** What a click means: an item to send as it is, a URL whose bytes to send as a file, or why neither. */
export type ClickTarget = { item: Item } | { fileUrl: string } | { error: string };

export function targetOfClick(kind: SendKind, info: ClickInfo, tab: ClickTab | undefined): ClickTarget {
  const pageUrl = tab?.url ?? info.pageUrl;
  switch (kind) {
    case 'link':
      if (!info.linkUrl) return { error: 'There is no link here to send.' };
      return {
        item: {
          kind: 'link',
          url: info.linkUrl,
          ...(info.linkText ? { title: info.linkText.slice(0, 512) } : {}),
        },
      };
    case 'text': {
      const text = info.selectionText?.trim();
      if (!text) return { error: 'Select some text first.' };
      return {
        item: {
          kind: 'text',
          text,
          ...(pageUrl ? { sourceUrl: pageUrl } : {}),
          ...(tab?.title ? { sourceTitle: tab.title.slice(0, 512) } : {}),
        },
      };
    }
    case 'page':
      if (!pageUrl) return { error: 'This page has no address to send.' };
      return { item: { kind: 'page', url: pageUrl, title: (tab?.title || pageUrl).slice(0, 512) } };
    case 'linked-file':
      return fetchable(info.linkUrl, 'There is no linked file here to send.');
    case 'image':
      return fetchable(info.srcUrl, 'This image has no source the browser can read.');
    case 'video':
    case 'audio':
      return fetchable(
        info.srcUrl,
        `This ${kind} has no single source the browser can read (it may be streamed).`,
      );
  }
}

function fetchable(url: string | undefined, missing: string): ClickTarget {
  if (!url) return { error: missing };
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return { error: missing };
  }
  if (['http:', 'https:', 'data:', 'blob:'].includes(protocol)) return { fileUrl: url };
  return { error: `DirectDrop cannot read ${protocol} addresses.` };
}
