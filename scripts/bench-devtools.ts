// The DevTools protocol, spoken directly: the extension's offscreen document (where DirectDrop's engine and
// the plain-channel and PeerJS senders run) is not a Playwright page. Also the JavaScript CPU profiles of
// BENCH_PROFILE=1. A target that goes away fails the calls waiting on it; how long a call may take is the
// caller's step limit (bench-limits.ts).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import WebSocket from 'ws';

export type CdpSend = (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>;

interface Target {
  type: string;
  url: string;
  webSocketDebuggerUrl: string;
}

async function devToolsTargets(profileDir: string): Promise<Target[]> {
  const portFile = join(profileDir, 'DevToolsActivePort');
  for (let i = 0; i < 100 && !existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
  const port = readFileSync(portFile, 'utf8').split('\n')[0];
  const response = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as Target[];
}

async function cdpConnect(webSocketUrl: string): Promise<CdpSend> {
  const socket = new WebSocket(webSocketUrl, { perMessageDeflate: false, maxPayload: 1024 ** 3 });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let nextId = 1;
  const waiting = new Map<number, (message: { result?: Record<string, unknown>; error?: unknown }) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: unknown;
    };
    if (message.id !== undefined) waiting.get(message.id)?.(message);
  });
  // A target that goes away (a closed document) must fail the call waiting on it, not leave it hanging.
  let closed = false;
  socket.once('close', () => {
    closed = true;
    for (const answer of [...waiting.values()]) answer({ error: 'the DevTools target went away' });
  });
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new Error(`${method}: the DevTools target went away`));
      const id = nextId++;
      waiting.set(id, (message) => {
        waiting.delete(id);
        if (message.error) reject(new Error(`${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result ?? {});
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
}

export interface Offscreen {
  /** Evaluates an expression (awaiting a promise it gives) in the offscreen document, by value. */
  evaluate(expression: string): Promise<unknown>;
  /**
   * Sets `window[name]` in the offscreen document to a File of the disk file at `path`, as a file picker
   * would: the senders then read a real file, as DirectDrop does.
   */
  pickFile(name: string, path: string): Promise<void>;
}

export async function connectOffscreen(profileDir: string): Promise<Offscreen> {
  let target: Target | undefined;
  for (let i = 0; i < 100 && !target; i++) {
    target = (await devToolsTargets(profileDir)).find((t) => t.url.endsWith('/offscreen.html'));
    if (!target) await new Promise((r) => setTimeout(r, 100));
  }
  if (!target) throw new Error('The offscreen document did not start.');
  const send = await cdpConnect(target.webSocketDebuggerUrl);
  const evaluate = async (expression: string, returnByValue = true) => {
    const result = (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue })) as {
      result?: { value?: unknown; objectId?: string };
      exceptionDetails?: unknown;
    };
    if (result.exceptionDetails) throw new Error(JSON.stringify(result.exceptionDetails).slice(0, 500));
    return result.result;
  };
  return {
    evaluate: async (expression) => (await evaluate(expression))?.value,
    async pickFile(name, path) {
      const input = await evaluate(
        `(() => { const input = document.createElement('input'); input.type = 'file'; return input; })()`,
        false,
      );
      if (!input?.objectId) throw new Error('no file input in the offscreen document');
      await send('DOM.enable');
      await send('DOM.setFileInputFiles', { files: [path], objectId: input.objectId });
      await send('Runtime.callFunctionOn', {
        objectId: input.objectId,
        functionDeclaration: `function () { window[${JSON.stringify(name)}] = this.files[0]; }`,
      });
    },
  };
}

// ---- JavaScript CPU profiles (BENCH_PROFILE=1): where each target's main thread spends its time ----

// ---- JavaScript CPU profiles (BENCH_PROFILE=1): where each target's main thread spends its time ----

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

function summariseProfile(
  label: string,
  profile: { nodes: ProfileNode[]; samples?: number[]; startTime: number; endTime: number },
): string {
  const total = profile.samples?.length ?? 0;
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const sample of profile.samples ?? []) {
    const node = byId.get(sample);
    if (!node) continue;
    const url = node.callFrame.url.split('/').pop() ?? '';
    const key = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 18);
  return [
    `profile ${label} (${seconds.toFixed(1)} s, ${total} samples):`,
    ...top.map(([key, count]) => `  ${((count / Math.max(1, total)) * 100).toFixed(1).padStart(5)}% ${key}`),
  ].join('\n');
}

export async function startProfiles(
  targets: Array<{ label: string; send: CdpSend }>,
): Promise<() => Promise<string[]>> {
  for (const { send } of targets) {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: 1000 });
    await send('Profiler.start');
  }
  return async () => {
    const reports: string[] = [];
    for (const { label, send } of targets) {
      const { profile } = (await send('Profiler.stop')) as {
        profile: Parameters<typeof summariseProfile>[1];
      };
      reports.push(summariseProfile(label, profile));
    }
    return reports;
  };
}

export async function profileTargets(
  desktopProfile: string,
  phone: Page,
): Promise<Array<{ label: string; send: CdpSend }>> {
  const targets: Array<{ label: string; send: CdpSend }> = [];
  for (const target of await devToolsTargets(desktopProfile)) {
    if (!target.url.startsWith('chrome-extension://')) continue;
    targets.push({
      label: `desktop ${target.type} ${target.url.split('/').pop()}`,
      send: await cdpConnect(target.webSocketDebuggerUrl),
    });
  }
  const session = await phone.context().newCDPSession(phone);
  targets.push({
    label: 'phone page',
    send: (method, params) =>
      session.send(method as never, params as never) as Promise<Record<string, unknown>>,
  });
  return targets;
}
