// What the toolbar popup shows, given the engine's state: this device, its paired devices, the pairing
// panel and the last few received items. Presentational: every action is a callback.

import { AppHeader } from '../../components/app-header';
import { Button } from '../../components/button';
import { DeviceList } from '../../components/device-list';
import { PlusIcon, SettingsIcon } from '../../components/icons';
import { InboxEntry } from '../../components/inbox-entry';
import { LogoMark } from '../../components/logo-mark';
import { PairingPanel } from '../../components/pairing-panel';
import { Section } from '../../components/section';
import { ServerProblem } from '../../components/server-status';
import { useNow } from '../../components/use-now';
import type { EngineSnapshot } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';

const RECENT_ITEMS = 3;

export interface PopupViewProps {
  snapshot: EngineSnapshot;
  inbox: readonly ReceivedItem[];
  pairingOpen: boolean;
  pairingRequesting: boolean;
  pairingError: string | undefined;
  onStartPairing(): void;
  onClosePairing(): void;
  onRename(name: string): Promise<void>;
  onUnpair(deviceId: string): Promise<void>;
  onRemoveItem(id: string): Promise<void>;
  onOpenOptions(): void;
}

export function PopupView(props: PopupViewProps) {
  const { snapshot, inbox, pairingOpen } = props;
  const now = useNow(1000);
  const recent = inbox.slice(0, RECENT_ITEMS);

  return (
    <main class="popup">
      <AppHeader
        name={snapshot.self.name}
        onRename={props.onRename}
        server={snapshot.server}
        serverProblem={snapshot.serverProblem}
      />
      {snapshot.server === 'offline' ? (
        <ServerProblem problem={snapshot.serverProblem} hint="Check the server address in Options." />
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
        {snapshot.devices.length > 0 ? (
          <DeviceList devices={snapshot.devices} onUnpair={props.onUnpair} />
        ) : pairingOpen ? null : (
          <p class="empty-note">No devices yet. Pair your phone to send it links and text.</p>
        )}
        {pairingOpen ? (
          <PairingPanel
            pairing={snapshot.pairing}
            requesting={props.pairingRequesting}
            requestError={props.pairingError}
            now={now}
            onNewCode={props.onStartPairing}
            onClose={props.onClosePairing}
          />
        ) : null}
      </Section>

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
              />
            ))}
          </ul>
        </Section>
      ) : null}

      <PopupFooter onOpenOptions={props.onOpenOptions} />
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
