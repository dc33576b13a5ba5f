// A "Choose files" button that is a real <input type="file" multiple> underneath: a label styled as a
// button, so the native picker opens from a real click (browsers require that) and keyboard focus lands
// on the input. The value is cleared after each pick, so choosing the same file again still sends it.

import type { ComponentChildren } from 'preact';
import { type ButtonVariant, buttonClass } from './button';
import { classNames } from './class-names';

interface FilePickerButtonProps {
  onFiles(files: File[]): void;
  disabled?: boolean;
  variant?: ButtonVariant;
  small?: boolean;
  /** What the input accepts, e.g. "image/*"; everything by default. */
  accept?: string;
  testId?: string;
  children: ComponentChildren;
}

export function FilePickerButton({
  onFiles,
  disabled = false,
  variant = 'primary',
  small = false,
  accept,
  testId = 'send-files-input',
  children,
}: FilePickerButtonProps) {
  return (
    <label
      class={classNames(buttonClass({ variant, small }, 'file-picker'), disabled && 'file-picker--disabled')}
    >
      <input
        class="file-picker__input"
        type="file"
        multiple
        accept={accept}
        disabled={disabled}
        data-testid={testId}
        onChange={(event) => {
          const input = event.currentTarget;
          const files = [...(input.files ?? [])];
          input.value = '';
          if (files.length > 0) onFiles(files);
        }}
      />
      {children}
    </label>
  );
}
