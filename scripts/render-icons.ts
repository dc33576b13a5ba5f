// Renders DirectDrop's PNG icons from the one SVG mark in components/logo.ts, using the system Chromium:
// the extension's toolbar icons (public/icon/<size>.png) and the companion app's icons and favicon.
// Run it after changing the mark: `npx tsx scripts/render-icons.ts`, then commit the PNGs.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { type LogoOptions, logoSvg } from '../components/logo';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface IconTarget {
  path: string;
  size: number;
  options?: LogoOptions;
}

const TARGETS: IconTarget[] = [
  { path: 'public/icon/16.png', size: 16, options: { plain: true } },
  ...[32, 48, 128].map((size) => ({ path: `public/icon/${size}.png`, size })),
  { path: 'companion/public/icons/icon-192.png', size: 192 },
  { path: 'companion/public/icons/icon-512.png', size: 512 },
  { path: 'companion/public/icons/maskable-512.png', size: 512, options: { maskable: true } },
  // iOS draws its own rounded corners and shows transparency as black: a full-bleed tile it is.
  { path: 'companion/public/icons/apple-touch-icon.png', size: 180, options: { maskable: true } },
];

async function main(): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const target of TARGETS) {
      await page.setViewportSize({ width: target.size, height: target.size });
      const svg = logoSvg(target.options).replace(
        '<svg ',
        `<svg width="${target.size}" height="${target.size}" `,
      );
      await page.setContent(
        `<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`,
      );
      const png = await page.locator('svg').screenshot({ omitBackground: true });
      const out = resolve(repo, target.path);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, png);
      console.log(`${target.path} (${target.size}×${target.size})`);
    }
    const favicon = resolve(repo, 'companion/public/favicon.svg');
    await writeFile(favicon, `${logoSvg()}\n`);
    console.log('companion/public/favicon.svg');
  } finally {
    await browser.close();
  }
}

await main();
