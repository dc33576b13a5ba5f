// Buffers a transport's frames so the handshake can pull them one at a time and the session can take
// over afterwards without losing a frame that arrived in between. Bounded: a peer that floods before
// authenticating is cut off.

import { MAX_QUEUED_MESSAGES } from '../protocol/limits';
import type { Transport, Unsubscribe } from '../transport';
import { HandshakeError } from './handshake';

type Frame = string | Uint8Array;

export class MessageQueue {
  readonly #frames: Frame[] = [];
  #waiter: { resolve: (frame: string) => void; reject: (error: Error) => void } | undefined;
  #consumer: ((frame: Frame) => void) | undefined;
  #closed = false;
  readonly #unsubscribe: Unsubscribe[];

  constructor(private readonly transport: Transport) {
    this.#unsubscribe = [
      transport.onMessage((frame) => this.#push(frame)),
      transport.onClose(() => this.#close()),
    ];
  }

  /** Next text frame for the handshake. A binary frame before authentication is a protocol violation. */
  next(): Promise<string> {
    const frame = this.#frames.shift();
    if (frame !== undefined)
      return typeof frame === 'string' ? Promise.resolve(frame) : Promise.reject(binaryEarly());
    if (this.#closed) return Promise.reject(new HandshakeError('closed', true, 'the connection closed'));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Hands every queued and future frame to a consumer (the authenticated session). */
  handOver(consumer: (frame: Frame) => void): void {
    this.#consumer = consumer;
    for (const frame of this.#frames.splice(0)) consumer(frame);
  }

  dispose(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }

  #push(frame: Frame): void {
    if (this.#consumer) {
      this.#consumer(frame);
      return;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      if (typeof frame === 'string') waiter.resolve(frame);
      else waiter.reject(binaryEarly());
      return;
    }
    if (this.#frames.length >= MAX_QUEUED_MESSAGES) {
      this.transport.close();
      return;
    }
    this.#frames.push(frame);
  }

  #close(): void {
    this.#closed = true;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(new HandshakeError('closed', true, 'the connection closed'));
  }
}

function binaryEarly(): HandshakeError {
  return new HandshakeError('protocol', false, 'binary data before authentication');
}
