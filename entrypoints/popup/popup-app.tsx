// The popup's wiring: reads the engine through the background, decides when the pairing panel opens
// (by itself while nothing is paired), and turns the view's callbacks into engine requests. On Firefox a
// file dialog would close the popup (and the page picking the files with it), so files are picked on
// the send page there.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { askEngine } from '../../utils/engine-client';
import {
  cancelOutboxEntry,
  nearbyActions,
  openSendPage,
  sendPickedFiles,
  setAutoAccept,
  setVisible,
  transferActions,
} from './extension-actions';
import { PopupUnavailable, PopupView } from './popup-view';
import { useExtensionEngine } from './use-extension-engine';
import { useRecentDownloads } from './use-recent-downloads';

const PICK_ON_PAGE = import.meta.env.FIREFOX;

export function PopupApp() {
  const { snapshot, inbox, error, reload, patchSnapshot } = useExtensionEngine();
  const downloads = useRecentDownloads({ inPopupOnFirefox: PICK_ON_PAGE });
  const [pairingOpen, setPairingOpen] = useState(false);
  const [pairingRequesting, setPairingRequesting] = useState(false);
  const [pairingError, setPairingError] = useState<string | undefined>();
  // Once the user closes the panel, an empty device list no longer reopens it.
  const closedByUser = useRef(false);
  const firstSnapshotSeen = useRef(false);

  const startPairing = useCallback(async () => {
    setPairingOpen(true);
    setPairingRequesting(true);
    setPairingError(undefined);
    try {
      patchSnapshot({ pairing: await askEngine({ type: 'start-pairing' }) });
    } catch (failure) {
      setPairingError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setPairingRequesting(false);
    }
  }, [patchSnapshot]);

  const closePairing = useCallback(() => {
    closedByUser.current = true;
    setPairingOpen(false);
    setPairingError(undefined);
    if (snapshot?.pairing.state === 'waiting') void askEngine({ type: 'cancel-pairing' }).catch(() => {});
  }, [snapshot?.pairing.state]);

  const deviceCount = snapshot?.devices.length;
  const pairingState = snapshot?.pairing.state;
  useEffect(() => {
    if (deviceCount === undefined || pairingOpen || pairingRequesting) return;
    const isFirst = !firstSnapshotSeen.current;
    firstSnapshotSeen.current = true;
    // A code that is still live (the popup was closed while a phone was scanning) is shown again as is.
    if (isFirst && pairingState === 'waiting') setPairingOpen(true);
    else if (deviceCount === 0 && !closedByUser.current) void startPairing();
  }, [deviceCount, pairingState, pairingOpen, pairingRequesting, startPairing]);

  if (!snapshot) {
    return <PopupUnavailable error={error} onRetry={reload} onOpenOptions={openOptions} />;
  }

  return (
    <PopupView
      snapshot={snapshot}
      inbox={inbox}
      pairingOpen={pairingOpen}
      pairingRequesting={pairingRequesting}
      pairingError={pairingError}
      onStartPairing={() => void startPairing()}
      onClosePairing={closePairing}
      onRename={async (name) => {
        await askEngine({ type: 'rename', name });
      }}
      onUnpair={async (deviceId) => {
        await askEngine({ type: 'unpair', deviceId });
      }}
      onRemoveItem={async (id) => {
        await askEngine({ type: 'remove-inbox-item', id });
      }}
      onShowFile={async (transferId, file) => {
        await askEngine({ type: 'show-received-file', transferId, file });
      }}
      onOpenOptions={openOptions}
      downloads={downloads.downloads}
      transferActions={transferActions}
      onSendFiles={sendPickedFiles}
      onPickElsewhere={PICK_ON_PAGE ? (section) => openSendPage(section) : undefined}
      onCancelOutbox={cancelOutboxEntry}
      onSetAutoAccept={setAutoAccept}
      nearbyActions={nearbyActions}
      onSetVisible={setVisible}
      onSendDownload={downloads.send}
    />
  );
}

function openOptions(): void {
  void browser.runtime.openOptionsPage().then(() => window.close());
}
