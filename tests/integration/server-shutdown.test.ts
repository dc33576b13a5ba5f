// Graceful shutdown of the real server process (`tsx server/main.ts` as a child): on SIGTERM or SIGINT
// presence clients are told to come back later, every socket is closed with 1001, /health answers 503
// and new WebSockets are refused while sockets drain, a client that never finishes the closing
// handshake is cut after the bounded wait, and the process exits 0.

import { connect as connectTcp, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  announce,
  createHarness,
  type Harness,
  logEvents,
  openClient,
  peerId,
  peerUrl,
  refusal,
  request,
  token,
  within,
} from './server-harness';

let harness: Harness;
const rawSockets: Socket[] = [];

beforeAll(async () => {
  harness = await createHarness();
});
afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await harness.cleanup();
});
afterAll(async () => {
  await harness.remove();
});

/** A WebSocket client that completes the opening handshake and then ignores everything. */
function stubbornPresenceClient(httpUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), hostname, () => {
      socket.write(
        'GET /presence HTTP/1.1\r\n' +
          `Host: ${hostname}:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    rawSockets.push(socket);
    socket.once('data', (data) => {
      if (data.toString().startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade refused: ${data.toString().split('\r\n')[0]}`));
    });
    socket.on('error', () => {});
  });
}

describe('graceful shutdown', () => {
  it('on SIGTERM tells clients, closes sockets with 1001, drains, and exits 0', async () => {
    const server = await harness.startProcess();
    const phone = await openClient(harness, `${server.httpUrl.replace('http', 'ws')}/presence`);
    phone.send(announce());
    await phone.nextOf('nearby');
    const signalling = await openClient(harness, peerUrl(server.httpUrl, peerId(), token()));
    expect(await signalling.next()).toEqual({ type: 'OPEN' });
    // This one never answers the closing handshake, so the drain has to wait for it, then cut it.
    await stubbornPresenceClient(server.httpUrl);

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');

    const shutdown = await phone.nextOf('shutdown');
    expect(shutdown.reconnectAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(shutdown.reconnectAfterMs).toBeLessThanOrEqual(60_000);
    expect((await within(phone.closed, 'the presence socket closing')).code).toBe(1001);
    expect((await within(signalling.closed, 'the signalling socket closing')).code).toBe(1001);

    // Still draining: load balancers see 503 and nobody new gets in.
    const health = await request(`${server.httpUrl}/health`);
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toEqual({ status: 'draining' });
    const late = await refusal(`${server.httpUrl.replace('http', 'ws')}/presence`);
    expect(late.status).toBe(503);
    expect(Number(late.headers['retry-after'])).toBeGreaterThan(0);

    expect(await within(server.exited, 'the process exiting', 10_000)).toBe(0);
    const elapsed = Date.now() - signalledAt;
    // The stubborn client held the drain for its whole bound (3 s), no longer.
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(6_000);
    const done = logEvents(server.stdout()).find((e) => e.event === 'shutdown.done');
    expect(done).toMatchObject({ closed: 2, terminated: 1 });
  }, 40_000);

  it('on SIGINT with well-behaved clients exits 0 as soon as they have closed', async () => {
    const server = await harness.startProcess();
    const phone = await openClient(harness, `${server.httpUrl.replace('http', 'ws')}/presence`);
    phone.send(announce());
    await phone.nextOf('nearby');
    const signalledAt = Date.now();
    server.child.kill('SIGINT');
    await phone.nextOf('shutdown');
    expect((await within(phone.closed, 'the presence socket closing')).code).toBe(1001);
    expect(await within(server.exited, 'the process exiting', 10_000)).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(2_500);
    expect(logEvents(server.stdout()).find((e) => e.event === 'shutdown.done')).toMatchObject({
      closed: 1,
      terminated: 0,
    });
  }, 40_000);
});
