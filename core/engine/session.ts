// One authenticated connection to a paired device: sends items and waits for their acknowledgement,
// dispatches what arrives, keeps the channel alive, and notices when the other side has gone quiet.

import type { Clock } from '../clock';
import type { AppBuild } from '../protocol/app-build';
import type { DeviceProfile } from '../protocol/device';
import { MAX_CHUNK_BYTES, SEND_BUFFER_HIGH_BYTES, SEND_BUFFER_LOW_BYTES } from '../protocol/limits';
import {
  type ControlMessage,
  encodeControlMessage,
  type Item,
  parseControlMessage,
  TRANSFER_MESSAGE_TYPES,
  type TransferMessage,
} from '../protocol/messages';
import type { AuthenticatedPeer } from '../session/handshake';
import type { MessageQueue } from '../session/message-queue';
import type { TransferPort } from '../transfer/transfer-port';
import type { Transport } from '../transport';

export const PING_INTERVAL_MS = 5_000;
/** Silence longer than this (no frame at all, not even a pong) means the channel is dead. */
export const SILENCE_LIMIT_MS = 15_000;
export const ACK_TIMEOUT_MS = 20_000;
const MAX_IN_FLIGHT = 64;
/** A peer that keeps sending garbage is disconnected; a single bad frame is only reported. */
const MAX_BAD_FRAMES = 20;

export interface SessionHandlers {
  /** Resolves once the item is stored; only then is it acknowledged to the sender. */
  onItem(id: string, sentAt: number, item: Item): Promise<void>;
  onProfile(profile: DeviceProfile): void;
  /** The other side reported the companion build it runs (see `peerAppBuild`). */
  onAppBuild(): void;
  onUnpair(): void;
  /** The other side of a nearby session asks to pair, confirms pairing, or declines it. */
  onPairing(step: 'request' | 'confirm' | 'decline'): void;
  onTransferMessage(message: TransferMessage): void;
  /** A binary data frame, still undecoded. */
  onData(frame: Uint8Array): void;
  onBadFrame(error: string): void;
  onClose(): void;
}

export interface SessionOptions {
  transport: Transport;
  queue: MessageQueue;
  peer: AuthenticatedPeer;
  transcript: Uint8Array;
  clock: Clock;
  handlers: SessionHandlers;
}

export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

export class Session {
  readonly peer: AuthenticatedPeer;
  readonly transcript: Uint8Array;
  readonly transport: Transport;
  readonly #options: SessionOptions;
  readonly #pending = new Map<
    string,
    { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void; cancel: () => void }
  >();
  #lastHeard: number;
  #badFrames = 0;
  #closed = false;
  #closeReason = 'the channel closed';
  #stopPing: () => void = () => {};
  #peerAppBuild: AppBuild | undefined;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.peer = options.peer;
    this.transcript = options.transcript;
    this.transport = options.transport;
    this.#lastHeard = options.clock.now();
    const session = this;
    const transport = options.transport;
    this.port = {
      get isOpen() {
        return session.isOpen;
      },
      get maxFrameBytes() {
        return Math.min(MAX_CHUNK_BYTES, transport.maxMessageSize);
      },
      // Transfers run across awaits, so the channel may close under them; a failed send must not skip
      // their clean-up (the close itself is reported through onClose).
      sendControl: (message) => this.#trySend(message),
      sendData: (frame) => transport.send(frame),
      whenWritable: () =>
        transport.bufferedAmount < SEND_BUFFER_HIGH_BYTES
          ? Promise.resolve()
          : transport.whenBufferedBelow(SEND_BUFFER_LOW_BYTES),
    };
  }

  /** Begins receiving: called once the owner has registered the session, as frames may already be queued. */
  start(): void {
    this.#options.transport.onClose(() => this.#shutdown());
    if (!this.#options.transport.isOpen) {
      this.#shutdown();
      return;
    }
    this.#options.queue.handOver((frame) => this.#receive(frame));
    this.#schedulePing();
  }

  get isOpen(): boolean {
    return !this.#closed && this.transport.isOpen;
  }

  /**
   * Sends an item under the id its sender keeps for it (the outbox entry's), so a copy sent again after a
   * lost acknowledgement or over a newer session is recognised by the receiver and stored only once.
   */
  sendItem(id: string, item: Item): Promise<void> {
    if (!this.isOpen)
      return Promise.reject(new DeliveryError('The connection closed before the item was sent.'));
    // The same item sent twice at once (a send that outlived its feedback deadline, and the outbox
    // draining the copy it queued) waits for the one acknowledgement.
    const waiting = this.#pending.get(id);
    if (waiting) return waiting.promise;
    if (this.#pending.size >= MAX_IN_FLIGHT) {
      return Promise.reject(new DeliveryError('Too many items are still waiting to be confirmed.'));
    }
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const promise = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const cancel = this.#options.clock.setTimeout(() => {
      this.#pending.delete(id);
      settle.reject(new DeliveryError('The other device did not confirm the item in time.'));
    }, ACK_TIMEOUT_MS);
    this.#pending.set(id, { promise, ...settle, cancel });
    try {
      this.#send({ t: 'item', id, sentAt: this.#options.clock.now(), item });
    } catch (error) {
      cancel();
      this.#pending.delete(id);
      settle.reject(error instanceof Error ? error : new DeliveryError(String(error)));
    }
    return promise;
  }

  /**
   * Checks that the other side still answers, e.g. when the presence service says it left: a channel
   * that hears nothing back within `withinMs` is closed, so what waits on it moves on (to the outbox).
   */
  probe(withinMs: number): void {
    if (!this.isOpen) return;
    const askedAt = this.#options.clock.now();
    this.#trySend({ t: 'ping' });
    this.#options.clock.setTimeout(() => {
      if (!this.#closed && this.#lastHeard < askedAt) this.close('the other device stopped answering');
    }, withinMs);
  }

  sendProfile(profile: DeviceProfile): void {
    this.#trySend({ t: 'profile', name: profile.name, type: profile.type });
  }

  /** Tells the other side which companion build this device runs (only the companion app knows one). */
  sendAppBuild(build: AppBuild): void {
    this.#trySend({ t: 'app-build', version: build.version, digest: build.digest });
  }

  /** The companion build the other side reported in this session, if it did. */
  get peerAppBuild(): AppBuild | undefined {
    return this.#peerAppBuild;
  }

  sendUnpair(): void {
    this.#trySend({ t: 'unpair' });
  }

  sendPairing(step: 'request' | 'confirm' | 'decline'): void {
    this.#send({ t: `pair-${step}` });
  }

  /** Why the session ended, for logs. */
  get closeReason(): string {
    return this.#closeReason;
  }

  close(reason = 'closed locally'): void {
    if (!this.#closed) this.#closeReason = reason;
    this.transport.close();
    this.#shutdown();
  }

  #send(message: ControlMessage): void {
    this.transport.send(encodeControlMessage(message));
  }

  #trySend(message: ControlMessage): void {
    try {
      this.#send(message);
    } catch {
      // Closing is noticed through the transport's close event.
    }
  }

  #receive(frame: string | Uint8Array): void {
    this.#lastHeard = this.#options.clock.now();
    const { handlers } = this.#options;
    if (typeof frame !== 'string') {
      handlers.onData(frame);
      return;
    }
    const parsed = parseControlMessage(frame);
    if (!parsed.ok) {
      this.#bad(parsed.error);
      return;
    }
    const message = parsed.message;
    if (TRANSFER_MESSAGE_TYPES.has(message.t)) {
      handlers.onTransferMessage(message as TransferMessage);
      return;
    }
    switch (message.t) {
      case 'item':
        handlers.onItem(message.id, message.sentAt, message.item).then(
          () => this.#trySend({ t: 'item-ack', id: message.id }),
          () => this.#bad('the item could not be stored'),
        );
        return;
      case 'item-ack': {
        const waiting = this.#pending.get(message.id);
        if (!waiting) return;
        this.#pending.delete(message.id);
        waiting.cancel();
        waiting.resolve();
        return;
      }
      case 'profile':
        handlers.onProfile({ name: message.name, type: message.type });
        return;
      case 'app-build':
        this.#peerAppBuild = { version: message.version, digest: message.digest };
        handlers.onAppBuild();
        return;
      case 'unpair':
        handlers.onUnpair();
        return;
      case 'pair-request':
        handlers.onPairing('request');
        return;
      case 'pair-confirm':
        handlers.onPairing('confirm');
        return;
      case 'pair-decline':
        handlers.onPairing('decline');
        return;
      case 'ping':
        this.#trySend({ t: 'pong' });
        return;
      case 'pong':
        return;
      default:
        // Handshake messages after authentication are not accepted again.
        this.#bad(`unexpected "${message.t}" message after the handshake`);
    }
  }

  /** The session as transfers see it: control messages, data frames and the channel's backpressure. */
  readonly port: TransferPort;

  /** Reports a bad frame seen by a layer above (e.g. a data frame for no known transfer). */
  reportBadFrame(error: string): void {
    this.#bad(error);
  }

  #bad(error: string): void {
    this.#options.handlers.onBadFrame(error);
    if (++this.#badFrames > MAX_BAD_FRAMES) this.close('too many bad frames');
  }

  #schedulePing(): void {
    this.#stopPing = this.#options.clock.setTimeout(() => {
      if (this.#closed) return;
      if (this.#options.clock.now() - this.#lastHeard > SILENCE_LIMIT_MS) {
        this.close('the other device went silent');
        return;
      }
      this.#trySend({ t: 'ping' });
      this.#schedulePing();
    }, PING_INTERVAL_MS);
  }

  #shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopPing();
    this.#options.queue.dispose();
    for (const [id, waiting] of this.#pending) {
      this.#pending.delete(id);
      waiting.cancel();
      waiting.reject(new DeliveryError('The connection closed before the item was confirmed.'));
    }
    this.#options.handlers.onClose();
  }
}
