// Turns whatever name a peer offers into one that is safe to create on any file system and to show: no
// path (separators, "..", drive letters), no control, invisible or bidirectional-override characters, no
// names Windows reserves (CON, NUL, COM1…, also with spaces before an extension), no trailing dots or
// spaces, no leading dots (hidden files), and at most 180 UTF-8 bytes with the extension kept.

import { utf8 } from '../bytes';
import { printableLine } from '../protocol/device';

const MAX_NAME_BYTES = 180;
/** Reserved or special on Windows (and on FAT/exFAT volumes, such as Android SD cards) and on macOS. */
const FORBIDDEN_CHARS = /[<>:"/\\|?*]/g;
/** Windows reads "CON.txt" and "CON .txt" as the console device: the name before the first dot, spaces trimmed. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$) *(\..*)?$/i;

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
  let name = printableLine(lastSegment)
    .replace(FORBIDDEN_CHARS, '_')
    .replace(/^[. ]+|[. ]+$/g, '');
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
