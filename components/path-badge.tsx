// Which way a transfer's bytes travel, as a small badge: direct on the local network, direct over the
// internet, or through a TURN relay. People ask for this to know nothing detours through someone's
// server; a relay is named honestly and with what still holds (the relay only sees encrypted packets).

import type { ConnectionPath } from '../core/transport';
import { classNames } from './class-names';
import { PATH_LABELS } from './format-transfer';
import { LockIcon } from './icons';

export function PathBadge({ path }: { path: ConnectionPath }) {
  const label = PATH_LABELS[path];
  return (
    <span
      class={classNames('path-badge', (path === 'relay' || path === 'unknown') && 'path-badge--neutral')}
      data-testid="transfer-path"
      data-path={path}
    >
      <LockIcon size={12} />
      {label}
    </span>
  );
}
