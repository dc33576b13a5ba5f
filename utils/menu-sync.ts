// Keeps the browser's context menus in step with the paired devices. Rebuilds are serialised (a rebuild
// is removeAll + create, and two interleaved rebuilds would collide on ids) and skipped when nothing the
// menus show has changed.

import { browser } from 'wxt/browser';
import type { DeviceView } from '../core/engine/engine';
import { menuEntries, menuTargets } from './context-menus';

export interface MenuSync {
  update(devices: readonly DeviceView[]): Promise<void>;
  nameOf(deviceId: string): string | undefined;
}

export function createMenuSync(): MenuSync {
  let shown: string | undefined;
  let names = new Map<string, string>();
  let queue = Promise.resolve();
  return {
    update(devices) {
      const targets = menuTargets(devices);
      names = new Map(targets.map((t) => [t.deviceId, t.name]));
      const signature = JSON.stringify(targets);
      if (signature === shown) return queue;
      shown = signature;
      queue = queue
        .then(() => rebuild(targets))
        .catch((error: unknown) => console.warn('[DirectDrop] menus', error));
      return queue;
    },
    nameOf: (deviceId) => names.get(deviceId),
  };
}

async function rebuild(targets: ReturnType<typeof menuTargets>): Promise<void> {
  await browser.contextMenus.removeAll();
  for (const entry of menuEntries(targets)) {
    browser.contextMenus.create(
      {
        id: entry.id,
        title: entry.title,
        contexts: entry.contexts,
        ...(entry.parentId ? { parentId: entry.parentId } : {}),
      },
      // Reading lastError marks it handled; a failed entry must not break the others.
      () => void browser.runtime.lastError,
    );
  }
}
