// A received item's notification offers the one action that fits it: Open for a web link or page, Copy
// for text (and for a link that is not http/https), Show in folder for a file.

import { describe, expect, it } from 'vitest';
import type { ReceivedItem } from '../../core/engine/state-store';
import { actionLabel, clickActionFor } from '../../utils/notifications';

const base = { id: 'i1', fromDeviceId: 'd1', fromName: 'Pixel', receivedAt: 1 };

describe('the action a received item offers', () => {
  it.each([
    [{ kind: 'link', url: 'https://example.com/' }, 'Open'],
    [{ kind: 'page', url: 'https://example.com/', title: 'Example' }, 'Open'],
    [{ kind: 'link', url: 'mailto:someone@example.com' }, 'Copy'],
    [{ kind: 'text', text: 'hello' }, 'Copy'],
    [
      { kind: 'file', transferId: 't1', file: 0, name: 'photo.jpg', size: 10, type: 'image/jpeg' },
      'Show in folder',
    ],
  ])('%o: %s', (item, label) => {
    expect(actionLabel(clickActionFor({ ...base, item } as unknown as ReceivedItem))).toBe(label);
  });
});
