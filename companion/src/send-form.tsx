// The companion's send box: text or a link, a device picker when there is more than one paired device,
// and the outcome ("Sent to …" once the other side has stored it, or the reason it was not).

import { useEffect, useId, useState } from 'preact/hooks';
import { Button } from '../../components/button';
import { AlertIcon, CheckIcon, SendIcon } from '../../components/icons';
import type { DeviceStatus, DeviceView } from '../../core/engine/engine';
import type { Item } from '../../core/protocol/messages';
import { itemFromInput } from './item-from-input';

type SendOutcome = { state: 'sent'; to: string } | { state: 'error'; message: string };

interface SendFormProps {
  devices: readonly DeviceView[];
  onSend(deviceId: string, item: Item): Promise<void>;
}

const STATUS_SUFFIX: Record<DeviceStatus, string> = {
  online: '',
  connecting: ' (connecting…)',
  offline: ' (offline)',
  unpaired: ' (no longer paired)',
};

/** Online devices first: that is where a send most likely goes. */
function preferredDevice(devices: readonly DeviceView[]): string | undefined {
  return (devices.find((d) => d.status === 'online') ?? devices[0])?.deviceId;
}

export function SendForm({ devices, onSend }: SendFormProps) {
  const [text, setText] = useState('');
  const [chosen, setChosen] = useState<string | undefined>(() => preferredDevice(devices));
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<SendOutcome | undefined>();
  const textId = useId();

  // Keep the choice valid when devices are paired or unpaired.
  useEffect(() => {
    if (!devices.some((d) => d.deviceId === chosen)) setChosen(preferredDevice(devices));
  }, [devices, chosen]);

  const target = devices.find((d) => d.deviceId === chosen);

  const send = async () => {
    if (!target || sending) return;
    const reading = itemFromInput(text);
    if (!reading.ok) {
      setOutcome({ state: 'error', message: reading.error });
      return;
    }
    setSending(true);
    setOutcome(undefined);
    try {
      await onSend(target.deviceId, reading.item);
      setOutcome({ state: 'sent', to: target.name });
      setText('');
    } catch (failure) {
      setOutcome({ state: 'error', message: failure instanceof Error ? failure.message : String(failure) });
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      class="send-form card"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
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
          if (outcome?.state === 'sent') setOutcome(undefined);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            void send();
          }
        }}
      />
      <div class="send-form__row">
        {devices.length > 1 ? (
          <select
            class="select"
            data-testid="send-device"
            aria-label="Send to"
            value={chosen}
            onChange={(event) => setChosen(event.currentTarget.value)}
          >
            {devices.map((device) => (
              <option key={device.deviceId} value={device.deviceId}>
                {device.name}
                {STATUS_SUFFIX[device.status]}
              </option>
            ))}
          </select>
        ) : (
          <span class="send-form__target">
            {target ? `To ${target.name}${STATUS_SUFFIX[target.status]}` : null}
          </span>
        )}
        <Button
          type="submit"
          variant="primary"
          data-testid="send-button"
          disabled={sending || !target || target.status === 'unpaired' || !text.trim()}
        >
          <SendIcon size={16} />
          {sending ? 'Sending…' : 'Send'}
        </Button>
      </div>
      {outcome ? (
        <p
          class={`send-result banner ${outcome.state === 'sent' ? 'banner--success' : 'banner--problem'}`}
          data-testid="send-result"
          data-state={outcome.state}
          role={outcome.state === 'error' ? 'alert' : 'status'}
        >
          {outcome.state === 'sent' ? <CheckIcon size={16} /> : <AlertIcon size={16} />}
          <span>{outcome.state === 'sent' ? `Sent to ${outcome.to}` : outcome.message}</span>
        </p>
      ) : null}
    </form>
  );
}
