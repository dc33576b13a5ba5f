// What the phone shows about the pinned app: an update the server offers (with the new version and its
// build digest, applied only when the user says so), an update it refused because its files did not match
// their published digests, and a warning when the app's worker was replaced without consent.

import { useState } from 'preact/hooks';
import { Button } from '../../components/button';
import { AlertIcon, CloseIcon } from '../../components/icons';
import { shortDigest } from '../../core/protocol/app-build';
import type { AppUpdateView } from './app-updates';

interface UpdateBannerProps {
  view: AppUpdateView;
  onApply(): void;
}

export function UpdateBanner({ view, onApply }: UpdateBannerProps) {
  const [dismissed, setDismissed] = useState<string | undefined>();
  const key = bannerKey(view);
  if (!key || key === dismissed) return null;
  const dismiss = (
    <Button variant="ghost" small aria-label="Not now" title="Not now" onClick={() => setDismissed(key)}>
      <CloseIcon size={16} />
    </Button>
  );

  if (view.state === 'replaced') {
    return (
      <div
        class="pairing-status pairing-status--failed"
        data-testid="app-update"
        data-state="replaced"
        data-stage={view.stage}
        role="alert"
      >
        <AlertIcon size={20} />
        <div class="pairing-status__body">
          <p class="pairing-status__title">
            {view.stage === 'active'
              ? 'The server replaced this app without asking'
              : 'The server sent code that is not a DirectDrop app'}
          </p>
          <p class="pairing-status__detail">
            {view.stage === 'active'
              ? 'New code for DirectDrop took over while it was open.'
              : 'Your browser installed it and will run it the next time DirectDrop opens; this app cannot stop that.'}{' '}
            Don’t scan pairing codes or send anything private with this phone until you have checked the
            server you use.
          </p>
        </div>
      </div>
    );
  }
  if (view.state === 'rejected') {
    return (
      <div
        class="pairing-status pairing-status--failed"
        data-testid="app-update"
        data-state="rejected"
        role="alert"
      >
        <AlertIcon size={20} />
        <div class="pairing-status__body">
          <p class="pairing-status__title">An update was refused</p>
          <p class="pairing-status__detail">
            The server offered DirectDrop {view.version}, but its files do not match what that version
            published ({view.reason}). This phone keeps running {view.running.version}.
          </p>
        </div>
        {dismiss}
      </div>
    );
  }
  if (view.state !== 'pinned' || !view.offer) return null;
  const { offer, running } = view;
  return (
    <section
      class="pairing-status app-update"
      data-testid="app-update"
      data-state="offered"
      aria-live="polite"
    >
      <div class="pairing-status__body">
        <p class="pairing-status__title">
          Update available: <span class="nowrap">DirectDrop {offer.version}</span>
        </p>
        <p class="pairing-status__detail">
          The server offers a new version of this app. This phone keeps running {running.version} until you
          update. Update only if you expect a new version.
        </p>
        <dl class="app-update__builds">
          <dt>New build</dt>
          <dd>
            <code data-testid="app-update-digest">{shortDigest(offer.digest)}</code>
          </dd>
          <dt>Running</dt>
          <dd>
            <code>{shortDigest(running.digest)}</code>
          </dd>
        </dl>
        {view.error ? (
          <p class="field-error" role="alert">
            {view.error}
          </p>
        ) : null}
        <div class="app-update__actions">
          <Button variant="primary" data-testid="app-update-apply" disabled={view.applying} onClick={onApply}>
            {view.applying ? 'Updating…' : `Update to ${offer.version}`}
          </Button>
          <Button variant="secondary" disabled={view.applying} onClick={() => setDismissed(key)}>
            Not now
          </Button>
        </div>
      </div>
    </section>
  );
}

/** Which banner shows; dismissing hides it until something new is to be said. */
function bannerKey(view: AppUpdateView): string | undefined {
  switch (view.state) {
    case 'replaced':
      return `replaced:${view.stage}`;
    case 'rejected':
      return `rejected:${view.version}`;
    case 'pinned':
      return view.offer ? `offer:${view.offer.digest}` : undefined;
    default:
      return undefined;
  }
}
