// What the send box turns into: a value that is exactly one http(s) URL is sent as a link (so the other
// side can open it), anything else as text.

import { utf8 } from '../../core/bytes';
import { isOpenableUrl } from '../../core/items';
import { MAX_TEXT_BYTES, MAX_URL_LENGTH } from '../../core/protocol/limits';
import type { Item } from '../../core/protocol/messages';

export type InputReading = { ok: true; item: Item } | { ok: false; error: string };

export function itemFromInput(raw: string): InputReading {
  const value = raw.trim();
  if (!value) return { ok: false, error: 'Type or paste something to send.' };
  if (!/\s/.test(value) && value.length <= MAX_URL_LENGTH && isOpenableUrl(value)) {
    return { ok: true, item: { kind: 'link', url: value } };
  }
  if (utf8(value).length > MAX_TEXT_BYTES) {
    return {
      ok: false,
      error: `This is too long to send in one go: DirectDrop sends up to ${Math.floor(MAX_TEXT_BYTES / 1000)} KB of text at a time.`,
    };
  }
  return { ok: true, item: { kind: 'text', text: value } };
}
