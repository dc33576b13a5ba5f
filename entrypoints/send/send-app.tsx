// The send page's wiring: the same engine state and actions as the popup, in a tab that stays open
// while a file dialog is up. Reached at "#downloads" when a download is sent from Firefox's popup, so
// that the site-permission prompt has a page to show on.

import { useEffect } from 'preact/hooks';
import {
  cancelOutboxEntry,
  nearbyActions,
  sendPickedFiles,
  setVisible,
  transferActions,
} from '../popup/extension-actions';
import { useExtensionEngine } from '../popup/use-extension-engine';
import { useRecentDownloads } from '../popup/use-recent-downloads';
import { SendUnavailable, SendView } from './send-view';

export function SendApp() {
  const { snapshot, error, reload } = useExtensionEngine();
  const downloads = useRecentDownloads({ inPopupOnFirefox: false });

  const ready = snapshot !== undefined && downloads.downloads.length > 0;
  useEffect(() => {
    if (ready && location.hash === '#downloads') document.getElementById('downloads')?.scrollIntoView();
  }, [ready]);
  useEffect(() => {
    if (snapshot && location.hash === '#nearby') document.getElementById('nearby')?.scrollIntoView();
  }, [snapshot]);

  if (!snapshot) return <SendUnavailable error={error} onRetry={reload} />;
  return (
    <SendView
      snapshot={snapshot}
      downloads={downloads.downloads}
      transferActions={transferActions}
      onSendFiles={sendPickedFiles}
      onCancelOutbox={cancelOutboxEntry}
      onSendDownload={downloads.send}
      nearbyActions={nearbyActions}
      onSetVisible={setVisible}
    />
  );
}
