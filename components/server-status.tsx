// The small indicator of this device's link to the signalling server. When the server cannot be
// reached, the problem is shown in words next to it, because "offline" alone gives nothing to act on.

import type { NetworkStatus } from '../core/transport';
import { StatusDot } from './status-dot';

const LABELS: Record<NetworkStatus, string> = {
  online: 'Online',
  connecting: 'Connecting…',
  offline: 'Can’t reach server',
};

export function ServerStatus({ status, problem }: { status: NetworkStatus; problem?: string | undefined }) {
  const tone = status === 'offline' ? 'problem' : status;
  return (
    <span
      class={`server-status server-status--${status}`}
      data-testid="server-status"
      data-status={status}
      title={status === 'offline' && problem ? `Can’t reach the DirectDrop server: ${problem}` : undefined}
    >
      <StatusDot tone={tone} />
      <span>{LABELS[status]}</span>
    </span>
  );
}

/** The longer explanation shown under the header while the server is unreachable. */
export function ServerProblem({ problem, hint }: { problem?: string | undefined; hint?: string }) {
  return (
    <p class="banner banner--warn" role="status">
      <strong>Not connected to the DirectDrop server</strong>
      {problem ? ` (${problem})` : ''}. Pairing and sending wait until it is back.
      {hint ? ` ${hint}` : ''}
    </p>
  );
}
