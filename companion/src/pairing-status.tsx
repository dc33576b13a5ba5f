// The banner that follows a scanned pairing code: working on it, paired, or what went wrong and what
// to do next.

import { Button } from '../../components/button';
import { AlertIcon, CheckIcon, CloseIcon } from '../../components/icons';
import type { PairingProgress } from './pairing-progress';

interface PairingStatusProps {
  progress: PairingProgress;
  onDismiss?(): void;
}

export function PairingStatus({ progress, onDismiss }: PairingStatusProps) {
  return (
    <div
      class={`pairing-status pairing-status--${progress.state}`}
      data-testid="pairing-status"
      data-state={progress.state}
      role={progress.state === 'failed' ? 'alert' : 'status'}
    >
      {progress.state === 'pairing' ? (
        <span class="spinner" aria-hidden="true" />
      ) : progress.state === 'paired' ? (
        <CheckIcon size={20} />
      ) : (
        <AlertIcon size={20} />
      )}
      <div class="pairing-status__body">
        <PairingMessage progress={progress} />
      </div>
      {onDismiss && progress.state !== 'pairing' ? (
        <Button variant="ghost" small aria-label="Dismiss" title="Dismiss" onClick={onDismiss}>
          <CloseIcon size={16} />
        </Button>
      ) : null}
    </div>
  );
}

function PairingMessage({ progress }: { progress: PairingProgress }) {
  switch (progress.state) {
    case 'pairing':
      return (
        <>
          <p class="pairing-status__title">Pairing with your computer…</p>
          <p class="pairing-status__detail">Keep the code open on your computer for a moment.</p>
        </>
      );
    case 'paired':
      return (
        <>
          <p class="pairing-status__title">Paired with {progress.name}</p>
          <p class="pairing-status__detail">
            Links, text and files you send from there now arrive here, and back.
          </p>
        </>
      );
    case 'failed':
      return (
        <>
          <p class="pairing-status__title">Pairing didn’t work</p>
          <p class="pairing-status__detail">{progress.error}</p>
          <p class="pairing-status__detail">
            To try again, show a new code on your computer (DirectDrop button, then “Pair a device”) and scan
            it.
          </p>
        </>
      );
  }
}
