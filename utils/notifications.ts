// Desktop notifications: what arrived (click to open the link or copy the text), what was sent, and
// anything the user must know (an unverifiable connection, being unpaired). Notification ids carry the
// item's identity, so a click still works after the service worker was stopped and restarted.

import { browser } from 'wxt/browser';
import type { EngineNotice } from '../core/engine/engine';
import type { ReceivedItem } from '../core/engine/state-store';
import { describeItem, isOpenableUrl } from '../core/items';
import { VERIFICATION_FAILED } from '../core/session/failure-messages';

const ICON = 'icon/128.png';

export function receivedNotificationId(item: ReceivedItem): string {
  return `item:${item.fromDeviceId}:${item.id}`;
}

export function parseReceivedNotificationId(
  id: string,
): { fromDeviceId: string; itemId: string } | undefined {
  const match = /^item:([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/.exec(id);
  return match?.[1] && match[2] ? { fromDeviceId: match[1], itemId: match[2] } : undefined;
}

/** What clicking the notification (or its one button) does: open a tab (http/https only), copy, or show the file. */
export function clickActionFor(item: ReceivedItem): { open: string } | { copy: string } | { show: string } {
  const { item: content } = item;
  if (content.kind === 'text') return { copy: content.text };
  if (content.kind === 'file') return { show: content.name };
  return isOpenableUrl(content.url) ? { open: content.url } : { copy: content.url };
}

/** The button's words for what it does. */
export function actionLabel(action: ReturnType<typeof clickActionFor>): string {
  if ('open' in action) return 'Open';
  if ('copy' in action) return 'Copy';
  return 'Show in folder';
}

export async function notify(id: string, title: string, message: string, buttons?: string[]): Promise<void> {
  await browser.notifications.create(id, {
    type: 'basic',
    iconUrl: browser.runtime.getURL(`/${ICON}`),
    title,
    message: message.slice(0, 400),
    // Firefox has no notification buttons; clicking the notification does the same thing there.
    ...(buttons && !import.meta.env.FIREFOX ? { buttons: buttons.map((b) => ({ title: b })) } : {}),
  });
}

export async function notifyNotice(notice: EngineNotice, notifyOnReceive: boolean): Promise<void> {
  switch (notice.kind) {
    case 'item-received': {
      if (!notifyOnReceive) return;
      const action = clickActionFor(notice.item);
      await notify(
        receivedNotificationId(notice.item),
        `From ${notice.item.fromName}`,
        describeItem(notice.item.item),
        [actionLabel(action)],
      );
      return;
    }
    case 'paired':
      await notify(
        `paired:${notice.deviceId}`,
        'Device paired',
        `${notice.name} is now paired with this browser.`,
      );
      return;
    case 'pair-requested':
      await notify(
        `pair-requested:${notice.deviceId}`,
        `${notice.name} wants to pair`,
        `Open DirectDrop and check that ${notice.name} shows the code ${notice.verificationCode}.`,
      );
      return;
    case 'unpaired-by-peer':
      await notify(`unpaired:${notice.deviceId}`, 'Device unpaired', `${notice.name} unpaired this browser.`);
      return;
    case 'verification-failed':
      await notify(
        `unverified:${Date.now()}`,
        'Connection could not be verified',
        // The same words as the device's row and a send's result: one warning, wherever it is read.
        `${notice.name ? `${notice.name}: ` : ''}${VERIFICATION_FAILED}`,
      );
      return;
  }
}
