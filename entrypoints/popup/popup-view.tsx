// What the toolbar popup shows, given the engine's state: this device; transfers in flight (offers that
// wait for a decision first); sending files by picker or by dropping them anywhere on the popup; the
// paired devices and pairing; the outbox; the last few received items; and recent downloads to pass on.
// Presentational: every action is a callback.

import { AppHeader } from '../../components/app-header';
import { Button } from '../../components/button';
import { DeviceList } from '../../components/device-list';
import { targetDevices, useTarget } from '../../components/device-target-picker';
import { PlusIcon, SettingsIcon, UploadIcon } from '../../components/icons';
import { InboxEntry } from '../../components/inbox-entry';
import { LogoMark } from '../../components/logo-mark';
import { NearbyList } from '../../components/nearby-list';
import type { NearbyActions } from '../../components/nearby-row';
import { OutboxList } from '../../components/outbox-list';
import { PairingPanel } from '../../components/pairing-panel';
import { type DownloadView, RecentDownloads } from '../../components/recent-downloads';
import { Section } from '../../components/section';
import { joinNames, SendFilesPanel, useFileSender } from '../../components/send-files';
import { ServerProblem } from '../../components/server-status';
import { TransferList } from '../../components/transfer-list';
import type { TransferActions } from '../../components/transfer-row';
import { useFileDrop } from '../../components/use-file-drop';
import { useNow } from '../../components/use-now';
import type { EngineSnapshot } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';
import { SHIPPED_COMPANION_BUILD } from '../../utils/shipped-companion-build';
import { PopupFileCard } from './popup-file-card';

const RECENT_ITEMS = 3;

export interface PopupViewProps {
  snapshot: EngineSnapshot;
  inbox: readonly ReceivedItem[];
  pairingOpen: boolean;
  pairingRequesting: boolean;
  pairingError: string | undefined;
  downloads: readonly DownloadView[];
  transferActions: TransferActions;
  onStartPairing(): void;
  onClosePairing(): void;
  onRename(name: string): Promise<void>;
  onUnpair(deviceId: string): Promise<void>;
  onRemoveItem(id: string): Promise<void>;
  /** Shows a received file where Downloads saved it. */
  onShowFile(transferId: string, file: number): Promise<void>;
  onOpenOptions(): void;
  onSendFiles(deviceIds: string[], files: File[]): Promise<void>;
  /** Set where a file dialog would close the popup (Firefox): "Choose files" opens the send page. */
  onPickElsewhere?: ((section?: string) => void) | undefined;
  onCancelOutbox(entryId: string): Promise<void>;
  onSetAutoAccept(deviceId: string, autoAccept: boolean): Promise<void>;
  onSendDownload(download: DownloadView, deviceIds: string[]): Promise<'sent' | 'moved'>;
  nearbyActions: NearbyActions;
  onSetVisible(visible: boolean): Promise<void>;
}

export function PopupView(props: PopupViewProps) {
  const { snapshot, inbox, pairingOpen } = props;
  const now = useNow(1000);
  const recent = inbox.slice(0, RECENT_ITEMS);
  const hasDevices = snapshot.devices.length > 0;
  const [target, setTarget] = useTarget(snapshot.devices);
  const sender = useFileSender(snapshot.devices, target, props.onSendFiles);
  const targets = targetDevices(snapshot.devices, target);
  // The whole popup takes dropped files, so a drop never has to hit a small target.
  const drop = useFileDrop(sender.send, targets.length > 0 && !sender.sending);

  return (
    <main class="popup" {...drop.handlers}>
      <AppHeader
        name={snapshot.self.name}
        onRename={props.onRename}
        server={snapshot.server}
        serverProblem={snapshot.serverProblem}
      />
      {snapshot.server === 'offline' ? (
        <ServerProblem problem={snapshot.serverProblem} hint="Check the server address in Options." />
      ) : null}

      {snapshot.transfers.length > 0 ? (
        <Section title="Transfers">
          <TransferList transfers={snapshot.transfers} finishedLimit={3} {...props.transferActions} />
        </Section>
      ) : null}

      {hasDevices ? (
        <Section title="Send files">
          <SendFilesPanel
            devices={snapshot.devices}
            target={target}
            onTargetChange={setTarget}
            sender={sender}
            drop={drop}
            onPickElsewhere={props.onPickElsewhere && (() => props.onPickElsewhere?.())}
          />
        </Section>
      ) : null}

      <Section
        title="Paired devices"
        action={
          pairingOpen ? null : (
            <Button small variant="secondary" data-testid="pair-device" onClick={props.onStartPairing}>
              <PlusIcon size={15} />
              Pair a device
            </Button>
          )
        }
      >
        {hasDevices ? (
          <DeviceList
            devices={snapshot.devices}
            onUnpair={props.onUnpair}
            onSetAutoAccept={props.onSetAutoAccept}
            expectedAppBuild={SHIPPED_COMPANION_BUILD}
          />
        ) : pairingOpen ? null : (
          <p class="empty-note">No devices yet. Pair your phone to send it links, text and files.</p>
        )}
        {pairingOpen ? (
          <PairingPanel
            pairing={snapshot.pairing}
            requesting={props.pairingRequesting}
            requestError={props.pairingError}
            now={now}
            server={snapshot.server}
            onNewCode={props.onStartPairing}
            onClose={props.onClosePairing}
          />
        ) : null}
      </Section>

      <Section title="Nearby">
        <NearbyList
          nearby={snapshot.nearby}
          visible={snapshot.self.visible}
          onSetVisible={props.onSetVisible}
          actions={props.nearbyActions}
          onPickElsewhere={props.onPickElsewhere && (() => props.onPickElsewhere?.('#nearby'))}
        />
      </Section>

      {snapshot.outbox.length > 0 ? (
        <Section title="Outbox">
          <OutboxList
            entries={snapshot.outbox}
            now={now}
            onCancel={props.onCancelOutbox}
            pendingLimit={5}
            finishedLimit={3}
          />
        </Section>
      ) : null}

      {recent.length > 0 ? (
        <Section title="Received">
          <ul class="item-list">
            {recent.map((entry) => (
              <InboxEntry
                key={`${entry.fromDeviceId}/${entry.id}`}
                entry={entry}
                now={now}
                onRemove={props.onRemoveItem}
                compact
                renderFile={(file) => (
                  <PopupFileCard
                    entry={file}
                    now={now}
                    onRemove={props.onRemoveItem}
                    onShow={props.onShowFile}
                  />
                )}
              />
            ))}
          </ul>
        </Section>
      ) : null}

      {hasDevices && props.downloads.length > 0 ? (
        <Section title="Recent downloads">
          <RecentDownloads
            downloads={props.downloads}
            devices={snapshot.devices}
            now={now}
            onSend={props.onSendDownload}
            onSendFiles={props.onSendFiles}
            onPickElsewhere={props.onPickElsewhere}
          />
        </Section>
      ) : null}

      <PopupFooter onOpenOptions={props.onOpenOptions} />

      {drop.dragging ? (
        <div class="drop-overlay" aria-hidden="true">
          <UploadIcon size={32} />
          <span>
            Drop to send to {target === 'all' ? 'all devices' : joinNames(targets.map((d) => d.name))}
          </span>
        </div>
      ) : null}
    </main>
  );
}

function PopupFooter({ onOpenOptions }: { onOpenOptions(): void }) {
  return (
    <footer class="popup__footer">
      <span>Peer to peer, end-to-end encrypted</span>
      <Button variant="ghost" small onClick={onOpenOptions}>
        <SettingsIcon size={15} />
        Options
      </Button>
    </footer>
  );
}

/** Shown while the engine has not answered yet, or cannot be reached at all. */
export function PopupUnavailable({
  error,
  onRetry,
  onOpenOptions,
}: {
  error: string | undefined;
  onRetry(): void;
  onOpenOptions(): void;
}) {
  return (
    <main class="popup">
      <h1 class="page-title">
        <LogoMark size={36} />
        DirectDrop
      </h1>
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
      <PopupFooter onOpenOptions={onOpenOptions} />
    </main>
  );
}
