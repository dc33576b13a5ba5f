// Turns whatever name a peer offers into one that is safe to create on any file system and to show: no
// path (separators, "..", drive letters), no control or bidirectional-override characters, no names
// Windows reserves (CON, NUL, COM1…), no trailing dots or spaces, and at most 180 UTF-8 bytes with the
// extension kept.

import { utf8 } from '../bytes';

const MAX_NAME_BYTES = 180;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const FORBIDDEN_CHARS = /[<>:"/\\|?*]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

function truncateUtf8(text: string, maxBytes: number): string {
  let out = '';
  for (const ch of text) {
    if (utf8(out + ch).length > maxBytes) break;
    out += ch;
  }
  return out;
}

export function sanitizeFileName(raw: string, fallback = 'file'): string {
  // Only the last path segment counts: "../../etc/passwd" becomes "passwd".
  const lastSegment = raw.split(/[/\\]/).pop() ?? '';
  let name = lastSegment
    .replace(UNSAFE_CHARS, '')
    .replace(FORBIDDEN_CHARS, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[. ]+$/, '')
    .replace(/^\.+/, '');
  if (!name) name = fallback;
  if (RESERVED.test(name)) name = `_${name}`;
  if (utf8(name).length > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    const stem = extension ? name.slice(0, dot) : name;
    name = truncateUtf8(stem, MAX_NAME_BYTES - utf8(extension).length).replace(/[. ]+$/, '') + extension;
  }
  return name || fallback;
}
