// Sending files from any screen: the state behind it (which files went where, and what the user is
// told: sending now, queued until a device is online, or why not) and the panel that picks a target and
// files (button or drop). Files go out as soon as they are chosen: the destination is already on screen,
// the native picker is the confirmation, and a transfer can still be cancelled from the list.

import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { DeviceView } from '../core/engine/engine';
import { Button } from './button';
import { classNames } from './class-names';
import { DeviceTargetPicker, targetDevices } from './device-target-picker';
import { FilePickerButton } from './file-picker';
import { filesTitle } from './format-transfer';
import { AlertIcon, CheckIcon, ClockIcon, PaperclipIcon, UploadIcon } from './icons';
import { type DroppedFiles, type FileDropHandlers, useFileDrop } from './use-file-drop';

export type SendFilesOutcome = { state: 'sent' | 'queued' | 'error'; message: string };

/** "Pixel 8", "Pixel 8 and iPad", "Pixel 8, iPad and Work laptop". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * What to tell the user once the engine has the files. Online (or connecting) devices get them now;
 * for the others they wait in the outbox, and the message says so in the words the product uses.
 */
export function describeHandedOver(
  files: readonly { name: string; size: number }[],
  targets: readonly DeviceView[],
): SendFilesOutcome {
  const what = filesTitle(files);
  const now = targets.filter((d) => d.status !== 'offline').map((d) => d.name);
  const later = targets.filter((d) => d.status === 'offline').map((d) => d.name);
  if (later.length === 0) return { state: 'sent', message: `Sending ${what} to ${joinNames(now)}.` };
  const queued = `Queued — will be sent when ${joinNames(later)} ${later.length > 1 ? 'are' : 'is'} online.`;
  return {
    state: 'queued',
    message: now.length > 0 ? `Sending ${what} to ${joinNames(now)}. ${queued}` : `${what}: ${queued}`,
  };
}

const SENT_SHOWN_MS = 10_000;

const FOLDERS_SKIPPED = 'Folders can’t be sent: drop or choose the files inside them.';

export interface FileSender {
  sending: boolean;
  outcome: SendFilesOutcome | undefined;
  send(files: File[] | DroppedFiles): void;
  /** Shows an outcome that came from elsewhere (e.g. a download that could not be read). */
  report(outcome: SendFilesOutcome | undefined): void;
}

/**
 * Sends to the devices the target stands for. `onSend` hands the files to the engine (queueing them);
 * it rejects with a message for the user when the engine would not take them.
 */
export function useFileSender(
  devices: readonly DeviceView[],
  target: string | undefined,
  onSend: (deviceIds: string[], files: File[]) => Promise<void>,
): FileSender {
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<SendFilesOutcome | undefined>();

  // "Sending X to Y" goes stale once the transfer list takes over the story; waiting and failures stay.
  useEffect(() => {
    if (outcome?.state !== 'sent') return;
    const timer = setTimeout(() => setOutcome(undefined), SENT_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [outcome]);

  const send = useCallback(
    (input: File[] | DroppedFiles) => {
      const { files, skippedFolders } = Array.isArray(input) ? { files: input, skippedFolders: 0 } : input;
      const targets = targetDevices(devices, target);
      if (files.length === 0) {
        setOutcome({ state: 'error', message: skippedFolders ? FOLDERS_SKIPPED : 'No files to send.' });
        return;
      }
      if (targets.length === 0) {
        setOutcome({ state: 'error', message: 'Pair a device first, then send it files.' });
        return;
      }
      setSending(true);
      setOutcome(undefined);
      onSend(
        targets.map((d) => d.deviceId),
        files,
      )
        .then(
          () => {
            const told = describeHandedOver(files, targets);
            setOutcome(skippedFolders ? { ...told, message: `${told.message} ${FOLDERS_SKIPPED}` } : told);
          },
          (failure: unknown) =>
            setOutcome({
              state: 'error',
              message: failure instanceof Error ? failure.message : String(failure),
            }),
        )
        .finally(() => setSending(false));
    },
    [devices, target, onSend],
  );

  return { sending, outcome, send, report: setOutcome };
}

export function SendFilesResult({
  outcome,
  testId = 'send-files-result',
}: {
  outcome: SendFilesOutcome;
  testId?: string;
}) {
  const tone = outcome.state === 'sent' ? 'success' : outcome.state === 'queued' ? 'info' : 'problem';
  return (
    <p
      class={`send-result banner banner--${tone}`}
      data-testid={testId}
      data-state={outcome.state}
      role={outcome.state === 'error' ? 'alert' : 'status'}
    >
      {outcome.state === 'sent' ? (
        <CheckIcon size={16} />
      ) : outcome.state === 'queued' ? (
        <ClockIcon size={16} />
      ) : (
        <AlertIcon size={16} />
      )}
      <span>{outcome.message}</span>
    </p>
  );
}

interface SendFilesPanelProps {
  devices: readonly DeviceView[];
  target: string | undefined;
  onTargetChange(value: string): void;
  sender: FileSender;
  /**
   * Replaces the native picker, e.g. on Firefox, where a file dialog closes the popup: the button then
   * opens a full page instead.
   */
  onPickElsewhere?: () => void;
  /** The full-page layout: a tall drop area with the button in the middle. */
  large?: boolean;
  /** Drops handled by an enclosing element (the whole popup); the area then only shows the highlight. */
  drop?: { dragging: boolean } | undefined;
  children?: ComponentChildren;
}

/** Target, a drop area with "Choose files", and the outcome of the last send. */
export function SendFilesPanel({
  devices,
  target,
  onTargetChange,
  sender,
  onPickElsewhere,
  large = false,
  drop,
  children,
}: SendFilesPanelProps) {
  const canSend = targetDevices(devices, target).length > 0;
  const own = useFileDrop(sender.send, !drop && canSend && !sender.sending);
  const dragging = drop ? drop.dragging : own.dragging;
  const handlers = drop ? undefined : own.handlers;
  return (
    <div class={classNames('send-files card', large && 'send-files--large')}>
      <DeviceTargetPicker devices={devices} value={target} onChange={onTargetChange} />
      <DropArea dragging={dragging} handlers={handlers} large={large}>
        {large ? (
          <span class="drop-area__title">
            <UploadIcon size={32} />
            Drop files here to send them
            <span class="drop-area__hint">or</span>
          </span>
        ) : null}
        {onPickElsewhere ? (
          <Button
            variant="primary"
            disabled={!canSend}
            onClick={onPickElsewhere}
            data-testid="send-files-open-page"
          >
            <PaperclipIcon size={16} />
            Choose files…
          </Button>
        ) : (
          <FilePickerButton onFiles={sender.send} disabled={!canSend || sender.sending}>
            <PaperclipIcon size={16} />
            {sender.sending ? 'Handing over…' : 'Choose files'}
          </FilePickerButton>
        )}
        {large ? null : <span class="drop-area__hint">or drop them here</span>}
      </DropArea>
      {sender.outcome ? <SendFilesResult outcome={sender.outcome} /> : null}
      {children}
    </div>
  );
}

function DropArea({
  dragging,
  handlers,
  large,
  children,
}: {
  dragging: boolean;
  handlers: FileDropHandlers | undefined;
  large: boolean;
  children: ComponentChildren;
}) {
  return (
    <div
      class={classNames('drop-area', dragging && 'drop-area--active', large && 'drop-area--large')}
      data-testid="send-files-drop"
      {...handlers}
    >
      {children}
    </div>
  );
}
