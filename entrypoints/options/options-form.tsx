// The settings form: device name, server address, ICE servers and notifications, with each field's
// validation message under it. Presentational: the values, errors and outcome come from the caller.

import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { Button } from '../../components/button';
import { CheckIcon } from '../../components/icons';
import type { SettingsFormErrors, SettingsFormValues } from './settings-form';

export type SaveOutcome =
  | { state: 'idle' }
  | { state: 'saving' }
  | { state: 'saved' }
  | { state: 'failed'; error: string };

interface OptionsFormProps {
  values: SettingsFormValues;
  errors: SettingsFormErrors;
  /** Why the device name cannot be edited right now (the engine is not reachable). */
  nameUnavailable?: string | undefined;
  outcome: SaveOutcome;
  onChange(values: SettingsFormValues): void;
  onSave(): void;
}

export function OptionsForm({
  values,
  errors,
  nameUnavailable,
  outcome,
  onChange,
  onSave,
}: OptionsFormProps) {
  const set = <K extends keyof SettingsFormValues>(key: K, value: SettingsFormValues[K]) =>
    onChange({ ...values, [key]: value });

  return (
    <form
      class="options__form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        onSave();
      }}
    >
      <Field
        label="This device’s name"
        hint={nameUnavailable ?? 'How your phone and other devices see this computer.'}
        error={errors.name}
      >
        {(ids) => (
          <input
            class="input"
            data-testid="settings-name"
            value={values.name}
            maxLength={64}
            disabled={nameUnavailable !== undefined}
            onInput={(event) => set('name', event.currentTarget.value)}
            {...ids}
          />
        )}
      </Field>

      <Field
        label="Server address"
        hint="The DirectDrop server your devices meet on. It only introduces them; what you send never passes through it."
        error={errors.serverUrl}
      >
        {(ids) => (
          <input
            class="input"
            data-testid="settings-server-url"
            type="url"
            inputMode="url"
            spellcheck={false}
            autocomplete="off"
            placeholder="http://localhost:9000"
            value={values.serverUrl}
            onInput={(event) => set('serverUrl', event.currentTarget.value)}
            {...ids}
          />
        )}
      </Field>

      <Field
        label="ICE servers (STUN / TURN)"
        hint="A JSON list. Leave empty to use the servers your DirectDrop server suggests."
        error={errors.iceServers}
      >
        {(ids) => (
          <textarea
            class="textarea textarea--code"
            data-testid="settings-ice-servers"
            rows={5}
            spellcheck={false}
            placeholder={'[\n  { "urls": "stun:stun.example.org:3478" }\n]'}
            value={values.iceServers}
            onInput={(event) => set('iceServers', event.currentTarget.value)}
            {...ids}
          />
        )}
      </Field>

      <label class="toggle">
        <input
          class="toggle__input"
          type="checkbox"
          role="switch"
          aria-checked={values.notifyOnReceive}
          data-testid="settings-notify"
          checked={values.notifyOnReceive}
          onChange={(event) => set('notifyOnReceive', event.currentTarget.checked)}
        />
        <span>Notify me when something arrives</span>
      </label>

      <label class="toggle">
        <input
          class="toggle__input"
          type="checkbox"
          role="switch"
          aria-checked={values.offerToSendDownloads}
          data-testid="settings-offer-downloads"
          checked={values.offerToSendDownloads}
          onChange={(event) => set('offerToSendDownloads', event.currentTarget.checked)}
        />
        <span>When a download finishes, offer to send it to a paired device</span>
      </label>

      <div class="options__actions">
        <Button
          type="submit"
          variant="primary"
          data-testid="settings-save"
          disabled={outcome.state === 'saving'}
        >
          {outcome.state === 'saving' ? 'Saving…' : 'Save'}
        </Button>
        <SaveStatus outcome={outcome} />
      </div>
    </form>
  );
}

function SaveStatus({ outcome }: { outcome: SaveOutcome }) {
  if (outcome.state === 'saved') {
    return (
      <span class="options__saved" role="status" data-testid="settings-status">
        <CheckIcon size={16} />
        Saved
      </span>
    );
  }
  if (outcome.state === 'failed') {
    return (
      <span class="field-error" role="alert" data-testid="settings-status">
        {outcome.error}
      </span>
    );
  }
  return null;
}

interface FieldIds {
  id: string;
  'aria-describedby': string;
  'aria-invalid': boolean;
}

function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint: string;
  error: string | undefined;
  children(ids: FieldIds): ComponentChildren;
}) {
  const id = useId();
  return (
    <div class="field">
      <label class="field__label" for={id}>
        {label}
      </label>
      <p class="field__hint" id={`${id}-hint`}>
        {hint}
      </p>
      {children({ id, 'aria-describedby': `${id}-hint ${id}-error`, 'aria-invalid': error !== undefined })}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}
