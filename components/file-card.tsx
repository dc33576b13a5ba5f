// One received file in an inbox: its (sanitised) name, size, sender and time. What can be done with it
// (save, share, open) depends on the host, which passes the actions in; Remove is the same everywhere.
// The name and type come from the other device, so they are only ever rendered as text.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ReceivedFile, ReceivedItem } from '../core/engine/state-store';
import { Button } from './button';
import { classNames } from './class-names';
import { formatBytes } from './format-transfer';
import { FileTypeIcon, TrashIcon } from './icons';
import { formatRelativeTime } from './relative-time';

export type FileEntry = ReceivedItem & { item: ReceivedFile };

interface FileCardProps {
  entry: FileEntry;
  now: number;
  actions?: ComponentChildren;
  /** Why the file cannot be used any more (e.g. the browser cleared its storage). */
  problem?: string | undefined;
  onRemove?: ((id: string) => Promise<void>) | undefined;
  compact?: boolean;
}

/** "PDF", "JPEG", "MP4": the subtype, short enough to sit beside the size; nothing when unknown. */
function typeLabel(type: string): string | undefined {
  const sub = type.split(';')[0]?.split('/')[1]?.trim();
  if (!sub || sub === 'octet-stream') return undefined;
  const short = sub.replace(/^(x-|vnd\.)/, '').split(/[.+]/)[0] ?? sub;
  return short.length <= 12 ? short.toUpperCase() : undefined;
}

export function FileCard({ entry, now, actions, problem, onRemove, compact = false }: FileCardProps) {
  const { item } = entry;
  const [removing, setRemoving] = useState(false);
  const kind = typeLabel(item.type);

  const remove = async () => {
    if (!onRemove) return;
    setRemoving(true);
    try {
      await onRemove(entry.id);
    } catch {
      setRemoving(false);
    }
  };

  // With no other actions (the popup), Remove sits beside the name instead of on a row of its own.
  const removeButton = onRemove ? (
    <Button
      variant="ghost"
      small
      class="item-card__remove"
      data-testid="remove-item"
      aria-label={`Remove ${item.name}`}
      title="Remove from this device"
      disabled={removing}
      onClick={remove}
    >
      <TrashIcon size={16} />
    </Button>
  ) : null;

  return (
    <li
      class={classNames(
        'item-card',
        'file-card',
        compact && 'item-card--compact',
        !actions && onRemove && 'file-card--bare',
      )}
      data-testid="inbox-item"
      data-kind="file"
      data-transfer-id={item.transferId}
    >
      <span class="item-card__kind item-card__kind--file">
        <FileTypeIcon type={item.type} size={18} title="File" />
      </span>
      <div class="item-card__body">
        <div class="item-card__content" data-testid="item-text">
          <p class="item-card__title file-card__name">{item.name}</p>
          <p class="file-card__size">
            {formatBytes(item.size)}
            {kind ? ` · ${kind}` : ''}
          </p>
        </div>
        {problem ? <p class="item-card__note">{problem}</p> : null}
        <p class="item-card__meta">
          From {entry.fromName} ·{' '}
          <time dateTime={new Date(entry.receivedAt).toISOString()}>
            {formatRelativeTime(entry.receivedAt, now)}
          </time>
        </p>
        {actions ? (
          <div class="item-card__actions">
            {actions}
            {removeButton}
          </div>
        ) : null}
      </div>
      {actions ? null : removeButton}
    </li>
  );
}
