// Which received files may be opened in a new tab. A blob: URL belongs to the companion's own origin,
// so a received HTML, SVG or XML file opened that way would run its scripts as the companion, with its
// keys and inbox. Only types the browser shows as inert media or plain text are opened; the type is
// the sender's claim, so the tab gets exactly the allowed type (never a guess) and everything else is
// offered as a download only.

const TEXT_TYPES = new Set(['text/plain', 'text/csv', 'text/markdown', 'text/tab-separated-values']);
const IMAGE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/heic',
  'image/heif',
]);

/** The type to open the file as, or undefined when it must only be saved. */
export function openableType(declared: string): string | undefined {
  const type = declared.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type)) return undefined;
  if (type.includes('xml') || type.includes('html') || type.includes('svg')) return undefined;
  if (IMAGE_TYPES.has(type) || type === 'application/pdf') return type;
  if (type.startsWith('video/') || type.startsWith('audio/')) return type;
  // Without a charset a browser may guess a legacy encoding and garble the text.
  if (TEXT_TYPES.has(type)) return `${type};charset=utf-8`;
  return undefined;
}
