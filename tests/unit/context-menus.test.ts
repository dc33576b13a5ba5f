import { describe, expect, it } from 'vitest';
import type { DeviceView } from '../../core/engine/engine';
import { menuEntries, menuTargets, parseMenuId, targetOfClick } from '../../utils/context-menus';
import { fileNameForUrl } from '../../utils/file-naming';

const phone = { deviceId: 'A'.repeat(22), name: 'Android phone' };
const tablet = { deviceId: 'B'.repeat(22), name: 'iPad' };

describe('context menus', () => {
  it('offers one entry per kind for a single device', () => {
    expect(menuEntries([phone]).map((e) => [e.title, e.contexts, e.parentId])).toEqual([
      ['Send image to Android phone', ['image'], undefined],
      ['Send link to Android phone', ['link'], undefined],
      ['Send linked file to Android phone', ['link'], undefined],
      ['Send text to Android phone', ['selection'], undefined],
      ['Send this page to Android phone', ['page'], undefined],
      ['Send video to Android phone', ['video'], undefined],
      ['Send audio to Android phone', ['audio'], undefined],
    ]);
  });

  it('groups several devices in a submenu per kind, ending with All devices', () => {
    const entries = menuEntries([phone, tablet]);
    const image = entries.filter((e) => e.contexts[0] === 'image');
    expect(image.map((e) => [e.id, e.title, e.parentId])).toEqual([
      ['send-image', 'Send image to', undefined],
      [`send:image:${phone.deviceId}`, 'Android phone', 'send-image'],
      [`send:image:${tablet.deviceId}`, 'iPad', 'send-image'],
      ['send:image:all', 'All devices', 'send-image'],
    ]);
  });

  it('invites pairing when nothing is paired, and leaves out devices that unpaired us', () => {
    expect(menuEntries([]).map((e) => e.id)).toEqual(['pair-device']);
    const devices = [
      { ...phone, status: 'online', type: 'phone', pairedAt: 1 },
      { ...tablet, status: 'unpaired', type: 'tablet', pairedAt: 1 },
    ] as DeviceView[];
    expect(menuTargets(devices)).toEqual([phone]);
  });

  it('parses only its own menu ids', () => {
    expect(parseMenuId(`send:page:${phone.deviceId}`)).toEqual({ kind: 'page', target: phone.deviceId });
    expect(parseMenuId('send:image:all')).toEqual({ kind: 'image', target: 'all' });
    expect(parseMenuId('send:page:short')).toBeUndefined();
    expect(parseMenuId('send-link')).toBeUndefined();
  });

  it('turns a click into the item or the file Chrome points at', () => {
    const tab = { url: 'https://example.com/post', title: 'A post' };
    expect(targetOfClick('link', { linkUrl: 'https://x.example/' }, tab)).toEqual({
      item: { kind: 'link', url: 'https://x.example/' },
    });
    expect(targetOfClick('text', { selectionText: '  hello  ' }, tab)).toEqual({
      item: { kind: 'text', text: 'hello', sourceUrl: 'https://example.com/post', sourceTitle: 'A post' },
    });
    expect(targetOfClick('page', {}, tab)).toEqual({ item: { kind: 'page', url: tab.url, title: 'A post' } });
    expect(targetOfClick('image', { srcUrl: 'https://cdn.example/a.png' }, tab)).toEqual({
      fileUrl: 'https://cdn.example/a.png',
    });
    expect(targetOfClick('image', { srcUrl: 'data:image/png;base64,AAAA' }, tab)).toEqual({
      fileUrl: 'data:image/png;base64,AAAA',
    });
    expect(targetOfClick('linked-file', { linkUrl: 'ftp://old.example/x' }, tab)).toEqual({
      error: 'DirectDrop cannot read ftp: addresses.',
    });
    expect(targetOfClick('video', {}, tab)).toMatchObject({ error: expect.stringMatching(/streamed/) });
    expect(targetOfClick('text', { selectionText: '   ' }, tab)).toEqual({
      error: 'Select some text first.',
    });
  });
});

describe('names for fetched files', () => {
  it('prefers the server name, then the path, then the kind, with a matching extension', () => {
    expect(fileNameForUrl('https://x/y/photo.jpg?size=2', { type: 'image/jpeg' })).toBe('photo.jpg');
    expect(fileNameForUrl('https://x/y/photo', { type: 'image/png' })).toBe('photo.png');
    expect(fileNameForUrl('https://x/dl?id=3', { disposition: 'attachment; filename="report 2.pdf"' })).toBe(
      'report 2.pdf',
    );
    expect(
      fileNameForUrl('https://x/', {
        disposition: "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        type: 'application/pdf',
      }),
    ).toBe('résumé.pdf');
    expect(fileNameForUrl('data:image/webp;base64,AAAA', { type: 'image/webp' })).toBe('image.webp');
  });
});
