// A Copy button that confirms with "Copied" for a moment, or says why copying failed.

import { useEffect, useState } from 'preact/hooks';
import { Button } from './button';
import { copyToClipboard } from './clipboard';
import { CheckIcon, CopyIcon } from './icons';

const FEEDBACK_MS = 1800;

interface CopyButtonProps {
  text: string;
  label?: string;
  small?: boolean;
  testId?: string;
  /** What is being copied, for screen readers ("Copy pairing link"). */
  accessibleName?: string;
}

export function CopyButton({ text, label = 'Copy', small, testId, accessibleName }: CopyButtonProps) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), FEEDBACK_MS);
    return () => clearTimeout(timer);
  }, [state]);

  const copy = () => {
    copyToClipboard(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };

  return (
    <Button
      small={small}
      variant="secondary"
      data-testid={testId}
      aria-label={state === 'idle' ? accessibleName : undefined}
      onClick={copy}
      class={state === 'copied' ? 'btn--confirmed' : undefined}
    >
      {state === 'copied' ? <CheckIcon size={16} /> : <CopyIcon size={16} />}
      <span aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
      </span>
    </Button>
  );
}
