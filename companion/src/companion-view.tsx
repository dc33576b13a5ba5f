// The companion's main screen, given the engine's state: this device, the send box, what was received
// (newest first) and the paired devices. Presentational: every action is a callback.

import { AppHeader } from '../../components/app-header';
import { Button } from '../../components/button';
import { classNames } from '../../components/class-names';
import { DeviceList } from '../../components/device-list';
import { AlertIcon, CloseIcon } from '../../components/icons';
import { InboxEntry } from '../../components/inbox-entry';
import { Section } from '../../components/section';
import { ServerProblem } from '../../components/server-status';
import { useNow } from '../../components/use-now';
import type { EngineSnapshot } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';
import type { Item } from '../../core/protocol/messages';
import { NoDevices } from './no-devices';
import type { PairingProgress } from './pairing-progress';
import { PairingStatus } from './pairing-status';
import { SendForm } from './send-form';

export interface CompanionViewProps {
  snapshot: EngineSnapshot;
  inbox: readonly ReceivedItem[];
  pairing: PairingProgress | undefined;
  /** Something the user should know about that is not part of the state, e.g. being unpaired remotely. */
  notice: string | undefined;
  onDismissPairing(): void;
  onDismissNotice(): void;
  onRename(name: string): Promise<void>;
  onUnpair(deviceId: string): Promise<void>;
  onSend(deviceId: string, item: Item): Promise<void>;
  onRemoveItem(id: string): Promise<void>;
}

export function CompanionView(props: CompanionViewProps) {
  const { snapshot, inbox, pairing, notice } = props;
  const hasDevices = snapshot.devices.length > 0;
  // "Paired with X" stops being true once X is unpaired; an old success must not contradict the list.
  const shownPairing =
    pairing?.state === 'paired' && !snapshot.devices.some((d) => d.deviceId === pairing.deviceId)
      ? undefined
      : pairing;

  return (
    <div class={classNames('companion', !hasDevices && 'companion--narrow')}>
      <AppHeader
        name={snapshot.self.name}
        onRename={props.onRename}
        server={snapshot.server}
        serverProblem={snapshot.serverProblem}
      />
      {snapshot.server === 'offline' ? <ServerProblem problem={snapshot.serverProblem} /> : null}
      {shownPairing ? <PairingStatus progress={shownPairing} onDismiss={props.onDismissPairing} /> : null}
      {notice ? <Notice message={notice} onDismiss={props.onDismissNotice} /> : null}

      <div class="companion__layout">
        <div class="companion__main">
          {hasDevices ? (
            <Section title="Send">
              <SendForm devices={snapshot.devices} onSend={props.onSend} />
            </Section>
          ) : pairing?.state === 'pairing' ? null : (
            <NoDevices />
          )}
          {hasDevices || inbox.length > 0 ? <Inbox inbox={inbox} onRemoveItem={props.onRemoveItem} /> : null}
        </div>
        {hasDevices ? (
          <aside class="companion__aside">
            <Section title="Paired devices">
              <DeviceList devices={snapshot.devices} onUnpair={props.onUnpair} />
            </Section>
          </aside>
        ) : null}
      </div>
    </div>
  );
}

function Inbox({
  inbox,
  onRemoveItem,
}: {
  inbox: readonly ReceivedItem[];
  onRemoveItem(id: string): Promise<void>;
}) {
  const now = useNow(30_000);
  return (
    <Section title={inbox.length > 0 ? `Received · ${inbox.length}` : 'Received'}>
      {inbox.length > 0 ? (
        <ul class="item-list">
          {inbox.map((entry) => (
            <InboxEntry
              key={`${entry.fromDeviceId}/${entry.id}`}
              entry={entry}
              now={now}
              onRemove={onRemoveItem}
            />
          ))}
        </ul>
      ) : (
        <p class="inbox-empty">Nothing yet. Links and text sent from your computer appear here.</p>
      )}
    </Section>
  );
}

function Notice({ message, onDismiss }: { message: string; onDismiss(): void }) {
  return (
    <div class="pairing-status pairing-status--failed" role="alert">
      <AlertIcon size={20} />
      <p class="pairing-status__body">{message}</p>
      <Button variant="ghost" small aria-label="Dismiss" title="Dismiss" onClick={onDismiss}>
        <CloseIcon size={16} />
      </Button>
    </div>
  );
}
