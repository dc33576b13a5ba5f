// What can be sent as an item (a link, a piece of text, a page) and the one rule for acting on a link:
// only http and https URLs are ever opened; anything else is shown as inert text.

import type { Item } from './protocol/messages';

export type { Item };

export function isOpenableUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** A one-line summary for notifications and lists. */
export function describeItem(item: Item | { kind: 'file'; name: string }): string {
  switch (item.kind) {
    case 'file':
      return item.name;
    case 'link':
      return item.title ? `${item.title} (${item.url})` : item.url;
    case 'page':
      return item.title || item.url;
    case 'text':
      return item.text.length > 140 ? `${item.text.slice(0, 139)}…` : item.text;
  }
}
