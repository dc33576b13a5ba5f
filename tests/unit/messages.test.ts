import { describe, expect, it } from 'vitest';
import { MAX_CONTROL_MESSAGE_BYTES, MAX_TEXT_BYTES } from '../../core/protocol/limits';
import { encodeControlMessage, parseControlMessage } from '../../core/protocol/messages';

function rejected(raw: string): string {
  const result = parseControlMessage(raw);
  if (result.ok) throw new Error(`expected rejection of ${raw.slice(0, 80)}`);
  return result.error;
}

describe('control message validation', () => {
  it('accepts a well-formed item and returns it typed', () => {
    const raw = JSON.stringify({
      t: 'item',
      id: 'abc',
      sentAt: 5,
      item: { kind: 'link', url: 'https://a.example/' },
    });
    const result = parseControlMessage(raw);
    expect(result).toEqual({
      ok: true,
      message: { t: 'item', id: 'abc', sentAt: 5, item: { kind: 'link', url: 'https://a.example/' } },
    });
  });

  it('rejects malformed JSON with a clear error', () => {
    expect(rejected('{"t":"item",')).toBe('message is not valid JSON');
    expect(rejected('[1,2]')).toBe('message is not a JSON object');
    expect(rejected('"hello"')).toBe('message is not a JSON object');
    expect(rejected('{"x":1}')).toBe('message has no type');
  });

  it('rejects an unknown type by name', () => {
    expect(rejected('{"t":"launch-missiles"}')).toBe('unknown message type "launch-missiles"');
  });

  it('rejects an oversize message before parsing it', () => {
    const huge = JSON.stringify({ t: 'ping', pad: 'x'.repeat(MAX_CONTROL_MESSAGE_BYTES) });
    expect(rejected(huge)).toMatch(/larger than the \d+-byte limit/);
    // Multi-byte characters count by their UTF-8 size, not their JavaScript length.
    const wide = JSON.stringify({ t: 'ping', pad: '€'.repeat(MAX_CONTROL_MESSAGE_BYTES / 3 + 10) });
    expect(wide.length).toBeLessThan(MAX_CONTROL_MESSAGE_BYTES);
    expect(rejected(wide)).toMatch(/larger than/);
  });

  it('names the field that is wrong', () => {
    const badUrl = JSON.stringify({ t: 'item', id: 'a', sentAt: 1, item: { kind: 'link', url: 5 } });
    expect(rejected(badUrl)).toMatch(/^invalid "item" message: item\.url: /);
    const badKind = JSON.stringify({ t: 'item', id: 'a', sentAt: 1, item: { kind: 'rocket' } });
    expect(rejected(badKind)).toMatch(/^invalid "item" message: item\.kind/);
    const badId = JSON.stringify({ t: 'item-ack', id: '../../etc' });
    expect(rejected(badId)).toMatch(/^invalid "item-ack" message: id/);
  });

  it('bounds text items by UTF-8 size', () => {
    const ok = JSON.stringify({
      t: 'item',
      id: 'a',
      sentAt: 1,
      item: { kind: 'text', text: 'é'.repeat(1000) },
    });
    expect(parseControlMessage(ok).ok).toBe(true);
    const tooLong = 'a'.repeat(MAX_TEXT_BYTES + 1);
    const raw = JSON.stringify({ t: 'item', id: 'a', sentAt: 1, item: { kind: 'text', text: tooLong } });
    expect(rejected(raw)).toMatch(/item\.text: text is longer than/);
  });

  it('validates handshake fields strictly', () => {
    const hello = {
      t: 'hello',
      v: 1,
      mode: 'pair',
      device: { id: 'A'.repeat(22), name: 'Phone', type: 'phone' },
      key: 'B'.repeat(87),
      peerId: 'abcdef0123456789abcdef0123456789',
      nonce: 'C'.repeat(22),
    };
    expect(parseControlMessage(JSON.stringify(hello)).ok).toBe(true);
    expect(rejected(JSON.stringify({ ...hello, mode: 'admin' }))).toMatch(/mode/);
    expect(rejected(JSON.stringify({ ...hello, key: 'short' }))).toMatch(/key/);
    expect(rejected(JSON.stringify({ ...hello, peerId: 'Has Spaces' }))).toMatch(/peerId/);
    expect(rejected(JSON.stringify({ ...hello, device: { ...hello.device, type: 'toaster' } }))).toMatch(
      /device\.type/,
    );
  });

  it('refuses to encode a message the peer would reject', () => {
    expect(() =>
      encodeControlMessage({
        t: 'item',
        id: 'a',
        sentAt: 1,
        item: { kind: 'text', text: 'x'.repeat(300_000) },
      }),
    ).toThrow(/larger than/);
    expect(encodeControlMessage({ t: 'ping' })).toBe('{"t":"ping"}');
  });
});
