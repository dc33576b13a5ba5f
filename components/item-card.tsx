// One received item (a link, a page or a piece of text) with who sent it, when, and what can be done
// with it. Received content is untrusted: it is only ever rendered as text, and only http(s) URLs
// become links.

import { useState } from 'preact/hooks';
import type { ReceivedItem } from '../core/engine/state-store';
import { isOpenableUrl } from '../core/items';
import type { Item } from '../core/protocol/messages';
import { Button, ExternalLinkButton } from './button';
import { classNames } from './class-names';
import { CopyButton } from './copy-button';
import { ExternalIcon, LinkIcon, PageIcon, TextIcon, TrashIcon } from './icons';
import { formatRelativeTime } from './relative-time';

interface ItemCardProps {
  entry: ReceivedItem & { item: Item };
  now: number;
  onRemove?(id: string): Promise<void>;
  /** Shorter text and smaller buttons, for the extension popup. */
  compact?: boolean;
}

const KIND_LABELS: Record<Item['kind'], string> = { link: 'Link', text: 'Text', page: 'Page' };

function KindIcon({ kind }: { kind: Item['kind'] }) {
  const title = KIND_LABELS[kind];
  if (kind === 'link') return <LinkIcon size={18} title={title} />;
  if (kind === 'page') return <PageIcon size={18} title={title} />;
  return <TextIcon size={18} title={title} />;
}

/** The URL an Open action would follow, or undefined when the item must stay inert. */
function openableUrlOf(item: Item): string | undefined {
  if (item.kind === 'text') return undefined;
  return isOpenableUrl(item.url) ? item.url : undefined;
}

function copyableTextOf(item: Item): string {
  return item.kind === 'text' ? item.text : item.url;
}

function ItemContent({ item }: { item: Item }) {
  if (item.kind === 'text') {
    return (
      <p class="item-card__text" data-testid="item-text">
        {item.text}
      </p>
    );
  }
  const title = item.title?.trim();
  return (
    <div class="item-card__content" data-testid="item-text">
      {title ? <p class="item-card__title">{title}</p> : null}
      <p class="item-card__url">{item.url}</p>
    </div>
  );
}

function TextSource({ url, title }: { url: string; title: string | undefined }) {
  const label = title?.trim() || url;
  return (
    <p class="item-card__source">
      Source:{' '}
      {isOpenableUrl(url) ? (
        <a href={url} target="_blank" rel="noopener noreferrer" title={url}>
          {label}
        </a>
      ) : (
        <span title={url}>{label}</span>
      )}
    </p>
  );
}

export function ItemCard({ entry, now, onRemove, compact = false }: ItemCardProps) {
  const { item } = entry;
  const openUrl = openableUrlOf(item);
  const [removing, setRemoving] = useState(false);

  const remove = async () => {
    if (!onRemove) return;
    setRemoving(true);
    try {
      await onRemove(entry.id);
    } catch {
      setRemoving(false);
    }
  };

  return (
    <li
      class={classNames('item-card', compact && 'item-card--compact')}
      data-testid="inbox-item"
      data-kind={item.kind}
    >
      <span class="item-card__kind">
        <KindIcon kind={item.kind} />
      </span>
      <div class="item-card__body">
        <ItemContent item={item} />
        {item.kind === 'text' && item.sourceUrl ? (
          <TextSource url={item.sourceUrl} title={item.sourceTitle} />
        ) : null}
        {item.kind !== 'text' && !openUrl ? (
          <p class="item-card__note">Not a web address, so DirectDrop will not open it.</p>
        ) : null}
        <p class="item-card__meta">
          From {entry.fromName} ·{' '}
          <time dateTime={new Date(entry.receivedAt).toISOString()}>
            {formatRelativeTime(entry.receivedAt, now)}
          </time>
        </p>
        <div class="item-card__actions">
          {openUrl ? (
            <ExternalLinkButton href={openUrl} variant="primary" small data-testid="open-link">
              <ExternalIcon size={15} />
              Open
            </ExternalLinkButton>
          ) : null}
          <CopyButton
            text={copyableTextOf(item)}
            small
            testId="copy-text"
            accessibleName={item.kind === 'text' ? 'Copy text' : 'Copy address'}
          />
          {onRemove ? (
            <Button
              variant="ghost"
              small
              class="item-card__remove"
              data-testid="remove-item"
              aria-label="Remove from this list"
              title="Remove from this list"
              disabled={removing}
              onClick={remove}
            >
              <TrashIcon size={16} />
            </Button>
          ) : null}
        </div>
      </div>
    </li>
  );
}
