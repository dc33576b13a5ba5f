// Picks the card for an inbox entry: files get a file card with host-specific actions, everything else
// the item card.

import type { ComponentChildren } from 'preact';
import type { ReceivedFile, ReceivedItem } from '../core/engine/state-store';
import type { Item } from '../core/protocol/messages';
import { FileCard } from './file-card';
import { ItemCard } from './item-card';

interface InboxEntryProps {
  entry: ReceivedItem;
  now: number;
  onRemove?(id: string): Promise<void>;
  compact?: boolean;
  fileActions?(entry: ReceivedItem & { item: ReceivedFile }): ComponentChildren;
}

export function InboxEntry({ entry, now, onRemove, compact, fileActions }: InboxEntryProps) {
  if (entry.item.kind === 'file') {
    const fileEntry = entry as ReceivedItem & { item: ReceivedFile };
    return <FileCard entry={fileEntry} now={now} actions={fileActions?.(fileEntry)} />;
  }
  return (
    <ItemCard
      entry={entry as ReceivedItem & { item: Item }}
      now={now}
      {...(onRemove ? { onRemove } : {})}
      {...(compact ? { compact } : {})}
    />
  );
}
