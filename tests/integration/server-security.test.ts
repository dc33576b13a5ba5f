// Integration tests of the server's defences: security headers and the companion's CSP, CORS and
// WebSocket Origin checks, PeerJS connection validation, per-address connection and request limits
// (429 with Retry-After, recovering after the window), per-socket message limits on signalling sockets,
// and malformed input that must be refused while well-behaved clients carry on.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/node-env';
import {
  type Client,
  createHarness,
  type Harness,
  openClient,
  peerUrl,
  refusal,
  request,
  roundTrip,
  until,
  within,
  wsBase,
} from './server-harness';

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterEach(async () => {
  await harness.cleanup();
});
afterAll(async () => {
  await harness.remove();
});

const id = (label: string): string => createHash('sha256').update(`id:${label}`).digest('hex').slice(0, 32);
const tok = (label: string): string =>
  createHash('sha256').update(`token:${label}`).digest('hex').slice(0, 24);

async function peer(base: string, label: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = await openClient(harness, peerUrl(base, id(label), tok(label)), { headers });
  expect(await client.next()).toEqual({ type: 'OPEN' });
  return client;
}

/** A clock the test moves by hand, for limits measured in minutes. */
describe('security headers', () => {
  it('sets the hardening headers on every kind of response, and HSTS only over HTTPS', async () => {
    const server = await harness.start();
    for (const path of ['/health', '/config', '/', '/assets/app-3f9a1c.js', '/missing.png', '/peerjs/']) {
      const res = await request(`${server.httpUrl}${path}`);
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['referrer-policy'], path).toBe('no-referrer');
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(res.headers['cross-origin-opener-policy'], path).toBe('same-origin');
      expect(res.headers['permissions-policy'], path).toMatch(/camera=\(\)/);
      expect(res.headers['content-security-policy'], path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['strict-transport-security'], path).toBeUndefined();
      expect(res.headers['x-powered-by'], path).toBeUndefined();
    }
    // API responses allow nothing at all.
    expect((await request(`${server.httpUrl}/config`)).headers['content-security-policy']).toMatch(
      /^default-src 'none'/,
    );

    const tls = await harness.start({
      TLS_SELF_SIGNED: '1',
      HTTPS_PORT: '0',
      DATA_DIR: join(harness.companionDir, '..', 'tls'),
    });
    const secure = await request(`${tls.httpsUrl}/health`);
    expect(secure.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect((await request(`${tls.httpUrl}/health`)).headers['strict-transport-security']).toBeUndefined();
  });

  it('serves the companion under a strict CSP that allows only its own scripts and sockets', async () => {
    const server = await harness.start();
    for (const path of ['/', '/pair', '/sw.js', '/assets/app-3f9a1c.js']) {
      const csp = String(
        (await request(`${server.httpUrl}${path}`)).headers['content-security-policy'] ?? '',
      );
      const directives = new Map(
        csp.split(';').map((d) => {
          const [name = '', ...values] = d.trim().split(/\s+/);
          return [name, values] as const;
        }),
      );
      expect(directives.get('script-src'), path).toEqual(["'self'"]);
      expect(directives.get('worker-src'), path).toEqual(["'self'"]);
      expect(directives.get('object-src'), path).toEqual(["'none'"]);
      expect(directives.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(directives.get('img-src'), path).toEqual(["'self'", 'data:', 'blob:']);
      const host = new URL(server.httpUrl).host;
      expect(directives.get('connect-src'), path).toEqual([
        "'self'",
        `ws://${host}`,
        `wss://${host}`,
        'blob:',
      ]);
      expect(csp, path).not.toMatch(/unsafe-eval|unsafe-inline|\*/);
    }
    // A forged Host header does not make it into the policy.
    const forged = await request(`${server.httpUrl}/`, { Host: "evil.example 'unsafe-inline'" });
    expect(forged.headers['content-security-policy'] ?? '').not.toContain('evil.example');
  });
});

describe('origins', () => {
  it('allows CORS for the companion, extensions and ALLOWED_ORIGINS only', async () => {
    const server = await harness.start({ ALLOWED_ORIGINS: 'https://drop.example.org' });
    const allowed = [
      'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
      'moz-extension://0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
      server.publicUrl,
      'https://drop.example.org',
    ];
    for (const origin of allowed) {
      const res = await request(`${server.httpUrl}/config`, { Origin: origin });
      expect(res.headers['access-control-allow-origin'], origin).toBe(origin);
      const preflight = await request(`${server.httpUrl}/config`, { Origin: origin }, 'OPTIONS');
      expect(preflight.status, origin).toBe(204);
      expect(preflight.headers['access-control-allow-origin'], origin).toBe(origin);
    }
    for (const origin of ['https://evil.example', 'null', 'http://drop.example.org']) {
      for (const path of ['/config', '/health', '/peerjs/', '/peerjs/peerjs/id']) {
        const res = await request(`${server.httpUrl}${path}`, { Origin: origin });
        expect(res.headers['access-control-allow-origin'], `${origin} ${path}`).toBeUndefined();
      }
    }
  });

  it('refuses WebSocket upgrades from foreign web origins with 403 and allows the rest', async () => {
    const server = await harness.start({ ALLOWED_ORIGINS: 'https://drop.example.org' });
    const presenceUrl = `${wsBase(server.httpUrl)}/presence`;
    for (const origin of ['https://evil.example', 'null']) {
      const refusedPeer = await refusal(peerUrl(server.httpUrl, id('x'), tok('x')), { Origin: origin });
      expect(refusedPeer.status).toBe(403);
      expect(refusedPeer.body).toMatch(/from this web origin are not allowed/);
      expect((await refusal(presenceUrl, { Origin: origin })).status).toBe(403);
    }
    // DNS rebinding: the hostile name is in both Host and Origin, and still is not ours.
    const port = new URL(server.httpUrl).port;
    const rebound = await refusal(presenceUrl, {
      Host: `rebind.evil.example:${port}`,
      Origin: `http://rebind.evil.example:${port}`,
    });
    expect(rebound.status).toBe(403);

    const origins = [
      'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
      'moz-extension://0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
      'https://drop.example.org',
      server.publicUrl,
      `http://127.0.0.1:${port}`,
    ];
    for (const [i, origin] of origins.entries()) {
      await peer(server.httpUrl, `origin-${i}`, { Origin: origin });
      await openClient(harness, presenceUrl, { headers: { Origin: origin } });
    }
    // No Origin at all: not a browser, nothing to protect against.
    await peer(server.httpUrl, 'no-origin');
  });

  it('treats a page from this listener’s own address literal as same-origin, but not another address', async () => {
    const server = await harness.start({ HOST: '0.0.0.0' });
    const port = new URL(server.httpUrl).port;
    // 127.0.0.2 is not among the origins the server knows in advance, yet it is the address the
    // request came in on, so a page from there was served by this server.
    const url = `ws://127.0.0.2:${port}/presence`;
    await openClient(harness, url, { headers: { Origin: `http://127.0.0.2:${port}` } });
    expect((await refusal(url, { Origin: `http://127.0.0.3:${port}` })).status).toBe(403);
    expect((await refusal(url, { Origin: `https://127.0.0.2:${port}` })).status).toBe(403);
  });
});

describe('PeerJS connections', () => {
  it('answers 400 with the reason for a missing or malformed id, token or key', async () => {
    const server = await harness.start();
    const base = `${wsBase(server.httpUrl)}/peerjs/peerjs`;
    const cases: [string, RegExp][] = [
      [`?key=peerjs&id=${id('a')}`, /token/],
      [`?key=peerjs&token=${tok('a')}`, /id query parameter must be 32 lowercase hexadecimal/],
      [`?key=other&id=${id('a')}&token=${tok('a')}`, /key query parameter must be "peerjs"/],
      [`?id=${id('a')}&token=${tok('a')}`, /key/],
      [`?key=peerjs&id=ALICE&token=${tok('a')}`, /id query parameter/],
      [`?key=peerjs&id=${id('a').toUpperCase()}&token=${tok('a')}`, /id query parameter/],
      [`?key=peerjs&id=${id('a')}&token=short`, /token query parameter must be 16 to 64/],
      [`?key=peerjs&id=${id('a')}&token=${'t'.repeat(65)}`, /token query parameter/],
      [`?key=peerjs&id=${id('a')}&token=has-dashes-${tok('a')}`, /token query parameter/],
      // peer would use the last of repeated parameters: only one of each is accepted.
      [`?key=peerjs&id=${id('a')}&id=${id('b')}&token=${tok('a')}`, /id query parameter/],
    ];
    for (const [query, reason] of cases) {
      const res = await refusal(`${base}${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatch(reason);
    }
    expect((await request(`${server.httpUrl}/health`)).status).toBe(200);
    await peer(server.httpUrl, 'valid-after-bad');
  });

  it('answers 404 for other paths and 503 when MAX_PEERS sockets are open', async () => {
    const server = await harness.start({ MAX_PEERS: '2' });
    expect((await refusal(`${wsBase(server.httpUrl)}/elsewhere`)).status).toBe(404);
    await peer(server.httpUrl, 'cap-1');
    await peer(server.httpUrl, 'cap-2');
    const full = await refusal(peerUrl(server.httpUrl, id('cap-3'), tok('cap-3')));
    expect(full.status).toBe(503);
    expect(Number(full.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses an id that is taken (ID-TAKEN) without disturbing its owner', async () => {
    const server = await harness.start();
    const owner = await peer(server.httpUrl, 'owner');
    const other = await peer(server.httpUrl, 'other');
    const squatter = await openClient(harness, peerUrl(server.httpUrl, id('owner'), tok('squatter')));
    expect((await squatter.next()).type).toBe('ID-TAKEN');
    await within(squatter.closed, 'closing the squatter');
    other.send({ type: 'OFFER', dst: id('owner'), payload: { sdp: 'still-mine' } });
    expect((await owner.nextOf('OFFER')).payload).toEqual({ sdp: 'still-mine' });
  });

  it('drops malformed and spoofed messages, keeps relaying for everyone, and closes a persistent offender', async () => {
    const server = await harness.start();
    const alice = await peer(server.httpUrl, 'alice');
    const bob = await peer(server.httpUrl, 'bob');
    const carol = await peer(server.httpUrl, 'carol');

    const bad: unknown[] = [
      'not json',
      'null',
      '[1,2,3]',
      { type: 'OFFER' },
      { type: 'OFFER', dst: 42, payload: {} },
      { type: 'OFFER', dst: 'not-a-peer-id', payload: {} },
      { type: 'OFFER', dst: { __proto__: null }, payload: {} },
      // Only the server sends these; a client must not be able to forge them for someone else.
      { type: 'EXPIRE', dst: id('bob'), src: id('carol') },
      { type: 'ID-TAKEN', dst: id('bob') },
    ];
    for (const message of bad) alice.send(message);
    alice.ws.send(Buffer.from([0xde, 0xad]), { binary: true });

    carol.send({ type: 'OFFER', dst: id('bob'), payload: { sdp: 'from-carol' } });
    expect(await bob.nextOf('OFFER')).toEqual({
      type: 'OFFER',
      src: id('carol'),
      dst: id('bob'),
      payload: { sdp: 'from-carol' },
    });
    // Alice is still connected, and her valid messages still go through.
    alice.send({ type: 'ANSWER', dst: id('bob'), payload: { sdp: 'from-alice' } });
    expect((await bob.nextOf('ANSWER')).src).toBe(id('alice'));
    expect(bob.received.map((m) => m.type)).toEqual(['OPEN', 'OFFER', 'ANSWER']);

    // Beyond ten invalid messages a minute the socket is closed as a policy violation.
    alice.send('still not json');
    expect((await within(alice.closed, 'closing the offender')).code).toBe(1008);
    expect(bob.ws.readyState).toBe(bob.ws.OPEN);
  });

  it('closes a socket that sends an oversized message (1009) and keeps the others', async () => {
    const server = await harness.start();
    const big = await peer(server.httpUrl, 'big');
    const fine = await peer(server.httpUrl, 'fine');
    big.send({ type: 'OFFER', dst: id('fine'), payload: 'a'.repeat(100 * 1024) });
    expect((await within(big.closed, 'closing the oversized sender')).code).toBe(1009);
    expect(fine.received).toEqual([{ type: 'OPEN' }]);
    expect(fine.ws.readyState).toBe(fine.ws.OPEN);
  });
});

describe('rate limits', () => {
  it('limits new WebSocket connections per address per minute (429, Retry-After) and recovers', async () => {
    const clock = new ManualClock();
    const server = await harness.start({ CONNECTION_RATE_PER_ADDRESS: '3' }, { clock });
    const presenceUrl = `${wsBase(server.httpUrl)}/presence`;
    await peer(server.httpUrl, 'rate-1');
    await openClient(harness, presenceUrl);
    await peer(server.httpUrl, 'rate-2');

    const refused = await refusal(peerUrl(server.httpUrl, id('rate-3'), tok('rate-3')));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/Too many new connections from your address \(at most 3 per minute\)/);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect((await refusal(presenceUrl)).status).toBe(429);

    // Other addresses (here: behind a trusted proxy) are not affected.
    const proxied = await harness.start(
      { CONNECTION_RATE_PER_ADDRESS: '1', TRUSTED_PROXY: '127.0.0.1' },
      { clock },
    );
    await openClient(harness, `${wsBase(proxied.httpUrl)}/presence`, {
      headers: { 'X-Forwarded-For': '203.0.113.1' },
    });
    await openClient(harness, `${wsBase(proxied.httpUrl)}/presence`, {
      headers: { 'X-Forwarded-For': '203.0.113.2' },
    });
    expect(
      (await refusal(`${wsBase(proxied.httpUrl)}/presence`, { 'X-Forwarded-For': '203.0.113.1' })).status,
    ).toBe(429);

    clock.advance(retryAfter * 1000);
    await peer(server.httpUrl, 'rate-3');
    clock.advance(60_000);
    await peer(server.httpUrl, 'rate-4');
    await openClient(harness, presenceUrl);
    await peer(server.httpUrl, 'rate-5');
  });

  it('limits open WebSockets per address, counting signalling and presence together', async () => {
    const server = await harness.start({ MAX_CONNECTIONS_PER_ADDRESS: '2' });
    const first = await peer(server.httpUrl, 'open-1');
    await openClient(harness, `${wsBase(server.httpUrl)}/presence`);
    const refused = await refusal(peerUrl(server.httpUrl, id('open-2'), tok('open-2')));
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/Too many open connections/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // A refused upgrade (bad query) does not hold a place either.
    first.ws.close();
    await within(first.closed, 'closing a socket');
    await until(() => server.stats().peerSockets === 0, 'the server releasing the closed socket');
    expect((await refusal(`${wsBase(server.httpUrl)}/peerjs/peerjs?key=peerjs&id=x&token=y`)).status).toBe(
      400,
    );
    await peer(server.httpUrl, 'open-2');
  });

  it('limits HTTP requests per address (429, Retry-After) and recovers after the window', async () => {
    const clock = new ManualClock();
    const server = await harness.start({ HTTP_RATE_PER_ADDRESS: '5' }, { clock });
    for (let i = 0; i < 5; i++) expect((await request(`${server.httpUrl}/health`)).status).toBe(200);
    const refused = await request(`${server.httpUrl}/config`);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/Too many requests from your address/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await request(`${server.httpUrl}/`)).status).toBe(429);
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) expect((await request(`${server.httpUrl}/health`)).status).toBe(200);
  });

  it('drops PeerJS messages over the per-socket rate before peer relays them, and closes a flood', async () => {
    const clock = new ManualClock();
    const server = await harness.start({ MESSAGE_RATE: '5', MESSAGE_BURST: '5' }, { clock });
    const sender = await peer(server.httpUrl, 'sender');
    const receiver = await peer(server.httpUrl, 'receiver');
    const candidates = (): unknown[] =>
      receiver.received.filter((m) => m.type === 'CANDIDATE').map((m) => (m.payload as { n: unknown }).n);
    /** Everything the sender sent has been handled, and what was relayed has reached the receiver. */
    const settle = async (): Promise<void> => {
      await roundTrip(sender.ws);
      await roundTrip(receiver.ws);
    };
    // Time stands still: the burst of 5 is relayed, in order, and the other 7 are dropped.
    for (let i = 0; i < 12; i++) {
      sender.send({ type: 'CANDIDATE', dst: id('receiver'), payload: { n: i } });
    }
    await settle();
    expect(candidates()).toEqual([0, 1, 2, 3, 4]);
    expect(server.stats().peerThrottled).toBe(1);

    // The bucket refills at MESSAGE_RATE per second: not yet one message after 100 ms, a whole burst
    // after a second.
    clock.advance(100);
    sender.send({ type: 'CANDIDATE', dst: id('receiver'), payload: { n: 'too early' } });
    await settle();
    expect(candidates()).toEqual([0, 1, 2, 3, 4]);
    clock.advance(900);
    for (const n of ['later 1', 'later 2', 'later 3', 'later 4', 'later 5', 'one too many']) {
      sender.send({ type: 'CANDIDATE', dst: id('receiver'), payload: { n } });
    }
    await settle();
    expect(candidates()).toEqual([0, 1, 2, 3, 4, 'later 1', 'later 2', 'later 3', 'later 4', 'later 5']);

    for (let i = 0; i < 200; i++) sender.send({ type: 'HEARTBEAT' });
    expect((await within(sender.closed, 'closing the flooding socket')).code).toBe(1008);
    expect(receiver.ws.readyState).toBe(receiver.ws.OPEN);
  });
});

describe('messages for ids that are not connected', () => {
  it('are held for 5 s: delivered to a peer that comes just before, EXPIRE to the sender after', async () => {
    const clock = new ManualClock();
    const server = await harness.start({}, { clock });
    const sender = await peer(server.httpUrl, 'hold-sender');
    const offer = (sdp: string) => ({ sdp: { type: 'offer', sdp } });
    sender.send({ type: 'OFFER', dst: id('hold-early'), payload: offer('v=0 early') });
    sender.send({ type: 'OFFER', dst: id('hold-late'), payload: offer('v=0 late') });
    await roundTrip(sender.ws);
    expect(server.stats().peerHeldBytes).toBeGreaterThan(0);

    clock.advance(4_900);
    await roundTrip(sender.ws);
    expect(sender.received.filter((m) => m.type === 'EXPIRE')).toEqual([]);
    const early = await peer(server.httpUrl, 'hold-early');
    expect(await early.nextOf('OFFER')).toMatchObject({
      src: id('hold-sender'),
      payload: offer('v=0 early'),
    });

    clock.advance(100);
    expect(await sender.nextOf('EXPIRE')).toMatchObject({ src: id('hold-late'), dst: id('hold-sender') });
    expect(server.stats().peerHeldBytes).toBe(0);
    const late = await peer(server.httpUrl, 'hold-late');
    expect(await late.heardNo('OFFER')).toBe(true);
  });
});

describe('bad HTTP input', () => {
  it('answers malformed requests with 4xx and keeps serving', async () => {
    const server = await harness.start();
    expect((await request(`${server.httpUrl}/%E0%A4%A`)).status).toBe(400);
    expect((await request(`${server.httpUrl}/assets/%ZZ.js`)).status).toBe(400);
    expect((await request(`${server.httpUrl}/config`, {}, 'DELETE')).status).toBe(404);
    expect((await request(`${server.httpUrl}/peerjs/peerjs/peers`)).status).toBe(401);
    const huge = await request(`${server.httpUrl}/health`, { 'X-Filler': 'x'.repeat(20_000) });
    expect(huge.status).toBe(431);
    expect((await request(`${server.httpUrl}/health`)).status).toBe(200);
  });
});
