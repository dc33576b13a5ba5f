// Talking to the extension from a test the way Chrome and the popup do: the context-menu and shortcut
// handlers called in the service worker with Chrome's own shapes, and engine requests from an extension page.

import type { Page } from '@playwright/test';
import type { EngineRequest, EngineResponses, RpcResult } from '../../../utils/extension-messages';
import type { Desktop } from './browsers';

export interface MenuClick {
  info: { linkUrl?: string; selectionText?: string; pageUrl?: string; srcUrl?: string; mediaType?: string };
  tab: { url: string; title: string };
}

/** A tab as the browser hands it to a handler: the test's address and title in a whole tabs.Tab. */
export function browserTab(tab: MenuClick['tab']) {
  return {
    id: 1,
    index: 0,
    windowId: 1,
    active: true,
    highlighted: true,
    pinned: false,
    incognito: false,
    ...tab,
  };
}

/** Calls contextMenus.onClicked's handler in the service worker with a click on `menuItemId`. */
export async function clickContextMenu(
  desktop: Desktop,
  menuItemId: string,
  click: MenuClick,
): Promise<RpcResult<unknown>> {
  return desktop.worker.evaluate(
    ({ id, info, tab }) => {
      const handle = (
        globalThis as unknown as {
          directDrop: { onContextMenuClicked(info: unknown, tab: unknown): Promise<RpcResult<unknown>> };
        }
      ).directDrop;
      return handle.onContextMenuClicked({ menuItemId: id, editable: false, frameId: 0, ...info }, tab);
    },
    { id: menuItemId, info: click.info, tab: browserTab(click.tab) },
  );
}

/** Sends an engine request from an extension page (popup or options), as the UI does. */
export async function askEngineFrom<T extends EngineRequest['type']>(
  page: Page,
  request: Extract<EngineRequest, { type: T }>,
): Promise<EngineResponses[T]> {
  const result = (await page.evaluate(
    (req) =>
      (
        globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } }
      ).chrome.runtime.sendMessage({
        to: 'background',
        request: req,
      }),
    request,
  )) as RpcResult<EngineResponses[T]>;
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** Calls commands.onCommand's handler in the service worker, as Chrome does when the shortcut is pressed. */
export async function pressShortcut(
  desktop: Desktop,
  command: string,
  tab: MenuClick['tab'],
): Promise<RpcResult<unknown>> {
  return desktop.worker.evaluate(
    ({ command, tab }) => {
      const handle = (
        globalThis as unknown as {
          directDrop: { onCommand(command: string, tab: unknown): Promise<RpcResult<unknown>> };
        }
      ).directDrop;
      return handle.onCommand(command, tab);
    },
    { command, tab: browserTab(tab) },
  );
}
