// A device under an attacker's control that speaks the protocol by hand. It reaches an engine through the
// in-memory network, optionally completes a real handshake (pairing from an invite, or a session with a
// key it holds), and then sends whatever frames a test chooses while recording everything it receives.

import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../core/bytes';
import type { Clock } from '../../core/clock';
import type { Engine } from '../../core/engine/engine';
import { createIdentity, type DeviceIdentity } from '../../core/identity';
import { parsePairingInvite } from '../../core/pairing/pairing-link';
import type { DeviceType } from '../../core/protocol/device';
import { type ControlMessage, parseControlMessage } from '../../core/protocol/messages';
import {
  type HandshakeSelf,
  type HandshakeSuccess,
  type InitiatorIntent,
  type ResponderPolicy,
  runHandshake,
} from '../../core/session/handshake';
import { MessageQueue } from '../../core/session/message-queue';
import { encodeDataFrame } from '../../core/transfer/data-frame';
import { createFileDigest } from '../../core/transfer/file-digest';
import type { Transport } from '../../core/transport';
import { channelPair, type MemoryHub, type MemoryNetwork, type MemoryTransport } from './memory-network';
import { nodeCrypto, realClock } from './node-env';

type Frame = string | Uint8Array;

export function randomPeerId(): string {
  return randomBytes(16).toString('hex');
}

export class HostilePeer {
  /** Every frame the engine sent after the handshake (or from the start, for a raw connection). */
  readonly received: Frame[] = [];
  #answerPings = true;

  constructor(
    readonly transport: MemoryTransport,
    readonly peerId: string,
    readonly identity: DeviceIdentity,
  ) {}

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  /** The text frames received, parsed; frames that do not parse are left out. */
  messages(): ControlMessage[] {
    return this.received.flatMap((frame) => {
      if (typeof frame !== 'string') return [];
      const parsed = parseControlMessage(frame);
      return parsed.ok ? [parsed.message] : [];
    });
  }

  /** Stop answering keepalives, e.g. to see the other side give up on a silent peer. */
  silence(): void {
    this.#answerPings = false;
  }

  /** Sends a frame; returns false (instead of throwing) once the channel is closed. */
  send(frame: Frame): boolean {
    if (!this.transport.isOpen) return false;
    this.transport.send(frame);
    return true;
  }

  sendJson(message: object): boolean {
    return this.send(JSON.stringify(message));
  }

  close(): void {
    this.transport.close();
  }

  /** Waits for a control message from the engine that matches. */
  async waitFor<T extends ControlMessage>(
    predicate: (message: ControlMessage) => message is T,
    timeoutMs?: number,
  ): Promise<T>;
  async waitFor(predicate: (message: ControlMessage) => boolean, timeoutMs?: number): Promise<ControlMessage>;
  async waitFor(predicate: (message: ControlMessage) => boolean, timeoutMs = 5000): Promise<ControlMessage> {
    let found: ControlMessage | undefined;
    await eventually(() => {
      found = this.messages().find(predicate);
      return found !== undefined;
    }, timeoutMs);
    if (!found) throw new Error('no such message');
    return found;
  }

  /**
   * Sends one file of an accepted transfer as a well-behaved sender would (in frames of `frameBytes`),
   * ending it with `sha256` (by default its real transfer digest).
   */
  async sendFile(
    transferId: string,
    file: number,
    bytes: Uint8Array,
    options: { frameBytes?: number; sha256?: string } = {},
  ) {
    const step = options.frameBytes ?? 64 * 1024;
    for (let offset = 0; offset < bytes.length; offset += step) {
      this.send(encodeDataFrame(transferId, file, offset, bytes.subarray(offset, offset + step)));
    }
    this.sendJson({
      t: 'file-end',
      id: transferId,
      file,
      sha256: options.sha256 ?? (await transferDigest(bytes)),
    });
  }

  record(frame: Frame): void {
    this.received.push(frame);
    if (this.#answerPings && frame === '{"t":"ping"}') this.send('{"t":"pong"}');
  }
}

export interface HostileOptions {
  identity?: DeviceIdentity;
  peerId?: string;
  name?: string;
  type?: DeviceType;
  clock?: Clock;
}

/** The transfer digest of a whole file, as its sender puts it in `file-end`. */
export async function transferDigest(bytes: Uint8Array): Promise<string> {
  const digest = createFileDigest((data) => nodeCrypto.sha256(data));
  digest.update(bytes.slice());
  return toBase64Url(await digest.digest());
}

/** Opens a data channel to `target` and records what arrives, without any handshake. */
export async function connectRaw(
  hub: MemoryHub,
  target: string,
  options: HostileOptions = {},
): Promise<HostilePeer> {
  const peerId = options.peerId ?? randomPeerId();
  const network = hub.network(peerId);
  const transport = (await network.connect(target)) as MemoryTransport;
  const peer = new HostilePeer(transport, peerId, options.identity ?? (await createIdentity(nodeCrypto)));
  transport.onMessage((frame) => peer.record(frame));
  return peer;
}

/**
 * Opens a data channel to `target` and runs a real initiator handshake with the given intent. Resolves once
 * authenticated (the peer then records every frame), rejects with the HandshakeError otherwise.
 */
export async function connectAuthenticated(
  hub: MemoryHub,
  target: string,
  intent: InitiatorIntent,
  options: HostileOptions = {},
): Promise<{ peer: HostilePeer; result: HandshakeSuccess }> {
  const peerId = options.peerId ?? randomPeerId();
  const identity = options.identity ?? (await createIdentity(nodeCrypto));
  const network = hub.network(peerId);
  const transport = (await network.connect(target)) as MemoryTransport;
  const peer = new HostilePeer(transport, peerId, identity);
  const queue = new MessageQueue(transport);
  try {
    const result = await runHandshake({
      role: 'initiator',
      intent,
      crypto: nodeCrypto,
      clock: options.clock ?? realClock,
      self: {
        identity,
        profile: { name: options.name ?? 'Hostile phone', type: options.type ?? 'phone' },
        peerId,
      },
      fingerprints: await transport.fingerprints(),
      channel: { send: (text) => transport.send(text), next: () => queue.next() },
    });
    queue.handOver((frame) => peer.record(frame));
    return { peer, result };
  } catch (error) {
    queue.dispose();
    transport.close();
    throw error;
  }
}

/** Pairs a hostile device with `engine` through a fresh pairing code, as a phone scanning the QR would. */
export async function pairHostile(
  hub: MemoryHub,
  engine: Engine,
  options: HostileOptions = {},
): Promise<HostilePeer> {
  const view = engine.startPairing('http://localhost:9000');
  if (view.state !== 'waiting') throw new Error('pairing did not start');
  const parsed = parsePairingInvite(view.link);
  if (!parsed.ok) throw new Error(parsed.error);
  const { peer } = await connectAuthenticated(
    hub,
    parsed.invite.peerId,
    { mode: 'pair', invite: parsed.invite },
    options,
  );
  return peer;
}

/** Resolves once `predicate` holds, checking after every macrotask; rejects after `timeoutMs`. */
export function eventually(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error('condition not met in time'));
      setTimeout(tick, 1);
    };
    tick();
  });
}

/** Lets queued microtasks and the in-memory network's deliveries run. */
export function settle(rounds = 5): Promise<void> {
  return new Promise((resolve) => {
    let left = rounds;
    const next = () => (left-- <= 0 ? resolve() : setImmediate(next));
    next();
  });
}

/**
 * A compromised signalling server's relay that also keeps a copy of every frame it passes on: it answers
 * the caller itself and opens its own connection to the target, so each side sees the relay's certificate.
 */
export function recordingRelay(
  hub: MemoryHub,
  from: MemoryNetwork,
  target: string,
  log: Array<{ to: 'target' | 'caller'; frame: Frame }>,
): Transport {
  const victim = hub.peers.get(target);
  if (!victim) throw new Error('no target');
  const [callerEnd, relayFront] = channelPair(from.localPeerId, target);
  const [relayBack, targetEnd] = channelPair(from.localPeerId, target);
  relayFront.onMessage((frame) => {
    log.push({ to: 'target', frame });
    if (relayBack.isOpen) relayBack.send(frame);
  });
  relayBack.onMessage((frame) => {
    log.push({ to: 'caller', frame });
    if (relayFront.isOpen) relayFront.send(frame);
  });
  relayFront.onClose(() => relayBack.close());
  relayBack.onClose(() => relayFront.close());
  queueMicrotask(() => victim.accept(targetEnd));
  return callerEnd;
}

/**
 * A compromised signalling server that answers a connection itself, running a responder handshake as
 * `self` (its own identity, or another device's public key with its own private key). `outcome` settles
 * with the handshake's result or error.
 */
export function impostorAnswer(
  from: MemoryNetwork,
  target: string,
  self: HandshakeSelf,
  policy: ResponderPolicy,
  clock: Clock = realClock,
): { transport: Transport; outcome: Promise<HandshakeSuccess | Error> } {
  const [callerEnd, impostorEnd] = channelPair(from.localPeerId, target);
  const queue = new MessageQueue(impostorEnd);
  const outcome = runHandshake({
    role: 'responder',
    policy,
    crypto: nodeCrypto,
    clock,
    self,
    fingerprints: impostorEnd.ownFingerprints,
    channel: { send: (text) => impostorEnd.send(text), next: () => queue.next() },
  }).catch((error: unknown) => {
    queue.dispose();
    impostorEnd.close();
    return error instanceof Error ? error : new Error(String(error));
  });
  return { transport: callerEnd, outcome };
}
