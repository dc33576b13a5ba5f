// What a hostile paired device can put in front of the user: file names are sanitised to names that are
// safe to create and show on Windows, macOS, Linux and Android (exact results asserted); text, titles and
// URLs are stored exactly as sent and handed to the UI as plain strings, never interpreted; only http(s)
// links are ever openable; device names lose control and bidi characters.

import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../core/bytes';
import type { FileEnv } from '../../core/engine/transfer-center';
import { describeItem, isOpenableUrl } from '../../core/items';
import { cleanDeviceName } from '../../core/protocol/device';
import type { Item } from '../../core/protocol/messages';
import { sanitizeFileName } from '../../core/transfer/file-name';
import { DESKTOP_UA, MemoryHub, openDevice, type TestDevice, waitFor } from '../helpers/engine-fixture';
import { pairHostile, settle } from '../helpers/hostile-peer';
import { unsafeFileNameReason } from '../helpers/safe-names';
import { bytesOf, MemoryStore } from '../helpers/transfer-harness';

const opened: TestDevice[] = [];
afterEach(() => {
  for (const device of opened.splice(0)) device.engine.close();
});

async function desktopAndHostile(name?: string) {
  const hub = new MemoryHub();
  const store = new MemoryStore();
  const files: FileEnv = { store, sourceFor: () => undefined };
  const desktop = await openDevice(hub, DESKTOP_UA, { files });
  opened.push(desktop);
  const hostile = await pairHostile(hub, desktop.engine, name ? { name } : {});
  await waitFor(desktop.engine, (s) => s.devices[0]?.status === 'online');
  return { desktop, store, hostile };
}

const HOSTILE_NAMES: Array<[string, string]> = [
  ['../../etc/passwd', 'passwd'],
  ['/etc/passwd', 'passwd'],
  ['..\\..\\Windows\\win.ini', 'win.ini'],
  ['C:\\x', 'x'],
  ['C:x', 'C_x'],
  ['\\\\server\\share\\payload.exe', 'payload.exe'],
  ['CON', '_CON'],
  ['NUL', '_NUL'],
  ['nul.txt', '_nul.txt'],
  ['com1.txt', '_com1.txt'],
  ['LPT9', '_LPT9'],
  ['COM¹.log', '_COM¹.log'],
  ['CON .txt', '_CON .txt'],
  ['conout$', '_conout$'],
  ['a:b', 'a_b'],
  ['stream.txt:hidden:$DATA', 'stream.txt_hidden_$DATA'],
  ['report.pdf.', 'report.pdf'],
  ['report.pdf. . .', 'report.pdf'],
  ['trailing   ', 'trailing'],
  ['   leading', 'leading'],
  ['.bashrc', 'bashrc'],
  ['evil\u202egnp.exe', 'evilgnp.exe'],
  ['photo\u2066\u2067gpj.exe\u2069', 'photogpj.exe'],
  ['\u061cinvoice.pdf', 'invoice.pdf'],
  ['zero\u200bwidth\u2060joined\u00ad.txt', 'zerowidthjoined.txt'],
  ['\u0000\u0007bell\u001b[31m\u007f\u0085.txt', 'bell[31m .txt'],
  ['line\nbreak\r\ttab.txt', 'line break tab.txt'],
  ['. .hidden', 'hidden'],
  ['a|b?c*d"e<f>g', 'a_b_c_d_e_f_g'],
  ['<script>alert(1)</script>.html', 'script_.html'],
  ['half\ud800surrogate.txt', 'halfsurrogate.txt'],
  ['a'.repeat(1000), 'a'.repeat(180)],
  [`${'a'.repeat(996)}.txt`, `${'a'.repeat(176)}.txt`],
  [`${'é'.repeat(600)}.jpeg`, `${'é'.repeat(87)}.jpeg`],
  [`${'😀'.repeat(250)}.png`, `${'😀'.repeat(44)}.png`],
];

describe('file names from a peer', () => {
  it.each(HOSTILE_NAMES)('%j becomes %j', (raw, expected) => {
    const name = sanitizeFileName(raw);
    expect(name).toBe(expected);
    expect(unsafeFileNameReason(name)).toBe('');
  });

  it.each([['.'], ['..'], ['...'], [''], ['/'], ['\u202e'], ['\u0000'], [' . ']])(
    '%j, with nothing usable left, becomes the fallback',
    (raw) => {
      expect(sanitizeFileName(raw, 'file-3')).toBe('file-3');
    },
  );

  it('are sanitised in what the receiving engine shows and stores, exactly', async () => {
    const { desktop, store, hostile } = await desktopAndHostile();
    const id = toBase64Url(new Uint8Array(16).fill(5));
    const offered = HOSTILE_NAMES.slice(0, 30).map(([name]) => ({ name, size: 1, type: 'text/plain' }));
    offered.push({ name: '..', size: 1, type: '' });
    hostile.sendJson({ t: 'offer', id, files: offered });
    await hostile.waitFor((m) => m.t === 'accept');
    const shown = desktop.engine.snapshot().transfers[0]?.files.map((f) => f.name) ?? [];
    expect(shown).toEqual([...HOSTILE_NAMES.slice(0, 30).map(([, safe]) => safe), `file-${offered.length}`]);
    for (const name of shown) expect(unsafeFileNameReason(name), name).toBe('');

    // The first file ("../../etc/passwd") arrives whole: stored and listed under its safe name only.
    await hostile.sendFile(id, 0, bytesOf(1, 9));
    await hostile.waitFor((m) => m.t === 'file-ok');
    await settle();
    expect([...store.completed.keys()]).toEqual([`${id}/passwd`]);
    expect(desktop.engine.inbox()[0]?.item).toMatchObject({ kind: 'file', name: 'passwd' });
  });
});

describe('text, titles and links from a peer', () => {
  const HTML = '<script>alert(document.cookie)</script><img src=x onerror="alert(1)"><b>bold</b>&amp;';
  const items: Item[] = [
    { kind: 'text', text: HTML, sourceUrl: 'javascript:alert(1)', sourceTitle: '<i>t</i>' },
    { kind: 'link', url: 'javascript:alert(document.cookie)', title: '<b>Click me</b>' },
    { kind: 'link', url: 'data:text/html,<script>alert(1)</script>' },
    { kind: 'link', url: 'file:///etc/passwd', title: 'passwords' },
    { kind: 'page', url: 'vbscript:msgbox(1)', title: HTML },
    { kind: 'link', url: 'https://example.com/?q=<script>', title: '"><script>alert(1)</script>' },
  ];

  it('are stored exactly as sent and summarised as the same plain strings', async () => {
    const { desktop, hostile } = await desktopAndHostile();
    items.forEach((item, i) => {
      hostile.sendJson({ t: 'item', id: `item${i}`, sentAt: 1, item });
    });
    await waitFor(desktop.engine, (s) => s.inboxSize === items.length);
    const stored = [...desktop.engine.inbox()].reverse().map((entry) => entry.item);
    expect(stored).toEqual(items);
    expect(describeItem(items[0] as Item)).toBe(HTML);
    expect(describeItem(items[1] as Item)).toBe('<b>Click me</b> (javascript:alert(document.cookie))');
    expect(describeItem(items[4] as Item)).toBe(HTML);
  });

  it.each([
    ['javascript:alert(1)', false],
    ['JavaScript:alert(1)', false],
    [' javascript:alert(1)', false],
    ['\u0001javascript:alert(1)', false],
    ['java\nscript:alert(1)', false],
    ['java\tscript:alert(1)', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['file:///etc/passwd', false],
    ['file://C:/Windows/win.ini', false],
    ['vbscript:msgbox(1)', false],
    ['blob:https://example.com/uuid', false],
    ['about:blank', false],
    ['chrome://settings', false],
    ['intent://scan/#Intent;scheme=zxing;end', false],
    ['ftp://example.com/file', false],
    ['//evil.example/path', false],
    ['/relative/path', false],
    ['not a url', false],
    ['', false],
    ['http://example.com/', true],
    ['https://example.com/a?b=c#d', true],
    ['HTTPS://EXAMPLE.COM/', true],
    [' https://example.com/', true],
  ])('%j is openable: %s', (url, openable) => {
    expect(isOpenableUrl(url)).toBe(openable);
  });
});

describe('device names from a peer', () => {
  it('lose control, bidi and invisible characters when paired and when renamed', async () => {
    const { desktop, hostile } = await desktopAndHostile('\u202eenohp\u0000 Evil\n\tPhone\u200b');
    expect(desktop.engine.snapshot().devices[0]?.name).toBe('enohp Evil Phone');
    hostile.sendJson({ t: 'profile', name: '\u2066Your\u00a0bank\u2069\r\n\u061c', type: 'desktop' });
    await waitFor(desktop.engine, (s) => s.devices[0]?.name === 'Your bank');
  });

  it.each([
    ['\u202eevil', 'evil'],
    ['a\u0000b\u001fc\u007fd\u009fe', 'abcde'],
    ['  many   spaces\n\nand lines  ', 'many spaces and lines'],
    ['x'.repeat(300), 'x'.repeat(64)],
    ['\u200b\u200f\u2066', 'Unnamed device'],
    ['half\udc00', 'half'],
  ])('%j is shown as %j', (raw, shown) => {
    expect(cleanDeviceName(raw)).toBe(shown);
  });
});
