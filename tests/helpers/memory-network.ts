// An in-memory signalling server and data channels implementing core's PeerNetwork and Transport, for
// fast tests of the engine. Each connection gets fresh "DTLS fingerprints"; a test can plant a relay in
// the middle (as a compromised server could) to check that the handshake notices.

import { randomBytes } from 'node:crypto';
import {
  type ConnectionPath,
  type DtlsFingerprints,
  type NetworkStatus,
  type PeerNetwork,
  PeerUnavailableError,
  type Transport,
} from '../../core/transport';

type Frame = string | Uint8Array;

function newFingerprint(): string {
  return `sha-256 ${[...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`;
}

export class MemoryTransport implements Transport {
  #listeners = new Set<(frame: Frame) => void>();
  #closeListeners = new Set<() => void>();
  #held: Frame[] = [];
  #open = true;
  other: MemoryTransport | undefined;
  sent: Frame[] = [];

  constructor(
    readonly remotePeerId: string,
    readonly initiator: boolean,
    readonly ownFingerprints: DtlsFingerprints,
  ) {}

  get isOpen(): boolean {
    return this.#open;
  }

  readonly maxMessageSize = 256 * 1024;
  readonly bufferedAmount = 0;

  whenBufferedBelow(): Promise<void> {
    return Promise.resolve();
  }

  async fingerprints(): Promise<DtlsFingerprints> {
    return this.ownFingerprints;
  }

  async path(): Promise<ConnectionPath> {
    return 'lan';
  }

  /** Set by a test to lose frames on the way out (they still count as sent): a lossy link or a drop. */
  loseOutgoing: ((frame: Frame, transport: MemoryTransport) => boolean) | undefined;

  /**
   * Set by a test: frames take a turn of the event loop to arrive, and closing this end tears the channel
   * down at once, losing those still on their way, as when a real connection is closed with data in its
   * buffers.
   */
  closeLosesInFlight = false;
  #tornDown = false;

  send(data: Frame): void {
    if (!this.#open) throw new Error('channel closed');
    // A real channel copies what it is given: senders reuse their buffers.
    const frame = typeof data === 'string' ? data : data.slice();
    this.sent.push(frame);
    if (this.loseOutgoing?.(frame, this)) return;
    const other = this.other;
    const arrive = () => {
      if (!this.#tornDown) other?.deliver(frame);
    };
    // A channel that can lose what is in flight also takes a while to carry it: a turn of the event loop.
    if (this.closeLosesInFlight) setImmediate(arrive);
    else queueMicrotask(arrive);
  }

  deliver(frame: Frame): void {
    if (!this.#open) return;
    if (this.#listeners.size === 0) {
      this.#held.push(frame);
      return;
    }
    for (const listener of this.#listeners) listener(frame);
  }

  onMessage(listener: (frame: Frame) => void): () => void {
    this.#listeners.add(listener);
    for (const frame of this.#held.splice(0)) listener(frame);
    return () => this.#listeners.delete(listener);
  }

  onClose(listener: () => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    if (this.closeLosesInFlight) this.#tornDown = true;
    for (const listener of this.#closeListeners) listener();
    const other = this.other;
    queueMicrotask(() => other?.close());
  }

  /** Closes this end only, as when a device loses its connection and the other does not notice yet. */
  dropSilently(): void {
    this.other = undefined;
    this.close();
  }
}

/** Links two transports as the two ends of one channel with one certificate per end. */
export function channelPair(
  initiatorPeerId: string,
  responderPeerId: string,
): [MemoryTransport, MemoryTransport] {
  const a = newFingerprint();
  const b = newFingerprint();
  const initiator = new MemoryTransport(responderPeerId, true, { local: a, remote: b });
  const responder = new MemoryTransport(initiatorPeerId, false, { local: b, remote: a });
  initiator.other = responder;
  responder.other = initiator;
  return [initiator, responder];
}

export class MemoryHub {
  readonly peers = new Map<string, MemoryNetwork>();
  /** When set, connections to this peer id are handed to the interceptor instead (a hostile server). */
  interceptors = new Map<string, (from: MemoryNetwork) => Promise<Transport>>();

  network(peerId: string): MemoryNetwork {
    return new MemoryNetwork(this, peerId);
  }
}

export class MemoryNetwork implements PeerNetwork {
  status: NetworkStatus = 'online';
  problem: string | undefined;
  #statusListeners = new Set<(s: NetworkStatus) => void>();
  #incomingListeners = new Set<(t: Transport) => void>();
  #idRejectedListeners = new Set<() => void>();
  transports: MemoryTransport[] = [];
  /** Applied to every channel of this network, present and future (see MemoryTransport.loseOutgoing). */
  #loseOutgoing: MemoryTransport['loseOutgoing'];

  constructor(
    readonly hub: MemoryHub,
    readonly localPeerId: string,
  ) {
    hub.peers.set(localPeerId, this);
  }

  onStatus(listener: (s: NetworkStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  onIncoming(listener: (t: Transport) => void): () => void {
    this.#incomingListeners.add(listener);
    return () => this.#incomingListeners.delete(listener);
  }

  onIdRejected(listener: () => void): () => void {
    this.#idRejectedListeners.add(listener);
    return () => this.#idRejectedListeners.delete(listener);
  }

  async connect(remotePeerId: string): Promise<Transport> {
    if (this.status !== 'online') throw new Error('not connected to the server');
    const intercept = this.hub.interceptors.get(remotePeerId);
    if (intercept) return intercept(this);
    const remote = this.hub.peers.get(remotePeerId);
    if (remote?.status !== 'online') throw new PeerUnavailableError(remotePeerId);
    const [mine, theirs] = channelPair(this.localPeerId, remotePeerId);
    this.adopt(mine);
    remote.adopt(theirs);
    queueMicrotask(() => remote.accept(theirs));
    return mine;
  }

  /** Every channel this device opens or accepts from now on loses what is in flight when it closes. */
  closeLosesInFlight = false;

  /** Loses frames this device sends, on every channel it has or opens, while the filter says so. */
  loseOutgoing(filter: MemoryTransport['loseOutgoing']): void {
    this.#loseOutgoing = filter;
    for (const t of this.transports) t.loseOutgoing = filter;
  }

  adopt(transport: MemoryTransport): void {
    transport.loseOutgoing = this.#loseOutgoing;
    transport.closeLosesInFlight = this.closeLosesInFlight;
    this.transports.push(transport);
  }

  accept(transport: Transport): void {
    for (const listener of this.#incomingListeners) listener(transport);
  }

  setStatus(status: NetworkStatus): void {
    this.status = status;
    for (const listener of this.#statusListeners) listener(status);
  }

  /** Simulates losing the network: every channel drops and the server forgets us. */
  goOffline(): void {
    this.setStatus('offline');
    for (const t of this.transports) t.close();
  }

  close(): void {
    this.goOffline();
    if (this.hub.peers.get(this.localPeerId) === this) this.hub.peers.delete(this.localPeerId);
  }
}
