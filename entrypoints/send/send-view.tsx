// The send page, given the engine's state: a large drop area with the device choice and "Choose files",
// then what is moving (so a send started here can be followed here), the outbox and recent downloads.
// Presentational: every action is a callback.

import { Button } from '../../components/button';
import { targetDevices, useTarget } from '../../components/device-target-picker';
import { LogoMark } from '../../components/logo-mark';
import { NearbyList } from '../../components/nearby-list';
import type { NearbyActions } from '../../components/nearby-row';
import { OutboxList } from '../../components/outbox-list';
import { type DownloadView, RecentDownloads } from '../../components/recent-downloads';
import { Section } from '../../components/section';
import { SendFilesPanel, useFileSender } from '../../components/send-files';
import { ServerProblem } from '../../components/server-status';
import { TransferList } from '../../components/transfer-list';
import type { TransferActions } from '../../components/transfer-row';
import { useNow } from '../../components/use-now';
import type { EngineSnapshot } from '../../core/engine/engine';

export interface SendViewProps {
  snapshot: EngineSnapshot;
  downloads: readonly DownloadView[];
  transferActions: TransferActions;
  onSendFiles(deviceIds: string[], files: File[]): Promise<void>;
  onCancelOutbox(entryId: string): Promise<void>;
  onSendDownload(download: DownloadView, deviceIds: string[]): Promise<'sent' | 'moved'>;
  nearbyActions: NearbyActions;
  onSetVisible(visible: boolean): Promise<void>;
}

export function SendView({ snapshot, downloads, transferActions, ...props }: SendViewProps) {
  const now = useNow(1000);
  const [target, setTarget] = useTarget(snapshot.devices);
  const sender = useFileSender(snapshot.devices, target, props.onSendFiles);
  const hasDevices = targetDevices(snapshot.devices, 'all').length > 0;

  return (
    <main class="send-page">
      <SendPageTitle />
      {snapshot.server === 'offline' ? (
        <ServerProblem problem={snapshot.serverProblem} hint="Check the server address in Options." />
      ) : null}
      {hasDevices ? (
        <SendFilesPanel
          devices={snapshot.devices}
          target={target}
          onTargetChange={setTarget}
          sender={sender}
          large
        />
      ) : (
        <p class="empty-note">
          No devices to send to yet. Click the DirectDrop button in the toolbar and pair your phone first.
        </p>
      )}

      <Section title="Nearby">
        <div id="nearby">
          <NearbyList
            nearby={snapshot.nearby}
            visible={snapshot.self.visible}
            onSetVisible={props.onSetVisible}
            actions={props.nearbyActions}
          />
        </div>
      </Section>

      {snapshot.transfers.length > 0 ? (
        <Section title="Transfers">
          <TransferList transfers={snapshot.transfers} finishedLimit={5} {...transferActions} />
        </Section>
      ) : null}

      {snapshot.outbox.length > 0 ? (
        <Section title="Outbox">
          <OutboxList entries={snapshot.outbox} now={now} onCancel={props.onCancelOutbox} finishedLimit={5} />
        </Section>
      ) : null}

      {hasDevices && downloads.length > 0 ? (
        <Section title="Recent downloads" class="send-page__downloads">
          <div id="downloads">
            <RecentDownloads
              downloads={downloads}
              devices={snapshot.devices}
              now={now}
              onSend={props.onSendDownload}
              onSendFiles={props.onSendFiles}
            />
          </div>
        </Section>
      ) : null}
    </main>
  );
}

function SendPageTitle() {
  return (
    <header class="send-page__head">
      <h1 class="page-title">
        <LogoMark size={36} />
        Send files
      </h1>
      <p class="muted">Straight to your own devices, peer to peer and end-to-end encrypted.</p>
    </header>
  );
}

/** Shown while the engine has not answered yet, or cannot be reached at all. */
export function SendUnavailable({ error, onRetry }: { error: string | undefined; onRetry(): void }) {
  return (
    <main class="send-page">
      <SendPageTitle />
      {error ? (
        <div class="popup__unavailable">
          <p class="banner banner--problem" role="alert">
            {error}
          </p>
          <Button variant="primary" onClick={onRetry}>
            Try again
          </Button>
        </div>
      ) : (
        <p class="popup__loading" role="status">
          Starting…
        </p>
      )}
    </main>
  );
}
