// Dark mode is as legible as light mode: every pairing of text colour and the background it is drawn on
// in components/styles.css (the one stylesheet of the popup, options, send page and companion app) meets
// WCAG 2 AA for normal text (4.5:1) in both colour schemes, read from the stylesheet itself.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CSS = readFileSync(new URL('../../components/styles.css', import.meta.url), 'utf8');

/** Text colour token on background token, as the stylesheet uses them. */
const PAIRS: readonly [text: string, background: string][] = [
  ['--text', '--bg'],
  ['--text', '--surface'],
  ['--text', '--surface-sunken'],
  ['--text-muted', '--bg'],
  ['--text-muted', '--surface'],
  ['--text-muted', '--surface-sunken'],
  ['--accent-text', '--accent'],
  ['--accent-text', '--accent-hover'],
  ['--accent-soft-text', '--accent-soft'],
  ['--accent', '--surface'],
  ['--ok', '--ok-soft'],
  ['--ok', '--surface'],
  ['--warn', '--warn-soft'],
  ['--warn', '--surface'],
  ['--danger', '--danger-soft'],
  ['--danger', '--surface'],
];

function tokens(block: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of block.matchAll(/(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)) {
    if (match[1] && match[2]) found.set(match[1], match[2]);
  }
  return found;
}

function schemes(): { light: Map<string, string>; dark: Map<string, string> } {
  const root = /:root\s*\{([^}]*)\}/.exec(CSS)?.[1];
  const darkRoot = /@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([^}]*)\}/.exec(CSS)?.[1];
  if (!root || !darkRoot) throw new Error('styles.css has no :root block for each colour scheme');
  const light = tokens(root);
  return { light, dark: new Map([...light, ...tokens(darkRoot)]) };
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = Number.parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('text colours on their backgrounds', () => {
  it('the formula matches WCAG: black on white is 21:1, a colour on itself 1:1', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#3446d4', '#3446d4')).toBe(1);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`reach 4.5:1 in the ${scheme} scheme`, () => {
      const colours = schemes()[scheme];
      const failing = PAIRS.flatMap(([text, background]) => {
        const fg = colours.get(text);
        const bg = colours.get(background);
        if (!fg || !bg) return [`${text} on ${background}: not defined`];
        const ratio = contrast(fg, bg);
        return ratio >= 4.5 ? [] : [`${text} ${fg} on ${background} ${bg}: ${ratio.toFixed(2)}:1`];
      });
      expect(failing).toEqual([]);
    });
  }
});
