// The desktop's "Pair a device" panel: a one-time QR code and the same link as text, a countdown to its
// expiry, and the outcome (paired, failed, expired) with the one button that moves on from there. The
// code is shown only while the server is reachable: the phone opens the link on that server, so a code
// shown while it is down would lead the phone to an error page.

import type { ComponentChildren } from 'preact';
import type { PairingView } from '../core/engine/engine';
import type { NetworkStatus } from '../core/transport';
import { Button } from './button';
import { CopyButton } from './copy-button';
import { AlertIcon, CheckIcon, CloseIcon, LockIcon } from './icons';
import { QrCode } from './qr-code';
import { formatCountdown } from './relative-time';

export interface PairingPanelProps {
  pairing: PairingView;
  /** A request for a new code is under way. */
  requesting: boolean;
  /** Asking for a code failed before the engine could answer (e.g. the background is not running). */
  requestError?: string | undefined;
  now: number;
  /** The signalling server's state: a code is useless while the phone could not reach it. */
  server: NetworkStatus;
  onNewCode(): void;
  onClose(): void;
}

export function PairingPanel(props: PairingPanelProps) {
  return (
    <section class="pairing-panel" aria-label="Pair a device">
      <div class="pairing-panel__head">
        <h3 class="pairing-panel__title">Pair a device</h3>
        <Button variant="ghost" small aria-label="Close pairing" title="Close" onClick={props.onClose}>
          <CloseIcon size={16} />
        </Button>
      </div>
      <PairingBody {...props} />
    </section>
  );
}

function PairingBody({
  pairing,
  requesting,
  requestError,
  now,
  server,
  onNewCode,
  onClose,
}: PairingPanelProps) {
  if (requestError) {
    return (
      <Outcome tone="problem" message={requestError}>
        <Button variant="primary" onClick={onNewCode} disabled={requesting}>
          Try again
        </Button>
      </Outcome>
    );
  }
  if (pairing.state === 'waiting') {
    const msLeft = pairing.expiresAt - now;
    if (msLeft > 0 && server !== 'online') return <ServerAway server={server} />;
    if (msLeft > 0) return <WaitingForScan link={pairing.link} msLeft={msLeft} />;
  }
  if (requesting) {
    return (
      <div class="pairing-panel__placeholder" role="status">
        Preparing a code…
      </div>
    );
  }
  switch (pairing.state) {
    case 'paired':
      return (
        <Outcome tone="success" message={`Paired with ${pairing.name}`}>
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        </Outcome>
      );
    case 'failed':
      return (
        <Outcome
          tone="problem"
          message={pairing.codeUsed ? 'Pairing failed. That code is used up.' : pairing.error}
        >
          {pairing.codeUsed ? (
            <>
              <p class="pairing-panel__detail">{pairing.error}</p>
              <p class="pairing-panel__detail">
                A code works once, even when the attempt fails, so nobody can try it again. Show a new code
                and scan it again.
              </p>
            </>
          ) : null}
          <Button variant="primary" onClick={onNewCode} data-testid="new-pairing-code">
            New code
          </Button>
        </Outcome>
      );
    default:
      // Expired, or a waiting code whose time ran out a moment before the engine says so.
      return (
        <div class="pairing-panel__expired">
          <p>{pairing.state === 'idle' ? 'No code is showing.' : 'This code has expired.'}</p>
          <Button variant="primary" onClick={onNewCode}>
            New code
          </Button>
        </div>
      );
  }
}

function WaitingForScan({ link, msLeft }: { link: string; msLeft: number }) {
  return (
    <div class="pairing-panel__waiting">
      <p class="pairing-panel__lead">
        Scan with your phone’s camera. DirectDrop opens in its browser; nothing to install.
      </p>
      <div class="pairing-panel__qr">
        <QrCode value={link} label="Pairing QR code" testId="pairing-qr" />
      </div>
      <div class="pairing-panel__link">
        <code class="pairing-panel__link-text" data-testid="pairing-link" title={link}>
          {link}
        </code>
        <CopyButton text={link} small testId="copy-pairing-link" accessibleName="Copy pairing link" />
      </div>
      <p class="pairing-panel__expiry" role="timer">
        Code expires in {formatCountdown(msLeft)}
      </p>
      <p class="pairing-panel__secret">
        <LockIcon size={14} />
        <span>The secret is the part after “#”, which browsers never send to the server.</span>
      </p>
    </div>
  );
}

function ServerAway({ server }: { server: NetworkStatus }) {
  return (
    <div class="pairing-panel__placeholder" role="status" data-testid="pairing-server-away">
      {server === 'connecting'
        ? 'Connecting to the DirectDrop server… The code appears once it answers.'
        : 'The DirectDrop server cannot be reached, so a phone could not open a code now. The code appears here as soon as the server is back.'}
    </div>
  );
}

function Outcome({
  tone,
  message,
  children,
}: {
  tone: 'success' | 'problem';
  message: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`pairing-panel__outcome pairing-panel__outcome--${tone}`}>
      <p data-testid="pairing-result" role={tone === 'problem' ? 'alert' : 'status'}>
        {tone === 'success' ? <CheckIcon size={18} /> : <AlertIcon size={18} />}
        <span>{message}</span>
      </p>
      {children}
    </div>
  );
}
