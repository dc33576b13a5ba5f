// The companion's main screen, given the engine's state: this device, transfers in flight (offers that
// wait for a decision first), the send box, what was received (newest first, files with their actions),
// the paired devices and the outbox. Presentational: every action is a callback.

import { useRef } from 'preact/hooks';
import { AppHeader } from '../../components/app-header';
import { Button } from '../../components/button';
import { classNames } from '../../components/class-names';
import { DeviceList } from '../../components/device-list';
import { AlertIcon, CloseIcon } from '../../components/icons';
import { InboxEntry } from '../../components/inbox-entry';
import { NearbyList } from '../../components/nearby-list';
import type { NearbyActions } from '../../components/nearby-row';
import { OutboxList } from '../../components/outbox-list';
import { Section } from '../../components/section';
import { ServerProblem } from '../../components/server-status';
import { TransferList } from '../../components/transfer-list';
import type { TransferActions } from '../../components/transfer-row';
import { useNow } from '../../components/use-now';
import type { EngineSnapshot, SendOutcome } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';
import { shortDigest } from '../../core/protocol/app-build';
import type { Item } from '../../core/protocol/messages';
import type { AppUpdateView } from './app-updates';
import { NoDevices } from './no-devices';
import { NotPairedAnyMore } from './not-paired-any-more';
import { OfferPrompt } from './offer-prompt';
import type { PairingProgress } from './pairing-progress';
import { PairingStatus } from './pairing-status';
import { ReceivedFileCard, type ReceivedFiles } from './received-file-card';
import { SendForm } from './send-form';
import { UpdateBanner } from './update-banner';

export interface CompanionViewProps {
  snapshot: EngineSnapshot;
  inbox: readonly ReceivedItem[];
  pairing: PairingProgress | undefined;
  /** Something the user should know about that is not part of the state, e.g. being unpaired remotely. */
  notice: string | undefined;
  /** The pinned app: an update on offer, a refused one, or a worker replaced without consent. */
  update: AppUpdateView;
  onApplyUpdate(): void;
  onDismissPairing(): void;
  onDismissNotice(): void;
  onRename(name: string): Promise<void>;
  onUnpair(deviceId: string): Promise<void>;
  onSend(deviceId: string, item: Item): Promise<SendOutcome>;
  onSendFiles(deviceIds: string[], files: File[]): Promise<void>;
  onRemoveItem(id: string): Promise<void>;
  onCancelOutbox(entryId: string): Promise<void>;
  onSetAutoAccept(deviceId: string, autoAccept: boolean): Promise<void>;
  transferActions: TransferActions;
  nearbyActions: NearbyActions;
  onSetVisible(visible: boolean): Promise<void>;
  /** Where received files are kept; undefined when this browser gives DirectDrop no file storage. */
  files: ReceivedFiles | undefined;
}

export function CompanionView(props: CompanionViewProps) {
  const { snapshot, inbox, pairing, notice } = props;
  const hasDevices = snapshot.devices.length > 0;
  // Every pairing was ended by the other side: there is nobody to send to, and that is the news.
  const unpairedByAll = hasDevices && snapshot.devices.every((d) => d.status === 'unpaired');
  const transfersRef = useRef<HTMLDivElement>(null);
  const offers = snapshot.transfers.filter((t) => t.state === 'offered');
  // "Paired with X" stops being true once X is unpaired; an old success must not contradict the list.
  const shownPairing =
    pairing?.state === 'paired' && !snapshot.devices.some((d) => d.deviceId === pairing.deviceId)
      ? undefined
      : pairing;

  // With nothing paired yet, a computer already in the Nearby list is the quickest way to start.
  const nearbyFirst = !hasDevices && snapshot.nearby.length > 0;
  const nearby = (
    <Section title="Nearby">
      <NearbyList
        nearby={snapshot.nearby}
        visible={snapshot.self.visible}
        onSetVisible={props.onSetVisible}
        actions={props.nearbyActions}
      />
    </Section>
  );

  return (
    <div class={classNames('companion', !hasDevices && 'companion--narrow')}>
      <AppHeader
        name={snapshot.self.name}
        onRename={props.onRename}
        server={snapshot.server}
        serverProblem={snapshot.serverProblem}
      />
      {snapshot.server === 'offline' ? <ServerProblem problem={snapshot.serverProblem} /> : null}
      <UpdateBanner view={props.update} onApply={props.onApplyUpdate} />
      {shownPairing ? <PairingStatus progress={shownPairing} onDismiss={props.onDismissPairing} /> : null}
      {unpairedByAll ? <NotPairedAnyMore names={snapshot.devices.map((d) => d.name)} /> : null}
      {notice && !unpairedByAll ? <Notice message={notice} onDismiss={props.onDismissNotice} /> : null}

      <div class="companion__layout">
        <div class="companion__main">
          {snapshot.transfers.length > 0 ? (
            <div ref={transfersRef} class="companion__transfers">
              <Section title="Transfers">
                <TransferList transfers={snapshot.transfers} finishedLimit={3} {...props.transferActions} />
              </Section>
            </div>
          ) : null}
          {nearbyFirst ? nearby : null}
          {hasDevices && !unpairedByAll ? (
            <Section title="Send">
              <SendForm devices={snapshot.devices} onSend={props.onSend} onSendFiles={props.onSendFiles} />
            </Section>
          ) : pairing?.state === 'pairing' || unpairedByAll ? null : (
            <NoDevices />
          )}
          {nearbyFirst ? null : nearby}
          {hasDevices || inbox.length > 0 ? (
            <Inbox inbox={inbox} files={props.files} onRemoveItem={props.onRemoveItem} />
          ) : null}
        </div>
        {hasDevices || snapshot.outbox.length > 0 ? (
          <aside class="companion__aside">
            {hasDevices ? (
              <Section title="Paired devices">
                <DeviceList
                  devices={snapshot.devices}
                  onUnpair={props.onUnpair}
                  onSetAutoAccept={props.onSetAutoAccept}
                />
              </Section>
            ) : null}
            {snapshot.outbox.length > 0 ? (
              <Outbox snapshot={snapshot} onCancel={props.onCancelOutbox} />
            ) : null}
          </aside>
        ) : null}
      </div>
      <AppBuildFooter update={props.update} />
      <OfferPrompt offers={offers} transfersRef={transfersRef} />
    </div>
  );
}

/** Which build runs, so it can be compared with what the computer's DirectDrop expects. */
function AppBuildFooter({ update }: { update: AppUpdateView }) {
  if (update.state === 'pinned' || update.state === 'rejected') {
    return (
      <p class="companion__build" data-testid="running-build" data-digest={update.running.digest}>
        DirectDrop {update.running.version} · build <code>{shortDigest(update.running.digest)}</code> · kept
        on this phone
      </p>
    );
  }
  if (update.state === 'unpinned') {
    return (
      <p class="companion__build" data-testid="running-build" data-digest="">
        DirectDrop {update.version} · not kept on this phone: the server can change this app when it opens
      </p>
    );
  }
  return null;
}

function Outbox({ snapshot, onCancel }: { snapshot: EngineSnapshot; onCancel(id: string): Promise<void> }) {
  const now = useNow(30_000);
  return (
    <Section title="Outbox">
      <OutboxList
        entries={snapshot.outbox}
        now={now}
        onCancel={onCancel}
        pendingLimit={20}
        finishedLimit={5}
      />
    </Section>
  );
}

function Inbox({
  inbox,
  files,
  onRemoveItem,
}: {
  inbox: readonly ReceivedItem[];
  files: ReceivedFiles | undefined;
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
              renderFile={(file) => (
                <ReceivedFileCard entry={file} now={now} files={files} onRemoveEntry={onRemoveItem} />
              )}
            />
          ))}
        </ul>
      ) : (
        <p class="inbox-empty">Nothing yet. Links, text and files sent from your computer appear here.</p>
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
