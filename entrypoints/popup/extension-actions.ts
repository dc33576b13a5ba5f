// What extension pages (popup, send page) do with files and transfers, as plain functions over the
// background: hand picked files to the engine host, decide on and cancel transfers, set auto-accept,
// and open the full send page (Firefox closes the popup when a file dialog opens, so it picks there).

import { browser } from 'wxt/browser';
import type { NearbyActions } from '../../components/nearby-row';
import type { TransferActions } from '../../components/transfer-row';
import { askEngine } from '../../utils/engine-client';
import { handOverFiles } from '../../utils/file-handoff';
import { nearbyTarget } from '../../utils/queue-files';

/**
 * Queues files for devices. The engine host must be running to take the hand-over, so it is asked
 * something first (which starts it where it sleeps, e.g. Chrome's offscreen document).
 */
export async function sendPickedFiles(deviceIds: string[], files: File[]): Promise<void> {
  await askEngine({ type: 'get-state' });
  const result = await handOverFiles(deviceIds, files);
  if (!result.ok) throw new Error(result.error);
}

export const transferActions: TransferActions = {
  async onAccept(transferId) {
    await askEngine({ type: 'accept-transfer', transferId });
  },
  async onDecline(transferId) {
    await askEngine({ type: 'decline-transfer', transferId });
  },
  async onCancel(transferId) {
    await askEngine({ type: 'cancel-transfer', transferId });
  },
};

export const nearbyActions: NearbyActions = {
  onSendFiles: (peerId, files) => sendPickedFiles([nearbyTarget(peerId)], files),
  async onConnect(peerId) {
    await askEngine({ type: 'connect-nearby', peerId });
  },
  async onRequestPairing(deviceId) {
    await askEngine({ type: 'request-pairing', deviceId });
  },
  async onDeclinePairing(deviceId) {
    await askEngine({ type: 'decline-pairing', deviceId });
  },
};

export async function setVisible(visible: boolean): Promise<void> {
  await askEngine({ type: 'set-visible', visible });
}

/** Outbox entries cancel through the same request: the engine takes an entry id as well. */
export async function cancelOutboxEntry(entryId: string): Promise<void> {
  await askEngine({ type: 'cancel-transfer', transferId: entryId });
}

export async function setAutoAccept(deviceId: string, autoAccept: boolean): Promise<void> {
  await askEngine({ type: 'set-auto-accept', deviceId, autoAccept });
}

/** Opens the send page in a tab (optionally at a section, e.g. "#downloads") and closes the popup. */
export function openSendPage(section = ''): void {
  void browser.tabs.create({ url: browser.runtime.getURL(`/send.html${section}`) }).then(() => {
    if (isPopup()) window.close();
  });
}

/** True in the toolbar popup, false when the same page is open in a tab (as the tests open it). */
function isPopup(): boolean {
  return browser.extension.getViews?.({ type: 'popup' }).includes(window) ?? false;
}
