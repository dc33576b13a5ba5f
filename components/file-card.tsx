// One received file in an inbox: its (sanitised) name, size, sender and time. What can be done with it
// (save, share, open, show in downloads) depends on the host, which passes the actions in.

import type { ComponentChildren } from 'preact';
import type { ReceivedFile, ReceivedItem } from '../core/engine/state-store';
import { formatBytes } from '../core/transfer/incoming-transfer';
import { FileIcon } from './icons';
import { formatRelativeTime } from './relative-time';

interface FileCardProps {
  entry: ReceivedItem & { item: ReceivedFile };
  now: number;
  actions?: ComponentChildren;
}

export function FileCard({ entry, now, actions }: FileCardProps) {
  const { item } = entry;
  return (
    <li class="item-card" data-testid="inbox-item" data-kind="file">
      <span class="item-card__kind">
        <FileIcon size={18} title="File" />
      </span>
      <div class="item-card__body">
        <div class="item-card__content" data-testid="item-text">
          <p class="item-card__title">{item.name}</p>
          <p class="item-card__url">{formatBytes(item.size)}</p>
        </div>
        <p class="item-card__meta">
          From {entry.fromName} ·{' '}
          <time dateTime={new Date(entry.receivedAt).toISOString()}>
            {formatRelativeTime(entry.receivedAt, now)}
          </time>
        </p>
        {actions ? <div class="item-card__actions">{actions}</div> : null}
      </div>
    </li>
  );
}
