// One client must not be able to knock others off signalling or exhaust the server. Each attack runs
// against the real server process (`node --import tsx server/main.ts` as a child, on loopback), bounded in
// count and time, and what it does to the server is measured from outside: the victims' sockets, the
// server's resident memory (/proc/<pid>/status) and how fast /health answers while the attack runs.
//
//   - a payload nested thousands of levels deep, sent to a victim's peer id
//   - receivers that stop reading while their senders push offers at them
//   - offers flooded to peer ids nobody holds (which the server holds for 5 s)
//   - one big presence network (1,400 devices on one LAN) whose devices keep turning visible and hidden
//   - an address that fills every listing place of its network before the honest devices come back

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  announce,
  type Client,
  createHarness,
  type Harness,
  logEvents,
  openClient,
  paced,
  peerId,
  peerUrl,
  repeatWhile,
  request,
  roundTrip,
  type ServerProcess,
  token,
  until,
  within,
  wsBase,
} from './server-harness';

let harness: Harness;
const raw: WebSocket[] = [];

beforeAll(async () => {
  harness = await createHarness();
});
afterEach(async () => {
  for (const ws of raw.splice(0)) ws.terminate();
  await harness.cleanup();
});
afterAll(async () => {
  await harness.remove();
});

const MIB = 1024 * 1024;

/** The server as its own process, trusting X-Forwarded-For from loopback so tests can be many addresses. */
function startProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  return harness.startProcess({ TRUSTED_PROXY: '127.0.0.1', ...env });
}

/**
 * The server's resident memory once it has settled (three samples 50 ms apart within 1 MiB of each
 * other): what start-up and the first connections allocate is not counted against an attack.
 */
async function settledRssMib(server: ServerProcess): Promise<number> {
  const samples: number[] = [];
  let last = 0;
  await until(
    () => {
      if (performance.now() - last < 50) return false;
      last = performance.now();
      samples.push(server.rssMib());
      const recent = samples.slice(-3);
      return recent.length === 3 && Math.max(...recent) - Math.min(...recent) < 1;
    },
    'the server process settling',
    10_000,
  );
  return samples.at(-1) ?? Number.NaN;
}

/** A PeerJS signalling client, seen by the server as `address`; resolves after OPEN. */
async function signalling(
  server: ServerProcess,
  address: string,
  id = peerId(),
): Promise<Client & { id: string }> {
  const client = await openClient(harness, peerUrl(server.httpUrl, id, token()), {
    headers: { 'X-Forwarded-For': address },
    perMessageDeflate: false,
  });
  expect(await client.nextOf('OPEN')).toEqual({ type: 'OPEN' });
  return Object.assign(client, { id });
}

/** A raw socket whose messages are only counted (the harness client would parse and keep each one). */
function rawSocket(url: string, headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  raw.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Offer-shaped padding: a ~60 KiB payload, within the 64 KiB message limit. */
function bigOffer(dst: string, seq: number): string {
  return JSON.stringify({
    type: 'OFFER',
    dst,
    payload: { sdp: { type: 'offer', sdp: `v=0 ${'a=x '.repeat(15_000)}` }, seq },
  });
}

/** Times /health, a request every 20 ms or so, while `during` runs; the latencies, sorted. */
async function healthLatencies(server: ServerProcess, during: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  // Paced so the sampling itself stays well within the per-address HTTP rate (1,200 a minute).
  await repeatWhile(during, 20, async () => {
    const started = performance.now();
    const res = await within(request(`${server.httpUrl}/health`), '/health answering', 10_000);
    expect(res.status).toBe(200);
    latencies.push(performance.now() - started);
  });
  return latencies.sort((a, b) => a - b);
}

const p99 = (sorted: number[]): number => sorted[Math.ceil(sorted.length * 0.99) - 1] ?? Number.NaN;

describe('relayed payloads', () => {
  it('refuses a deeply nested payload to its sender; the victim stays connected and keeps receiving', async () => {
    const server = await startProcess();
    const victim = await signalling(server, '203.0.113.1');
    const attacker = await signalling(server, '203.0.113.66');
    const friend = await signalling(server, '203.0.113.2');

    const deep = [
      // ~5,000 levels make JSON.stringify throw when the relay re-serialises the message.
      `{"type":"OFFER","dst":"${victim.id}","payload":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      `{"type":"CANDIDATE","dst":"${victim.id}","payload":{"c":${'{"a":'.repeat(6_000)}1${'}'.repeat(6_000)}}}`,
      `{"type":"ANSWER","dst":"${victim.id}","payload":${'[1,'.repeat(5_000)}1${']'.repeat(5_000)}}`,
    ];
    for (const message of deep) {
      attacker.send(message);
      // The victim is still there: a friend's offer reaches it, and nothing of the attacker's did.
      friend.send({ type: 'OFFER', dst: victim.id, payload: { sdp: { type: 'offer', sdp: 'v=0' } } });
      expect(await victim.nextOf('OFFER')).toMatchObject({ src: friend.id });
    }
    expect(victim.received.filter((m) => m.src === attacker.id)).toEqual([]);
    expect(victim.ws.readyState).toBe(WebSocket.OPEN);

    // A sender that keeps trying is the one disconnected.
    for (let i = 0; i < 12; i++) attacker.send(deep[i % deep.length]);
    expect((await within(attacker.closed, 'closing the attacker')).code).toBe(1008);
    friend.send({ type: 'CANDIDATE', dst: victim.id, payload: { candidate: { candidate: 'x' } } });
    expect(await victim.nextOf('CANDIDATE')).toMatchObject({ src: friend.id });
  });
});

describe('memory', () => {
  it('bounds what receivers that stop reading cost, disconnects them, and stays bounded after', async () => {
    // At debug level the server logs each disconnection and why, which is how this test sees them.
    const server = await startProcess({ LOG_LEVEL: 'debug' });
    const events = (name: string, reason?: string): number =>
      logEvents(server.stdout()).filter((e) => e.event === name && (!reason || e.reason === reason)).length;
    const honestA = await signalling(server, '198.51.100.1');
    const honestB = await signalling(server, '198.51.100.2');
    const baseline = await settledRssMib(server);

    // 2 receivers that never read (one address), 16 senders each (each its own address, so no per-address
    // budget holds them back), each within the message rate's burst: 150 offers of 60 KiB, 9 MiB per
    // sender, 280 MiB in all.
    const receivers = await Promise.all(
      Array.from({ length: 2 }, async () => {
        const id = peerId();
        const ws = await rawSocket(peerUrl(server.httpUrl, id, token()), { 'X-Forwarded-For': '192.0.2.9' });
        (ws as unknown as { _socket: { pause(): void } })._socket.pause();
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        return { id, ws, closed };
      }),
    );
    const senders = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        rawSocket(peerUrl(server.httpUrl, peerId(), token()), { 'X-Forwarded-For': `192.0.2.${100 + i}` }),
      ),
    );
    const flood = paced(150, 10, (seq) => {
      for (const [i, ws] of senders.entries()) {
        if (ws.readyState === WebSocket.OPEN)
          ws.send(bigOffer(receivers[i % receivers.length]?.id ?? '', seq));
      }
    });
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.rssMib());
    }, 50);
    await flood;

    // Meanwhile honest clients on their own addresses are relayed as usual.
    honestA.send({ type: 'OFFER', dst: honestB.id, payload: { sdp: { type: 'offer', sdp: 'v=0' } } });
    expect(await honestB.nextOf('OFFER')).toMatchObject({ src: honestA.id });

    // Readers that do not catch up are disconnected within seconds (the server cuts them; their paused
    // sockets notice once they read again), and nobody else is.
    await until(
      () => events('peer.closed', 'slow-reader') >= receivers.length,
      'the server cutting the slow readers',
      15_000,
    );
    expect(events('peer.closed', 'slow-reader')).toBe(receivers.length);
    peak = Math.max(peak, server.rssMib());
    clearInterval(sampler);
    for (const r of receivers) (r.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await within(Promise.all(receivers.map((r) => r.closed)), 'the slow readers being disconnected', 10_000);
    console.log(`slow readers: RSS +${(peak - baseline).toFixed(0)} MiB at the peak`);
    expect(peak - baseline).toBeLessThan(80);

    for (const ws of senders) ws.terminate();
    await until(
      () => events('peer.disconnected') >= senders.length + receivers.length,
      'the server noticing the senders gone',
      10_000,
    );
    console.log(
      `slow readers: RSS +${(server.rssMib() - baseline).toFixed(0)} MiB once the senders were gone`,
    );
    expect(server.rssMib() - baseline).toBeLessThan(80);
  }, 60_000);

  it('bounds what is held for peer ids nobody holds, and still holds an honest offer for a late peer', async () => {
    const server = await startProcess();
    const baseline = await settledRssMib(server);

    // 16 sockets of one address, each sending 150 offers of 60 KiB (within the burst) to made-up ids.
    const flooders = await Promise.all(
      Array.from({ length: 16 }, () =>
        rawSocket(peerUrl(server.httpUrl, peerId(), token()), { 'X-Forwarded-For': '192.0.2.77' }),
      ),
    );
    let expired = 0;
    for (const ws of flooders) {
      ws.on('message', (data) => {
        if ((JSON.parse(String(data)) as { type: string }).type === 'EXPIRE') expired++;
      });
    }
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.rssMib());
    }, 50);
    const flood = paced(150, 10, (seq) => {
      for (const ws of flooders) if (ws.readyState === WebSocket.OPEN) ws.send(bigOffer(peerId(), seq));
    });
    // Sampled while the flood arrives and until the server has answered part of it with EXPIRE.
    const latencies = await healthLatencies(
      server,
      flood.then(() => until(() => expired > 0, 'an EXPIRE for the flood', 10_000)),
    );

    // An honest device (another address) offers to a peer that connects only once the server holds the
    // offer (the sender's round trip): it gets it.
    const sender = await signalling(server, '198.51.100.10');
    const lateId = peerId();
    sender.send({ type: 'OFFER', dst: lateId, payload: { sdp: { type: 'offer', sdp: 'v=0 honest' } } });
    await roundTrip(sender.ws);
    const late = await signalling(server, '198.51.100.11', lateId);
    expect(await late.nextOf('OFFER')).toMatchObject({
      src: sender.id,
      payload: { sdp: { sdp: 'v=0 honest' } },
    });

    peak = Math.max(peak, server.rssMib());
    clearInterval(sampler);
    console.log(
      `absent-id flood: RSS +${(peak - baseline).toFixed(0)} MiB at the peak; /health p99 ${p99(latencies).toFixed(0)} ms`,
    );
    expect(peak - baseline).toBeLessThan(40);
    // What is not held is answered with EXPIRE at once (what the sender would hear 5 s later otherwise).
    expect(expired).toBeGreaterThan(0);
  }, 60_000);
});

describe('presence', () => {
  const MEMBERS = 1_400;
  const CHURNERS = 400;
  /** Devices that stay visible; the rest but the churners stay hidden (and still hear every change). */
  const STEADY = 40;

  it('one network of 1,400 churning devices neither floods nor stalls, and every device ends up with the same list', async () => {
    const server = await startProcess();
    const url = `${wsBase(server.httpUrl)}/presence`;
    interface Member {
      ws: WebSocket;
      id: string;
      seen: Map<string, string>;
      bytes: number;
      messages: number;
    }
    // Every device on one LAN (private addresses are one network), each with its own address.
    const member = async (address: string, name: string, visible: boolean): Promise<Member> => {
      const ws = await rawSocket(url, { 'X-Forwarded-For': address });
      const m: Member = { ws, id: peerId(), seen: new Map(), bytes: 0, messages: 0 };
      ws.on('message', (data) => {
        const text = String(data);
        const message = JSON.parse(text) as {
          type: string;
          peers?: { peerId: string; name: string }[];
          peer?: { peerId: string; name: string };
          peerId?: string;
        };
        // What the network's list costs; a churner's own network-full answers are its own doing.
        if (message.type !== 'error') {
          m.bytes += text.length;
          m.messages++;
        }
        if (message.type === 'nearby') m.seen = new Map((message.peers ?? []).map((p) => [p.peerId, p.name]));
        else if ((message.type === 'peer-joined' || message.type === 'peer-updated') && message.peer) {
          m.seen.set(message.peer.peerId, message.peer.name);
        } else if (message.type === 'peer-left' && message.peerId) m.seen.delete(message.peerId);
      });
      ws.send(JSON.stringify(announce({ peerId: m.id, name, visible })));
      return m;
    };
    const members: Member[] = [];
    for (let start = 0; start < MEMBERS; start += 200) {
      const count = Math.min(200, MEMBERS - start);
      members.push(
        ...(await Promise.all(
          Array.from({ length: count }, (_, k) => {
            const i = start + k;
            return member(`10.1.${i >> 8}.${i & 255}`, `Device ${i}`, i >= CHURNERS && i < CHURNERS + STEADY);
          }),
        )),
      );
    }
    // A hidden device that only watches: what it sees is what everyone must see.
    const probe = await member('10.9.9.9', 'Probe', false);
    const everyone = [...members, probe];
    const settled = (): boolean =>
      probe.seen.size === STEADY &&
      members.every(
        (m) =>
          m.seen.size === probe.seen.size - (probe.seen.has(m.id) ? 1 : 0) &&
          [...probe.seen].every(([id, name]) => id === m.id || m.seen.get(id) === name),
      );
    await until(settled, 'every device having the list', 30_000);
    const before = everyone.reduce((sum, m) => sum + m.bytes, 0);
    const messagesBefore = everyone.reduce((sum, m) => sum + m.messages, 0);

    // 400 devices turn visible and hidden, 10 times a second each, for 4 s: the 24 free places change hands
    // all the time (each hidden device's place goes to a waiting one).
    const started = performance.now();
    const churn = paced(40, 100, (round) => {
      for (let c = 0; c < CHURNERS; c++) {
        const m = members[c] as Member;
        m.ws.send(
          JSON.stringify(announce({ peerId: m.id, name: `Device ${c} r${round}`, visible: round % 2 === 0 })),
        );
      }
    });
    const latencies = await healthLatencies(server, churn);

    // The churn ended hidden. Within seconds every device sees the same 40 devices, none of them a churner.
    await until(settled, 'every device seeing the same list', 15_000);
    const seconds = (performance.now() - started) / 1000;
    expect(
      [...probe.seen.values()].every(
        (name) => /^Device \d+$/.test(name) && Number(name.slice(7)) >= CHURNERS,
      ),
    ).toBe(true);

    // What the whole network was sent stays within its fan-out budget (4 MiB/s after a 1 MiB burst, each
    // message counting 2 KiB more; the last flush may overdraw it by one whole list to everyone), however
    // fast its devices churn: without it, each of thousands of changes went to all 1,400 devices.
    const sent = everyone.reduce((sum, m) => sum + m.bytes, 0) - before;
    const messages = everyone.reduce((sum, m) => sum + m.messages, 0) - messagesBefore;
    console.log(
      `churn: ${(messages / seconds).toFixed(0)} messages/s, ${(sent / seconds / MIB).toFixed(2)} MiB/s of list updates over ${seconds.toFixed(1)} s; /health p99 ${p99(latencies).toFixed(0)} ms`,
    );
    const cost = sent + messages * 2048;
    const wholeList = everyone.length * ((STEADY + 24) * 130 + 2048);
    expect(cost).toBeLessThan(MIB + 4 * MIB * seconds + wholeList);
  }, 90_000);

  /** The list a presence client has been told: the last `nearby` and the deltas after it. */
  const view = (client: Client): Map<string, string> => {
    const list = new Map<string, string>();
    for (const m of client.received) {
      const peer = m.peer as { peerId: string; name: string } | undefined;
      if (m.type === 'nearby') {
        list.clear();
        for (const p of m.peers as { peerId: string; name: string }[]) list.set(p.peerId, p.name);
      } else if ((m.type === 'peer-joined' || m.type === 'peer-updated') && peer)
        list.set(peer.peerId, peer.name);
      else if (m.type === 'peer-left') list.delete(m.peerId as string);
    }
    return list;
  };
  const names = (client: Client): string[] => [...view(client).values()].sort();
  const errorsOf = (client: Client) => client.received.filter((m) => m.type === 'error');

  it('shares the listing between addresses: one that filled every place gives one up to an honest device', async () => {
    const server = await startProcess();
    const url = `${wsBase(server.httpUrl)}/presence`;
    const watcher = await openClient(harness, url, { headers: { 'X-Forwarded-For': '10.0.0.20' } });
    watcher.send(announce({ visible: false }));
    await watcher.nextOf('nearby');

    // Back first after a restart: 64 devices from one address take all 64 places.
    const squatters: Client[] = [];
    for (let i = 0; i < 64; i++) {
      const client = await openClient(harness, url, { headers: { 'X-Forwarded-For': '10.0.0.66' } });
      client.send(announce({ name: `Squatter ${String(i).padStart(2, '0')}` }));
      squatters.push(client);
    }
    await until(() => view(watcher).size === 64, 'the 64 squatters being listed', 15_000);

    // An honest device of another address is listed nevertheless; the squatters' latest gives way.
    const honest = await openClient(harness, url, { headers: { 'X-Forwarded-For': '10.0.0.10' } });
    honest.send(announce({ name: 'Honest laptop' }));
    await honest.nextOf('nearby');
    await until(
      () => view(watcher).size === 64 && names(watcher).includes('Honest laptop'),
      'the honest device listed',
      5_000,
    );
    expect(names(watcher)).not.toContain('Squatter 63');
    expect(errorsOf(honest)).toEqual([]);
    expect(await squatters[63]?.nextOf('error')).toMatchObject({ code: 'network-full' });

    // A second honest address too.
    const second = await openClient(harness, url, { headers: { 'X-Forwarded-For': '10.0.0.11' } });
    second.send(announce({ name: 'Honest phone' }));
    await second.nextOf('nearby');
    await until(() => names(watcher).includes('Honest phone'), 'the second honest device listed', 5_000);
    expect(view(watcher).size).toBe(64);
    expect(names(watcher)).not.toContain('Squatter 62');
    expect(errorsOf(second)).toEqual([]);
  }, 60_000);

  it('gives a place that frees to the least represented address, not to whoever waited longest', async () => {
    const server = await startProcess({ MAX_PRESENCE_PER_NETWORK: '4' });
    const url = `${wsBase(server.httpUrl)}/presence`;
    const watcher = await openClient(harness, url, { headers: { 'X-Forwarded-For': '10.0.0.20' } });
    watcher.send(announce({ visible: false }));
    await watcher.nextOf('nearby');
    const device = async (address: string, name: string): Promise<Client> => {
      const client = await openClient(harness, url, { headers: { 'X-Forwarded-For': address } });
      client.send(announce({ name }));
      await client.nextOf('nearby');
      return client;
    };
    const a3 = [];
    for (const name of ['A1', 'A2', 'A3']) a3.push(await device('10.0.0.66', name));
    const b1 = await device('10.0.0.10', 'B1');
    await until(() => names(watcher).join() === 'A1,A2,A3,B1', 'A1-A3 and B1 listed', 5_000);
    // A holds 3 of 4 places and B 1: B's second takes A's latest place (A 2, B 2).
    const b2 = await device('10.0.0.10', 'B2');
    expect(await a3[2]?.nextOf('error')).toMatchObject({ code: 'network-full' });
    expect(errorsOf(b2)).toEqual([]);
    // At 2 and 2 newcomers of either address wait: A's first.
    const a4 = await device('10.0.0.66', 'A4');
    const b3 = await device('10.0.0.10', 'B3');
    expect(errorsOf(a4)).toMatchObject([{ code: 'network-full' }]);
    expect(errorsOf(b3)).toMatchObject([{ code: 'network-full' }]);
    await until(() => names(watcher).join() === 'A1,A2,B1,B2', 'A1, A2, B1 and B2 listed', 5_000);

    // B1 leaves: B has 1 place, A 2, so B3 gets it although A3 and A4 waited longer.
    b1.ws.close();
    await until(() => names(watcher).join() === 'A1,A2,B2,B3', 'B3 taking the free place', 5_000);
  });
});
