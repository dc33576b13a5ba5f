// The options page's wiring: loads the stored settings and this device's name, validates the form,
// stores the settings, renames the device through the engine, and asks the engine to reconnect.

import { useLayoutEffect, useState } from 'preact/hooks';
import { LogoMark } from '../../components/logo-mark';
import { askEngine } from '../../utils/engine-client';
import { loadSettings, settingsItem } from '../../utils/settings';
import { OptionsForm, type SaveOutcome } from './options-form';
import {
  formValuesFrom,
  readSettingsForm,
  type SettingsFormErrors,
  type SettingsFormValues,
} from './settings-form';

export function OptionsApp() {
  const [values, setValues] = useState<SettingsFormValues | undefined>();
  const [savedName, setSavedName] = useState<string | undefined>();
  const [nameUnavailable, setNameUnavailable] = useState<string | undefined>();
  const [errors, setErrors] = useState<SettingsFormErrors>({});
  const [outcome, setOutcome] = useState<SaveOutcome>({ state: 'idle' });

  // Loaded while mounting, not after the next frame: a hidden tab may not get one for a long time
  // (see use-extension-engine.ts).
  useLayoutEffect(() => {
    void (async () => {
      const settings = await loadSettings();
      let name = '';
      try {
        name = (await askEngine({ type: 'get-state' })).snapshot.self.name;
        setSavedName(name);
      } catch (failure) {
        setNameUnavailable(
          `The name can’t be changed right now: ${failure instanceof Error ? failure.message : String(failure)}`,
        );
      }
      setValues(formValuesFrom(settings, name));
    })();
  }, []);

  const save = async (current: SettingsFormValues) => {
    const result = readSettingsForm(current, { nameEditable: nameUnavailable === undefined });
    if (!result.ok) {
      setErrors(result.errors);
      setOutcome({ state: 'idle' });
      return;
    }
    setErrors({});
    setOutcome({ state: 'saving' });
    try {
      await settingsItem.setValue(result.settings);
    } catch (failure) {
      setOutcome({ state: 'failed', error: `Could not save: ${messageOf(failure)}` });
      return;
    }
    try {
      if (result.name !== undefined && result.name !== savedName) {
        await askEngine({ type: 'rename', name: result.name });
        setSavedName(result.name);
      }
      await askEngine({ type: 'reconfigure' });
      setOutcome({ state: 'saved' });
    } catch (failure) {
      setOutcome({
        state: 'failed',
        error: `Settings saved, but DirectDrop could not apply them yet: ${messageOf(failure)}`,
      });
    }
  };

  return (
    <main class="options">
      <h1 class="page-title">
        <LogoMark size={36} />
        DirectDrop settings
      </h1>
      {values ? (
        <div class="card">
          <OptionsForm
            values={values}
            errors={errors}
            nameUnavailable={nameUnavailable}
            outcome={outcome}
            onChange={(next) => {
              setValues(next);
              if (outcome.state !== 'saving') setOutcome({ state: 'idle' });
            }}
            onSave={() => void save(values)}
          />
        </div>
      ) : (
        <p class="muted">Loading…</p>
      )}
    </main>
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
