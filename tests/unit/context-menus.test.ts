import { describe, expect, it } from 'vitest';
import type { DeviceView } from '../../core/engine/engine';
import { itemFromClick, menuEntries, menuTargets, parseMenuId } from '../../utils/context-menus';

const phone = { deviceId: 'A'.repeat(22), name: 'Android phone' };
const tablet = { deviceId: 'B'.repeat(22), name: 'iPad' };

describe('context menus', () => {
  it('offers one entry per kind for a single device', () => {
    expect(menuEntries([phone]).map((e) => [e.title, e.contexts, e.parentId])).toEqual([
      ['Send link to Android phone', ['link'], undefined],
      ['Send text to Android phone', ['selection'], undefined],
      ['Send this page to Android phone', ['page'], undefined],
    ]);
  });

  it('groups several devices in a submenu per kind', () => {
    const entries = menuEntries([phone, tablet]);
    const link = entries.filter((e) => e.contexts[0] === 'link');
    expect(link.map((e) => [e.id, e.title, e.parentId])).toEqual([
      ['send-link', 'Send link to', undefined],
      [`send:link:${phone.deviceId}`, 'Android phone', 'send-link'],
      [`send:link:${tablet.deviceId}`, 'iPad', 'send-link'],
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
    expect(parseMenuId(`send:page:${phone.deviceId}`)).toEqual({ kind: 'page', deviceId: phone.deviceId });
    expect(parseMenuId('send:page:short')).toBeUndefined();
    expect(parseMenuId('send-link')).toBeUndefined();
  });

  it('builds the item Chrome points at, with the source page for text', () => {
    const tab = { url: 'https://example.com/post', title: 'A post' };
    expect(itemFromClick('link', { linkUrl: 'https://x.example/' }, tab)).toEqual({
      kind: 'link',
      url: 'https://x.example/',
    });
    expect(itemFromClick('text', { selectionText: '  hello  ' }, tab)).toEqual({
      kind: 'text',
      text: 'hello',
      sourceUrl: 'https://example.com/post',
      sourceTitle: 'A post',
    });
    expect(itemFromClick('page', {}, tab)).toEqual({ kind: 'page', url: tab.url, title: 'A post' });
    expect(itemFromClick('text', { selectionText: '   ' }, tab)).toEqual({
      error: 'Select some text first.',
    });
    expect(itemFromClick('link', {}, tab)).toEqual({ error: 'There is no link here to send.' });
  });
});
