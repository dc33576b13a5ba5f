// The DirectDrop mark as SVG markup: a white drop carrying a downward arrow on an indigo tile. One source
// for the in-app logo and for the PNG icons rendered by scripts/render-icons.ts, so they never drift apart.

export interface LogoOptions {
  /**
   * Maskable icons (Android home screens) are cropped to a circle or squircle: the tile fills the whole
   * square and the drop shrinks into the central safe zone.
   */
  maskable?: boolean;
  /** At 16 px the arrow turns into a smudge: the tiniest icon shows the plain drop. */
  plain?: boolean;
}

const TILE_TOP = '#5468ff';
const TILE_BOTTOM = '#2f3fc7';

export function logoSvg({ maskable = false, plain = false }: LogoOptions = {}): string {
  const radius = maskable ? 0 : 30;
  // The drop is drawn for a 128 tile; the maskable variant scales it around the centre.
  const glyph = maskable ? 'translate(64 66) scale(0.72) translate(-64 -66)' : '';
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128"><title>DirectDrop</title>',
    '<defs><linearGradient id="tile" x1="0" y1="0" x2="1" y2="1">',
    `<stop offset="0" stop-color="${TILE_TOP}"/><stop offset="1" stop-color="${TILE_BOTTOM}"/>`,
    '</linearGradient></defs>',
    `<rect width="128" height="128" rx="${radius}" fill="url(#tile)"/>`,
    `<g transform="${glyph}">`,
    '<path d="M64 14C76 32 98 54 98 79a34 34 0 0 1-68 0C30 54 52 32 64 14Z" fill="#fff"/>',
    plain
      ? ''
      : `<path d="M64 57v32M50 76l14 14 14-14" fill="none" stroke="${TILE_BOTTOM}" stroke-width="10" stroke-linecap="round" stroke-linejoin="round"/>`,
    '</g></svg>',
  ].join('');
}

export function logoDataUrl(options?: LogoOptions): string {
  return `data:image/svg+xml,${encodeURIComponent(logoSvg(options))}`;
}
