// The live and recent file transfers, both directions: offers waiting for this user first (they hold
// the other side up), then what is moving, then the last few finished ones so a transfer does not vanish
// the moment it completes. One line under the list says where the bytes do and do not go.

import type { TransferView } from '../core/engine/transfer-center';
import { PRIVACY_LINE } from './format-transfer';
import { LockIcon } from './icons';
import { isFinished, type TransferActions, TransferRow } from './transfer-row';

interface TransferListProps extends TransferActions {
  transfers: readonly TransferView[];
  /** How many finished transfers to keep showing under the live ones. */
  finishedLimit?: number;
}

/** Offers first, then live transfers, then finished ones, each group in the engine's order. */
export function orderTransfers(transfers: readonly TransferView[], finishedLimit: number): TransferView[] {
  const offered = transfers.filter((t) => t.state === 'offered');
  const live = transfers.filter((t) => t.state !== 'offered' && !isFinished(t.state));
  const finished = transfers.filter((t) => isFinished(t.state)).slice(0, finishedLimit);
  return [...offered, ...live, ...finished];
}

export function TransferList({ transfers, finishedLimit = 3, ...actions }: TransferListProps) {
  const shown = orderTransfers(transfers, finishedLimit);
  if (shown.length === 0) return null;
  return (
    <div class="transfer-list">
      <ul class="item-list">
        {shown.map((transfer) => (
          <TransferRow key={`${transfer.direction}/${transfer.id}`} transfer={transfer} actions={actions} />
        ))}
      </ul>
      <p class="privacy-line">
        <LockIcon size={13} />
        {PRIVACY_LINE}
      </p>
    </div>
  );
}
