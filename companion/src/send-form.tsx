// The companion's send box: one destination for everything (a paired device, or all of them), text or a
// link typed or pasted, and "Send files" beside the Send button (or files dropped on the box). Each
// outcome is said plainly: sent, queued until the device is online, or why not.

import { useId, useState } from 'preact/hooks';
import { Button } from '../../components/button';
import { classNames } from '../../components/class-names';
import { DeviceTargetPicker, targetDevices, useTarget } from '../../components/device-target-picker';
import { FilePickerButton } from '../../components/file-picker';
import { AlertIcon, CheckIcon, ClockIcon, PaperclipIcon, SendIcon } from '../../components/icons';
import { joinNames, SendFilesResult, useFileSender } from '../../components/send-files';
import { useFileDrop } from '../../components/use-file-drop';
import type { DeviceView, SendOutcome } from '../../core/engine/engine';
import type { Item } from '../../core/protocol/messages';
import { itemFromInput } from './item-from-input';

type TextOutcome = { state: 'sent' | 'queued' | 'error'; message: string };

interface SendFormProps {
  devices: readonly DeviceView[];
  onSend(deviceId: string, item: Item): Promise<SendOutcome>;
  onSendFiles(deviceIds: string[], files: File[]): Promise<void>;
}

/** One message for an item sent to one or more devices: who has it, who will get it later, who failed. */
function describeItemOutcome(
  results: ReadonlyArray<
    { device: DeviceView; outcome: SendOutcome } | { device: DeviceView; error: string }
  >,
): TextOutcome {
  const sent = results.filter((r) => 'outcome' in r && 'delivered' in r.outcome).map((r) => r.device.name);
  const queued = results.filter((r) => 'outcome' in r && 'queued' in r.outcome).map((r) => r.device.name);
  const failed = results.flatMap((r) => ('error' in r ? [r.error] : []));
  const parts: string[] = [];
  if (sent.length) parts.push(`Sent to ${joinNames(sent)}.`);
  if (queued.length) {
    parts.push(`Queued — will be sent when ${joinNames(queued)} ${queued.length > 1 ? 'are' : 'is'} online.`);
  }
  parts.push(...failed);
  // Any failure needs the user's attention, even when other devices got it.
  const state = failed.length ? 'error' : queued.length ? 'queued' : 'sent';
  return { state, message: parts.join(' ') };
}

export function SendForm({ devices, onSend, onSendFiles }: SendFormProps) {
  const [text, setText] = useState('');
  const [target, setTarget] = useTarget(devices);
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<TextOutcome | undefined>();
  const textId = useId();
  const targets = targetDevices(devices, target);
  const files = useFileSender(devices, target, onSendFiles);
  const sendFiles: typeof files.send = (input) => {
    setOutcome(undefined);
    files.send(input);
  };
  const drop = useFileDrop(sendFiles, targets.length > 0 && !files.sending);

  const send = async () => {
    if (targets.length === 0 || sending) return;
    const reading = itemFromInput(text);
    files.report(undefined);
    if (!reading.ok) {
      setOutcome({ state: 'error', message: reading.error });
      return;
    }
    setSending(true);
    setOutcome(undefined);
    const results = await Promise.all(
      targets.map((device) =>
        onSend(device.deviceId, reading.item).then(
          (result) => ({ device, outcome: result }),
          (failure: unknown) => ({
            device,
            error: failure instanceof Error ? failure.message : String(failure),
          }),
        ),
      ),
    );
    const told = describeItemOutcome(results);
    setOutcome(told);
    if (results.some((r) => 'outcome' in r)) setText('');
    setSending(false);
  };

  return (
    <form
      class={classNames('send-form card', drop.dragging && 'send-form--dropping')}
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
      {...drop.handlers}
    >
      <DeviceTargetPicker devices={devices} value={target} onChange={setTarget} />
      <label class="visually-hidden" for={textId}>
        Text or link to send
      </label>
      <textarea
        id={textId}
        class="textarea"
        data-testid="send-text"
        placeholder="Paste a link or type a note"
        value={text}
        rows={3}
        onInput={(event) => {
          setText(event.currentTarget.value);
          if (outcome?.state !== 'error') setOutcome(undefined);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            void send();
          }
        }}
      />
      <div class="send-form__row">
        <FilePickerButton
          variant="secondary"
          onFiles={sendFiles}
          disabled={targets.length === 0 || files.sending}
        >
          <PaperclipIcon size={16} />
          {files.sending ? 'Preparing…' : 'Send files'}
        </FilePickerButton>
        <span class="send-form__drop-hint">or drop files here</span>
        <Button
          type="submit"
          variant="primary"
          data-testid="send-button"
          disabled={sending || targets.length === 0 || !text.trim()}
        >
          <SendIcon size={16} />
          {sending ? 'Sending…' : 'Send'}
        </Button>
      </div>
      {outcome ? <TextResult outcome={outcome} /> : null}
      {files.outcome ? <SendFilesResult outcome={files.outcome} /> : null}
      {drop.dragging ? (
        <div class="send-form__drop" aria-hidden="true">
          Drop to send to {target === 'all' ? 'all devices' : joinNames(targets.map((d) => d.name))}
        </div>
      ) : null}
    </form>
  );
}

function TextResult({ outcome }: { outcome: TextOutcome }) {
  const tone = outcome.state === 'sent' ? 'success' : outcome.state === 'queued' ? 'info' : 'problem';
  return (
    <p
      class={`send-result banner banner--${tone}`}
      data-testid="send-result"
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
