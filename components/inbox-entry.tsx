// Picks the card for an inbox entry: files get a file card with host-specific actions (the host knows
// where the bytes are), everything else the item card.

import type { ComponentChildren } from 'preact';
import type { ReceivedItem } from '../core/engine/state-store';
import type { Item } from '../core/protocol/messages';
import { FileCard, type FileEntry } from './file-card';
import { ItemCard } from './item-card';

interface InboxEntryProps {
  entry: ReceivedItem;
  now: number;
  onRemove?(id: string): Promise<void>;
  compact?: boolean;
  /** Renders a file entry with its actions; without it, files get the plain card. */
  renderFile?(entry: FileEntry): ComponentChildren;
}

export function isFileEntry(entry: ReceivedItem): entry is FileEntry {
  return entry.item.kind === 'file';
}

export function InboxEntry({ entry, now, onRemove, compact, renderFile }: InboxEntryProps) {
  if (isFileEntry(entry)) {
    if (renderFile) return <>{renderFile(entry)}</>;
    return <FileCard entry={entry} now={now} onRemove={onRemove} compact={compact ?? false} />;
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
