// The popup's wiring: reads the engine through the background, decides when the pairing panel opens
// (by itself while nothing is paired), and turns the view's callbacks into engine requests.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { browser } from 'wxt/browser';
import { askEngine } from '../../utils/engine-client';
import { PopupUnavailable, PopupView } from './popup-view';
import { useExtensionEngine } from './use-extension-engine';

export function PopupApp() {
  const { snapshot, inbox, error, reload, patchSnapshot } = useExtensionEngine();
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
      onOpenOptions={openOptions}
    />
  );
}

function openOptions(): void {
  void browser.runtime.openOptionsPage().then(() => window.close());
}
