// Integration tests of the signalling server (server/): real listeners on ephemeral ports, real PeerJS
// WebSocket protocol over ws and wss, the companion static files, and the configuration errors.

import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDirectDropServer, type DirectDropServer } from '../../server/app';
import { type ConfigDeps, loadConfig } from '../../server/config';
import { createLogger, type Logger } from '../../server/log';
import { peerUrl, request, within } from './server-harness';

interface PeerMessage {
  type: string;
  src?: string;
  dst?: string;
  payload?: unknown;
}

interface Client {
  ws: WebSocket;
  next(): Promise<PeerMessage>;
  closed: Promise<number>;
}

/** Well-formed PeerJS credentials (32 lowercase hex id, alphanumeric token), stable per label. */
const id = (label: string): string => createHash('sha256').update(`id:${label}`).digest('hex').slice(0, 32);
const tok = (label: string): string =>
  createHash('sha256').update(`token:${label}`).digest('hex').slice(0, 24);

let tempRoot = '';
let companionDir = '';
const running: DirectDropServer[] = [];
const clients: WebSocket[] = [];

beforeAll(async () => {
  tempRoot = await mkdtemp(join(tmpdir(), 'directdrop-server-test-'));
  companionDir = join(tempRoot, 'companion');
  await mkdir(join(companionDir, 'assets'), { recursive: true });
  await writeFile(
    join(companionDir, 'index.html'),
    '<!doctype html><title>DirectDrop companion (test)</title>',
  );
  await writeFile(join(companionDir, 'assets', 'app-3f9a1c.js'), 'console.log("app");');
  await writeFile(join(companionDir, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  await writeFile(join(companionDir, 'manifest.webmanifest'), '{"name":"DirectDrop"}');
});

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await rm(tempRoot, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}, logger?: Logger): Promise<DirectDropServer> {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', COMPANION_DIR: companionDir, ...env });
  const server = await createDirectDropServer(config, logger ? { logger } : {});
  running.push(server);
  return server;
}

function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url, { rejectUnauthorized: false });
  clients.push(ws);
  const queue: PeerMessage[] = [];
  const waiters: ((m: PeerMessage) => void)[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as PeerMessage;
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const next = (): Promise<PeerMessage> => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no signalling message within 5 s')), 5_000);
      waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, next, closed }));
    ws.once('error', reject);
  });
}

describe('HTTP endpoints', () => {
  it('answers /health', async () => {
    const server = await start();
    const res = await request(`${server.httpUrl}/health`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('serves /config with CORS for extension origins only', async () => {
    const ice = [{ urls: 'stun:stun.example.org:3478' }];
    const server = await start({ ICE_SERVERS: JSON.stringify(ice) });
    expect(server.publicUrl).toBe(`http://localhost:${server.httpPort}`);

    const fromExtension = await request(`${server.httpUrl}/config`, {
      Origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
    });
    expect(fromExtension.status).toBe(200);
    expect(JSON.parse(fromExtension.body)).toEqual({
      publicUrl: server.publicUrl,
      peerPath: '/peerjs',
      iceServers: ice,
    });
    expect(fromExtension.headers['access-control-allow-origin']).toBe(
      'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
    );

    const fromFirefox = await request(`${server.httpUrl}/config`, {
      Origin: 'moz-extension://0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
    });
    expect(fromFirefox.headers['access-control-allow-origin']).toBe(
      'moz-extension://0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
    );

    const fromOwnOrigin = await request(`${server.httpUrl}/config`, { Origin: server.publicUrl });
    expect(fromOwnOrigin.headers['access-control-allow-origin']).toBe(server.publicUrl);

    const fromWebsite = await request(`${server.httpUrl}/config`, { Origin: 'https://evil.example' });
    expect(fromWebsite.status).toBe(200);
    expect(fromWebsite.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('uses an explicit PUBLIC_URL as is', async () => {
    const server = await start({ PUBLIC_URL: 'https://directdrop.lan:8443/' });
    expect(server.publicUrl).toBe('https://directdrop.lan:8443');
    const res = await request(`${server.httpUrl}/config`);
    expect(JSON.parse(res.body).publicUrl).toBe('https://directdrop.lan:8443');
  });
});

describe('companion files', () => {
  it('serves index.html for / and for client-side routes, never cached', async () => {
    const server = await start();
    const index = await readFile(join(companionDir, 'index.html'), 'utf8');
    for (const path of ['/', '/some/route', '/pair']) {
      const res = await request(`${server.httpUrl}${path}`, { Accept: 'text/html' });
      expect(res.status, path).toBe(200);
      expect(res.body, path).toBe(index);
      expect(res.headers['content-type'], path).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
  });

  it('caches hashed assets forever but revalidates sw.js and the manifest', async () => {
    const server = await start();
    const asset = await request(`${server.httpUrl}/assets/app-3f9a1c.js`);
    expect(asset.status).toBe(200);
    expect(asset.body).toBe('console.log("app");');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    for (const path of ['/sw.js', '/manifest.webmanifest', '/index.html']) {
      const res = await request(`${server.httpUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
  });

  it('answers 404, not index.html, for missing files', async () => {
    const server = await start();
    for (const path of ['/assets/missing-123.js', '/missing.png', '/peerjs/unknown']) {
      const res = await request(`${server.httpUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('DirectDrop companion');
    }
  });

  it('answers 503 with build instructions when the companion is not built', async () => {
    const server = await start({ COMPANION_DIR: join(tempRoot, 'does-not-exist') });
    for (const path of ['/', '/some/route']) {
      const res = await request(`${server.httpUrl}${path}`);
      expect(res.status, path).toBe(503);
      expect(res.body, path).toContain('npm run build:companion');
    }
    expect((await request(`${server.httpUrl}/health`)).status).toBe(200);
  });
});

describe('PeerJS signalling', () => {
  it('opens a peer and refuses the same id with another token', async () => {
    const server = await start();
    const first = await connect(peerUrl(server.httpUrl, id('abc'), tok('t1')));
    expect(await first.next()).toEqual({ type: 'OPEN' });

    const second = await connect(peerUrl(server.httpUrl, id('abc'), tok('t2')));
    expect((await second.next()).type).toBe('ID-TAKEN');
    await within(second.closed, 'closing the refused socket');
  });

  it('answers OPEN to a client that comes back with its own id and token before its old socket is gone', async () => {
    const server = await start();
    const first = await connect(peerUrl(server.httpUrl, id('back'), tok('back')));
    expect(await first.next()).toEqual({ type: 'OPEN' });
    const again = await connect(peerUrl(server.httpUrl, id('back'), tok('back')));
    expect(await again.next()).toEqual({ type: 'OPEN' });
  });

  it('relays an OFFER between two peers', async () => {
    const server = await start();
    const alice = await connect(peerUrl(server.httpUrl, id('alice'), tok('alice')));
    const bob = await connect(peerUrl(server.httpUrl, id('bob'), tok('bob')));
    expect((await alice.next()).type).toBe('OPEN');
    expect((await bob.next()).type).toBe('OPEN');

    alice.ws.send(JSON.stringify({ type: 'OFFER', dst: id('bob'), payload: { sdp: 'v=0' } }));
    expect(await bob.next()).toEqual({
      type: 'OFFER',
      src: id('alice'),
      dst: id('bob'),
      payload: { sdp: 'v=0' },
    });
  });

  it('drops malformed messages, keeps relaying, and logs JSON lines without ids, tokens or payloads', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', (_level, line) => lines.push(line));
    const server = await start({}, logger);
    const alice = await connect(peerUrl(server.httpUrl, id('alice-log'), tok('alice-log')));
    const bob = await connect(peerUrl(server.httpUrl, id('bob-log'), tok('bob-log')));
    await alice.next();
    await bob.next();

    // JSON.parse errors quote the input, so a naive log of the error would leak it.
    alice.ws.send('not json: secret-payload-1');
    alice.ws.send(JSON.stringify({ type: 'OFFER', dst: id('bob-log'), payload: 'secret-payload-2' }));
    expect((await bob.next()).payload).toBe('secret-payload-2');
    expect((await request(`${server.httpUrl}/health`)).status).toBe(200);

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of records) {
      expect(typeof record.time).toBe('string');
      expect(typeof record.level).toBe('string');
      expect(typeof record.event).toBe('string');
    }
    expect(records).toContainEqual(
      expect.objectContaining({ event: 'peer.bad-message', reason: 'invalid-json' }),
    );
    expect(records).toContainEqual(expect.objectContaining({ event: 'peer.connected', open: 2 }));
    for (const secret of [
      id('alice-log'),
      tok('alice-log'),
      id('bob-log'),
      tok('bob-log'),
      'secret-payload',
    ]) {
      expect(lines.join('\n')).not.toContain(secret);
    }
    expect(lines.join('\n')).not.toContain('127.0.0.1');
  });

  it('closes sockets that send oversized messages', async () => {
    const server = await start();
    const peer = await connect(peerUrl(server.httpUrl, id('big-sender'), tok('big-sender')));
    await peer.next();
    peer.ws.send(JSON.stringify({ type: 'OFFER', dst: 'x', payload: 'a'.repeat(100 * 1024) }));
    expect(await within(peer.closed, 'closing the oversized sender')).toBe(1009);
  });

  it('rejects WebSocket upgrades on other paths with 404', async () => {
    const server = await start();
    const ws = new WebSocket(
      `${server.httpUrl.replace('http', 'ws')}/not-signalling?key=peerjs&id=a&token=b`,
    );
    clients.push(ws);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });
});

describe('TLS', () => {
  it('serves HTTPS with a cached self-signed certificate and one realm across HTTP and HTTPS', async () => {
    const dataDir = join(tempRoot, 'tls-data');
    const env = { TLS_SELF_SIGNED: '1', HTTPS_PORT: '0', DATA_DIR: dataDir };
    const server = await start(env);
    expect(server.httpsUrl).toMatch(/^https:\/\//);
    expect(server.publicUrl).toMatch(new RegExp(`^https://.+:${server.httpsPort}$`));

    const health = await request(`${server.httpsUrl}/health`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });

    const cert = new X509Certificate(await readFile(join(dataDir, 'selfsigned-cert.pem')));
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.certificateFingerprint).toBe(cert.fingerprint256);

    const phone = await connect(peerUrl(server.httpsUrl ?? '', id('phone'), tok('phone')));
    const desktop = await connect(peerUrl(server.httpUrl, id('desktop'), tok('desktop')));
    expect((await phone.next()).type).toBe('OPEN');
    expect((await desktop.next()).type).toBe('OPEN');

    phone.ws.send(JSON.stringify({ type: 'OFFER', dst: id('desktop'), payload: { sdp: 'from-phone' } }));
    expect(await desktop.next()).toEqual({
      type: 'OFFER',
      src: id('phone'),
      dst: id('desktop'),
      payload: { sdp: 'from-phone' },
    });
    desktop.ws.send(JSON.stringify({ type: 'ANSWER', dst: id('phone'), payload: { sdp: 'from-desktop' } }));
    expect((await phone.next()).payload).toEqual({ sdp: 'from-desktop' });

    // The phone accepted this exact certificate once; a restart must present the same one.
    await within(server.close(), 'close()');
    const restarted = await start(env);
    expect(restarted.certificateFingerprint).toBe(cert.fingerprint256);
  });

  it('serves HTTPS from TLS_CERT and TLS_KEY files', async () => {
    const dataDir = join(tempRoot, 'tls-files');
    await (await start({ TLS_SELF_SIGNED: '1', HTTPS_PORT: '0', DATA_DIR: dataDir })).close();
    const server = await start({
      TLS_CERT: join(dataDir, 'selfsigned-cert.pem'),
      TLS_KEY: join(dataDir, 'selfsigned-key.pem'),
      HTTPS_PORT: '0',
    });
    expect((await request(`${server.httpsUrl}/health`)).status).toBe(200);
  });
});

describe('lifecycle', () => {
  it('closes listeners and sockets, and restarts on the same port', async () => {
    const first = await start();
    const port = first.httpPort;
    const peer = await connect(peerUrl(first.httpUrl, id('restart'), tok('restart')));
    await peer.next();

    await within(first.close(), 'close()');
    await within(peer.closed, 'closing the connected peer');
    await expect(request(`http://127.0.0.1:${port}/health`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const second = await start({ PORT: String(port) });
    expect(second.httpPort).toBe(port);
    expect((await request(`${second.httpUrl}/health`)).status).toBe(200);
    // The old realm is gone, so the id is free again.
    const again = await connect(peerUrl(second.httpUrl, id('restart'), tok('another')));
    expect((await again.next()).type).toBe('OPEN');
  });

  it('fails to start with a message naming PORT when the port is taken', async () => {
    const first = await start();
    await expect(start({ PORT: String(first.httpPort), HOST: '0.0.0.0' })).rejects.toThrow(
      /PORT .*already in use/,
    );
  });
});

describe('loadConfig', () => {
  const deps: ConfigDeps = {
    readFile: (path) => {
      if (path.endsWith('missing.pem')) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return 'not a pem';
    },
    lanAddresses: () => ['192.168.1.20', '10.0.0.5'],
    cwd: '/srv/directdrop',
  };

  it('derives defaults', () => {
    const plain = loadConfig({}, [], deps);
    expect(plain).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      httpsPort: 9443,
      tls: null,
      publicUrl: 'http://localhost:9000',
      companionDir: '/srv/directdrop/dist/companion',
      dataDir: '/srv/directdrop/.directdrop',
      iceServers: [],
      logLevel: 'info',
    });
    const selfSigned = loadConfig({ TLS_SELF_SIGNED: '1' }, [], deps);
    expect(selfSigned.tls).toEqual({ kind: 'self-signed' });
    expect(selfSigned.publicUrl).toBe('https://192.168.1.20:9443');
  });

  it('lets --flags override the environment', () => {
    const config = loadConfig(
      { PORT: '9000' },
      ['--port', '8080', '--tls-self-signed', '--https-port=8443'],
      deps,
    );
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('https://192.168.1.20:8443');
    expect(() => loadConfig({}, ['--prot', '1'], deps)).toThrow(/Unknown option "--prot"/);
  });

  it('rejects invalid values with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' }, [], deps)).toThrow(/PORT.*"abc"/);
    expect(() => loadConfig({ PORT: '70000' }, [], deps)).toThrow(/PORT/);
    expect(() => loadConfig({ HTTPS_PORT: '-1' }, [], deps)).toThrow(/HTTPS_PORT/);
    expect(() => loadConfig({ TLS_CERT: 'cert.pem' }, [], deps)).toThrow(
      /TLS_CERT is set but TLS_KEY is missing/,
    );
    expect(() => loadConfig({ TLS_KEY: 'key.pem' }, [], deps)).toThrow(
      /TLS_KEY is set but TLS_CERT is missing/,
    );
    expect(() => loadConfig({ TLS_CERT: 'missing.pem', TLS_KEY: 'key.pem' }, [], deps)).toThrow(
      /TLS_CERT file "missing.pem" cannot be read \(ENOENT\)/,
    );
    expect(() => loadConfig({ TLS_CERT: 'cert.pem', TLS_KEY: 'key.pem' }, [], deps)).toThrow(
      /TLS_CERT .* not a PEM certificate/,
    );
    expect(() => loadConfig({ TLS_SELF_SIGNED: 'maybe' }, [], deps)).toThrow(/TLS_SELF_SIGNED/);
    expect(() => loadConfig({ TLS_SELF_SIGNED: '1', PORT: '9443' }, [], deps)).toThrow(
      /HTTPS_PORT must differ/,
    );
    expect(() => loadConfig({ ICE_SERVERS: '[{urls:' }, [], deps)).toThrow(/ICE_SERVERS must be valid JSON/);
    expect(() => loadConfig({ ICE_SERVERS: '{"urls":"stun:x"}' }, [], deps)).toThrow(
      /ICE_SERVERS must be a JSON array/,
    );
    expect(() => loadConfig({ ICE_SERVERS: '[{"urls":"http://x"}]' }, [], deps)).toThrow(
      /ICE_SERVERS\[0\]\.urls/,
    );
    expect(() => loadConfig({ PUBLIC_URL: 'phone.lan' }, [], deps)).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://phone.lan' }, [], deps)).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' }, [], deps)).toThrow(/LOG_LEVEL/);
  });

  it('reads limits, allowed origins and trusted proxies, and names the variable of a bad value', () => {
    expect(loadConfig({}, [], deps).limits).toEqual({
      maxConnectionsPerAddress: 64,
      connectionRatePerAddress: 120,
      messageRate: 50,
      messageBurst: 200,
      httpRatePerAddress: 1_200,
      maxPresencePerNetwork: 64,
      maxPeers: 10_000,
    });
    const config = loadConfig(
      {
        MAX_CONNECTIONS_PER_ADDRESS: '8',
        CONNECTION_RATE_PER_ADDRESS: '30',
        MESSAGE_RATE: '10',
        HTTP_RATE_PER_ADDRESS: '100',
        ALLOWED_ORIGINS: 'https://drop.example.org, http://192.168.1.20:8080/',
        TRUSTED_PROXY: '127.0.0.1,10.0.0.0/8 fd00::/8',
      },
      ['--max-peers', '500', '--max-presence-per-network=16', '--message-burst', '40'],
      deps,
    );
    expect(config.limits).toEqual({
      maxConnectionsPerAddress: 8,
      connectionRatePerAddress: 30,
      messageRate: 10,
      messageBurst: 40,
      httpRatePerAddress: 100,
      maxPresencePerNetwork: 16,
      maxPeers: 500,
    });
    expect(config.allowedOrigins).toEqual(['https://drop.example.org', 'http://192.168.1.20:8080']);
    expect(config.trustedProxies.size).toBe(3);

    expect(() => loadConfig({ MAX_PEERS: '0' }, [], deps)).toThrow(/MAX_PEERS must be a whole number/);
    expect(() => loadConfig({ MESSAGE_RATE: '2.5' }, [], deps)).toThrow(/MESSAGE_RATE.*"2.5"/);
    expect(() => loadConfig({ MESSAGE_RATE: '100', MESSAGE_BURST: '10' }, [], deps)).toThrow(/MESSAGE_BURST/);
    expect(() => loadConfig({ CONNECTION_RATE_PER_ADDRESS: 'lots' }, [], deps)).toThrow(
      /CONNECTION_RATE_PER_ADDRESS/,
    );
    expect(() => loadConfig({ MAX_CONNECTIONS_PER_ADDRESS: '-3' }, [], deps)).toThrow(
      /MAX_CONNECTIONS_PER_ADDRESS/,
    );
    expect(() => loadConfig({ HTTP_RATE_PER_ADDRESS: '1e3' }, [], deps)).toThrow(/HTTP_RATE_PER_ADDRESS/);
    expect(() => loadConfig({ MAX_PRESENCE_PER_NETWORK: '5000' }, [], deps)).toThrow(
      /MAX_PRESENCE_PER_NETWORK must be a whole number from 1 to 1024/,
    );
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'https://drop.example.org/app' }, [], deps)).toThrow(
      /ALLOWED_ORIGINS .*"https:\/\/drop.example.org\/app"/,
    );
    expect(() => loadConfig({ ALLOWED_ORIGINS: '*' }, [], deps)).toThrow(/ALLOWED_ORIGINS/);
    expect(() => loadConfig({ TRUSTED_PROXY: '10.0.0.0/33' }, [], deps)).toThrow(
      /TRUSTED_PROXY .*"10.0.0.0\/33"/,
    );
    expect(() => loadConfig({ TRUSTED_PROXY: 'proxy.lan' }, [], deps)).toThrow(/TRUSTED_PROXY/);
  });

  it('rejects a TLS_KEY that does not belong to TLS_CERT', async () => {
    const dataDir = join(tempRoot, 'tls-mismatch');
    await (await start({ TLS_SELF_SIGNED: '1', HTTPS_PORT: '0', DATA_DIR: dataDir })).close();
    const otherKey = join(tempRoot, 'other-key.pem');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(otherKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => loadConfig({ TLS_CERT: join(dataDir, 'selfsigned-cert.pem'), TLS_KEY: otherKey })).toThrow(
      /TLS_KEY .* does not match/,
    );
  });

  it('keeps only known RTCIceServer fields', () => {
    const config = loadConfig(
      { ICE_SERVERS: '[{"urls":["turn:turn.lan:3478"],"username":"u","credential":"c","extra":1}]' },
      [],
      deps,
    );
    expect(config.iceServers).toEqual([{ urls: ['turn:turn.lan:3478'], username: 'u', credential: 'c' }]);
  });
});

describe('main entry', () => {
  const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');

  function run(
    env: Record<string, string>,
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
  ) {
    const child = spawn(tsx, ['server/main.ts'], {
      env: { ...process.env, COMPANION_DIR: companionDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints a banner and exits 0 on SIGTERM', async () => {
    let signalled = false;
    const result = await run({ PORT: '0', PUBLIC_URL: 'http://192.168.1.20:9000' }, (text, child) => {
      if (!signalled && text.includes('PeerJS')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/HTTP\s+http:\/\/localhost:\d+/);
    expect(result.stdout).toContain('http://192.168.1.20:9000');
    expect(result.stdout).toContain(companionDir);
    expect(result.stdout).toMatch(/WARNING: PUBLIC_URL is plain http/);
    // A terminal QR code of the URL follows (half-block characters).
    expect(result.stdout).toContain('Scan to open http://192.168.1.20:9000 on a phone');
    expect(result.stdout).toMatch(/[▀▄█]{7}/);
    // Everything that is not the banner is a JSON log line.
    const logLines = result.stdout.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.map((line) => (JSON.parse(line) as { event: string }).event)).toContain(
      'server.listening',
    );
  });

  it('exits 1 with the reason when the configuration is invalid', async () => {
    const result = await run({ PORT: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/could not start: PORT must be a port number/);
  });
});
