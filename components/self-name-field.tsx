// This device's name, editable in place: it reads as a heading until focused, then saves on Enter or
// when focus leaves, and Escape puts the old name back.

import { useEffect, useRef, useState } from 'preact/hooks';
import { MAX_DEVICE_NAME_LENGTH } from '../core/protocol/limits';
import { PencilIcon } from './icons';

interface SelfNameFieldProps {
  name: string;
  onRename(name: string): Promise<void>;
}

export function SelfNameField({ name, onRename }: SelfNameFieldProps) {
  const [draft, setDraft] = useState(name);
  const [error, setError] = useState<string | undefined>();
  const editing = useRef(false);

  // Follow renames that happen elsewhere, but never overwrite what the user is typing.
  useEffect(() => {
    if (!editing.current) setDraft(name);
  }, [name]);

  const commit = async () => {
    editing.current = false;
    const next = draft.trim();
    if (!next || next === name) {
      setDraft(name);
      return;
    }
    try {
      setError(undefined);
      await onRename(next);
    } catch (failure) {
      setDraft(name);
      setError(failure instanceof Error ? failure.message : 'Could not rename this device.');
    }
  };

  return (
    <div class="self-name">
      <label class="self-name__field">
        <input
          class="self-name__input"
          data-testid="self-name"
          aria-label="This device’s name"
          value={draft}
          maxLength={MAX_DEVICE_NAME_LENGTH}
          // Sizes the field to its text where CSS field-sizing is unknown, so the pencil sits by the name.
          size={Math.max(6, [...draft].length + 1)}
          spellcheck={false}
          autocomplete="off"
          onFocus={() => {
            editing.current = true;
          }}
          onInput={(event) => setDraft(event.currentTarget.value)}
          onBlur={() => void commit()}
          onKeyDown={(event) => {
            if (event.key === 'Enter') event.currentTarget.blur();
            if (event.key === 'Escape') {
              const input = event.currentTarget;
              setDraft(name);
              // Blur after the reset has rendered, so leaving with Escape never saves the draft.
              requestAnimationFrame(() => input.blur());
            }
          }}
        />
        <PencilIcon size={14} />
      </label>
      {error ? (
        <p class="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
