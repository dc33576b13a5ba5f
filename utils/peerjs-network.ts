// The only module that touches PeerJS. It turns a PeerJS Peer into core's PeerNetwork (status, incoming
// and outgoing connections, reconnection to the signalling server with backoff) and a DataConnection into
// core's Transport (raw frames, DTLS fingerprints from the negotiated SDP, the ICE path actually used).

import { type DataConnection, Peer, type PeerError } from 'peerjs';
import { backoffDelay, SIGNALLING_BACKOFF } from '../core/backoff';
import type { Clock } from '../core/clock';
import { MAX_QUEUED_MESSAGES } from '../core/protocol/limits';
import { fingerprintFromSdp } from '../core/session/fingerprint';
import {
  type ConnectionPath,
  type DtlsFingerprints,
  type NetworkStatus,
  type PeerNetwork,
  PeerUnavailableError,
  type Transport,
  type Unsubscribe,
} from '../core/transport';

const CONNECT_WATCHDOG_MS = 10_000;

export interface SignallingServer {
  host: string;
  port: number;
  secure: boolean;
  /** Where the PeerServer is mounted, e.g. "/peerjs". */
  path: string;
}

export interface PeerJsNetworkOptions {
  server: SignallingServer;
  /**
   * STUN/TURN servers, as the user or the signalling server chose them (checked here: anything malformed
   * is left out). Absent or empty: none, so ICE uses the device's own addresses only.
   */
  iceServers?: unknown;
  credentials: { peerId: string; token: string };
  clock: Clock;
  random?: () => number;
}

const MAX_ICE_SERVERS = 8;
const ICE_URL = /^(stun|stuns|turn|turns):[^\s]{1,500}$/;

/**
 * The RTCPeerConnection settings every connection gets. Always an explicit list: without one PeerJS falls
 * back to its own defaults (Google's STUN server and PeerJS's TURN server), which would tell third
 * parties every user's addresses. Entries that are not well-formed STUN/TURN servers are dropped.
 */
export function peerConnectionConfig(iceServers: unknown): RTCConfiguration {
  const list = Array.isArray(iceServers) ? iceServers : [];
  return { iceServers: list.flatMap(iceServerOf).slice(0, MAX_ICE_SERVERS) };
}

function iceServerOf(entry: unknown): RTCIceServer[] {
  if (typeof entry !== 'object' || entry === null) return [];
  const { urls, username, credential } = entry as Record<string, unknown>;
  const list = typeof urls === 'string' ? [urls] : Array.isArray(urls) ? urls : [];
  if (list.length === 0 || !list.every((url) => typeof url === 'string' && ICE_URL.test(url))) return [];
  if (username !== undefined && typeof username !== 'string') return [];
  if (credential !== undefined && typeof credential !== 'string') return [];
  return [
    {
      urls: list as string[],
      ...(username !== undefined ? { username } : {}),
      ...(credential !== undefined ? { credential } : {}),
    },
  ];
}

/** Parses "https://host:port" (the address users configure) into PeerJS's connection settings. */
export function signallingServerFromUrl(url: string, path = '/peerjs'): SignallingServer {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'https:';
  if (!secure && parsed.protocol !== 'http:')
    throw new Error(`The server address must start with http:// or https://`);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : secure ? 443 : 80,
    secure,
    path,
  };
}

type Listener<T> = (value: T) => void;

function subscribe<T>(set: Set<Listener<T>>, listener: Listener<T>): Unsubscribe {
  set.add(listener);
  return () => set.delete(listener);
}

/** PeerJS's names for a connection whose ICE failed or closed. */
const SETUP_ERROR_TYPES: ReadonlySet<string> = new Set(['negotiation-failed', 'connection-closed']);

/** The connection's ICE or DTLS setup failed: dialling again may succeed, unlike a missing answer. */
class SetupFailedError extends Error {
  constructor() {
    super('the secure connection could not be set up');
  }
}

/**
 * Calls `failed` once when the connection's RTCPeerConnection reaches "failed" or "closed". PeerJS only
 * watches the ICE state, which stays "connected" when the DTLS handshake after it fails, so without this
 * a failed connection looks like one still opening until a time limit runs out.
 */
function onSetupFailure(connection: DataConnection, failed: () => void): Unsubscribe {
  const pc = connection.peerConnection;
  if (!pc) return () => {};
  const check = () => {
    if (pc.connectionState !== 'failed' && pc.connectionState !== 'closed') return;
    stop();
    failed();
  };
  const stop = () => pc.removeEventListener('connectionstatechange', check);
  pc.addEventListener('connectionstatechange', check);
  return stop;
}

export class PeerJsNetwork implements PeerNetwork {
  readonly localPeerId: string;
  #status: NetworkStatus = 'connecting';
  #problem: string | undefined;
  #peer: Peer;
  /** The current Peer got an id from the server at least once, so PeerJS can reconnect it in place. */
  #peerOpened = false;
  #closed = false;
  #attempt = 0;
  #cancelReconnect: (() => void) | undefined;
  #cancelWatchdog: () => void = () => {};
  readonly #statusListeners = new Set<Listener<NetworkStatus>>();
  readonly #incomingListeners = new Set<Listener<Transport>>();
  readonly #idRejectedListeners = new Set<Listener<void>>();
  readonly #pending = new Map<string, Set<(error: Error) => void>>();

  constructor(private readonly options: PeerJsNetworkOptions) {
    this.localPeerId = options.credentials.peerId;
    this.#peer = this.#createPeer();
    this.#armWatchdog();
  }

  get status(): NetworkStatus {
    return this.#status;
  }

  get problem(): string | undefined {
    return this.#problem;
  }

  onStatus(listener: Listener<NetworkStatus>): Unsubscribe {
    return subscribe(this.#statusListeners, listener);
  }

  onIncoming(listener: Listener<Transport>): Unsubscribe {
    return subscribe(this.#incomingListeners, listener);
  }

  onIdRejected(listener: () => void): Unsubscribe {
    return subscribe(this.#idRejectedListeners, listener);
  }

  async connect(remotePeerId: string, timeoutMs: number): Promise<Transport> {
    const deadline = this.options.clock.now() + timeoutMs;
    try {
      return await this.#connectOnce(remotePeerId, timeoutMs);
    } catch (error) {
      // A connection whose DTLS or ICE setup failed outright (rather than one nobody answered) is dialled
      // once more on a fresh RTCPeerConnection, within what is left of the same time limit: such a failure
      // is usually a race between the two ends' first packets, and the second attempt meets none.
      const left = deadline - this.options.clock.now();
      if (!(error instanceof SetupFailedError) || left <= 0) throw error;
      return this.#connectOnce(remotePeerId, left);
    }
  }

  #connectOnce(remotePeerId: string, timeoutMs: number): Promise<Transport> {
    if (this.#status !== 'online') return Promise.reject(new Error('not connected to the signalling server'));
    const connection = this.#peer.connect(remotePeerId, { reliable: true, serialization: 'raw' });
    if (!connection) return Promise.reject(new Error('not connected to the signalling server'));
    return new Promise<Transport>((resolve, reject) => {
      const failures = this.#pending.get(remotePeerId) ?? new Set();
      this.#pending.set(remotePeerId, failures);
      const settle = () => {
        cancelTimer();
        stopWatching();
        failures.delete(fail);
        if (failures.size === 0) this.#pending.delete(remotePeerId);
        connection.off('open', opened);
        connection.off('error', errored);
        connection.off('close', closed);
      };
      const fail = (error: Error) => {
        settle();
        connection.close();
        reject(error);
      };
      const opened = () => {
        settle();
        resolve(new PeerJsTransport(connection, true));
      };
      // Before it opens, a connection whose ICE or DTLS gave up is reported by PeerJS as one of these (or
      // as closed), depending on which state change it heard first: all are a failed setup.
      const closed = () => fail(new SetupFailedError());
      const errored = (error: PeerError<string>) =>
        fail(SETUP_ERROR_TYPES.has(error.type) ? new SetupFailedError() : error);
      const cancelTimer = this.options.clock.setTimeout(
        () => fail(new Error('the other device did not answer in time')),
        timeoutMs,
      );
      const stopWatching = onSetupFailure(connection, () => fail(new SetupFailedError()));
      failures.add(fail);
      connection.on('open', opened);
      connection.on('error', errored);
      connection.on('close', closed);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelReconnect?.();
    this.#cancelWatchdog();
    for (const [peerId, failures] of this.#pending) {
      for (const fail of failures) fail(new PeerUnavailableError(peerId));
    }
    this.#peer.destroy();
    this.#setStatus('offline');
  }

  #createPeer(): Peer {
    const { server, credentials, iceServers } = this.options;
    // The one place PeerJS's options are made: `config` is always given, never PeerJS's default.
    const peer = new Peer(credentials.peerId, {
      host: server.host,
      port: server.port,
      secure: server.secure,
      path: server.path,
      key: 'peerjs',
      token: credentials.token,
      config: peerConnectionConfig(iceServers),
      debug: 0,
    });
    peer.on('open', () => {
      if (peer !== this.#peer) return;
      this.#peerOpened = true;
      this.#cancelWatchdog();
      this.#attempt = 0;
      this.#problem = undefined;
      this.#setStatus('online');
    });
    peer.on('connection', (connection) => this.#acceptWhenOpen(connection));
    peer.on('disconnected', () => {
      if (peer !== this.#peer || this.#closed) return;
      this.#setStatus('offline');
      this.#scheduleReconnect();
    });
    peer.on('close', () => {
      if (peer !== this.#peer || this.#closed) return;
      this.#setStatus('offline');
      this.#scheduleReconnect();
    });
    peer.on('error', (error) => this.#onError(peer, error));
    return peer;
  }

  #onError(peer: Peer, error: PeerError<string>): void {
    if (peer !== this.#peer || this.#closed) return;
    switch (error.type) {
      case 'peer-unavailable': {
        const peerId = /peer (\S+)$/.exec(error.message)?.[1];
        const failures = peerId ? this.#pending.get(peerId) : undefined;
        for (const fail of [...(failures ?? [])]) fail(new PeerUnavailableError(peerId ?? ''));
        return;
      }
      case 'unavailable-id':
        this.#problem = 'this device’s signalling id is in use elsewhere';
        for (const listener of this.#idRejectedListeners) listener();
        return;
      case 'network':
      case 'socket-error':
      case 'socket-closed':
      case 'server-error':
        this.#problem = 'the server cannot be reached';
        this.#setStatus('offline');
        return;
      default:
        this.#problem = error.message;
    }
  }

  #scheduleReconnect(): void {
    if (this.#cancelReconnect || this.#closed) return;
    this.#attempt += 1;
    const delay = backoffDelay(this.#attempt, SIGNALLING_BACKOFF, this.options.random ?? Math.random);
    this.#cancelReconnect = this.options.clock.setTimeout(() => {
      this.#cancelReconnect = undefined;
      if (this.#closed) return;
      this.#setStatus('connecting');
      this.#armWatchdog();
      if (this.#peer.destroyed) {
        this.#peer = this.#createPeer();
        this.#peerOpened = false;
      } else if (this.#peer.disconnected) {
        this.#peer.reconnect();
      }
    }, delay);
  }

  /**
   * A server may accept the socket and never say OPEN (PeerServer does so when a client returns before its
   * old socket timed out). Rather than wait forever, start over with a fresh socket.
   */
  #armWatchdog(): void {
    this.#cancelWatchdog();
    this.#cancelWatchdog = this.options.clock.setTimeout(() => {
      if (this.#closed || this.#status === 'online') return;
      this.#problem = 'the server did not answer';
      // Destroying a Peer closes its data connections too, and the sessions and transfers on them do not
      // depend on the server once open. A Peer that was ever open therefore only drops its socket (the
      // next attempt reconnects it with the same id); only one that never got an id is started afresh.
      if (this.#peerOpened) this.#peer.disconnect();
      else this.#peer.destroy();
      this.#setStatus('offline');
      this.#scheduleReconnect();
    }, CONNECT_WATCHDOG_MS);
  }

  #acceptWhenOpen(connection: DataConnection): void {
    if (connection.serialization !== 'raw' || !connection.reliable) {
      // Not a DirectDrop client: it would speak another framing.
      connection.close();
      return;
    }
    const cancelTimer = this.options.clock.setTimeout(() => connection.close(), 30_000);
    const stopWatching = onSetupFailure(connection, () => connection.close());
    connection.once('open', () => {
      cancelTimer();
      stopWatching();
      const transport = new PeerJsTransport(connection, false);
      for (const listener of this.#incomingListeners) listener(transport);
    });
    connection.once('close', () => {
      cancelTimer();
      stopWatching();
    });
  }

  #setStatus(status: NetworkStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    for (const listener of [...this.#statusListeners]) listener(status);
  }
}

export class PeerJsTransport implements Transport {
  readonly remotePeerId: string;
  readonly #connection: DataConnection;
  readonly #channel: RTCDataChannel;
  readonly #messageListeners = new Set<Listener<string | Uint8Array>>();
  readonly #closeListeners = new Set<Listener<void>>();
  readonly #drainWaiters = new Set<{ threshold: number; resolve: () => void }>();
  #held: Array<string | Uint8Array> = [];
  #open = true;

  constructor(
    connection: DataConnection,
    readonly initiator: boolean,
  ) {
    this.#connection = connection;
    this.#channel = connection.dataChannel;
    this.remotePeerId = connection.peer;
    connection.on('data', (data) => this.#deliver(data));
    connection.on('close', () => this.#closed());
    // The data channel of a connection whose DTLS or ICE has failed may not say so for many seconds.
    onSetupFailure(connection, () => this.close());
    this.#channel.bufferedAmountLowThreshold = 0;
    this.#channel.addEventListener('bufferedamountlow', () => this.#drained());
  }

  get maxMessageSize(): number {
    const fromSctp = this.#connection.peerConnection?.sctp?.maxMessageSize;
    // Chromium reports 262144; an unknown or "unlimited" size falls back to what every browser accepts.
    return fromSctp && Number.isFinite(fromSctp) && fromSctp > 0 ? fromSctp : 64 * 1024;
  }

  get bufferedAmount(): number {
    return this.#channel.bufferedAmount;
  }

  whenBufferedBelow(threshold: number): Promise<void> {
    if (!this.isOpen || this.#channel.bufferedAmount <= threshold) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drainWaiters.add({ threshold, resolve });
      // The event fires when the amount crosses the threshold downward, so the lowest wanted one is set.
      this.#channel.bufferedAmountLowThreshold = Math.min(...[...this.#drainWaiters].map((w) => w.threshold));
    });
  }

  #drained(): void {
    const amount = this.#channel.bufferedAmount;
    for (const waiter of [...this.#drainWaiters]) {
      if (amount <= waiter.threshold) {
        this.#drainWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  get isOpen(): boolean {
    return this.#open && this.#channel.readyState === 'open';
  }

  async fingerprints(): Promise<DtlsFingerprints> {
    const pc = this.#connection.peerConnection;
    const local = pc?.localDescription?.sdp ? fingerprintFromSdp(pc.localDescription.sdp) : undefined;
    const remote = pc?.remoteDescription?.sdp ? fingerprintFromSdp(pc.remoteDescription.sdp) : undefined;
    if (!local || !remote) throw new Error('the connection has no DTLS fingerprints');
    return { local, remote };
  }

  async path(): Promise<ConnectionPath> {
    const pc = this.#connection.peerConnection;
    if (!pc) return 'unknown';
    return pathFromStats(await pc.getStats());
  }

  send(data: string | Uint8Array): void {
    if (!this.isOpen) throw new Error('the connection is closed');
    // Straight to the channel: PeerJS's own queue is unbounded, and flow control is ours.
    if (typeof data === 'string') this.#channel.send(data);
    else this.#channel.send(data as Uint8Array<ArrayBuffer>);
  }

  onMessage(listener: Listener<string | Uint8Array>): Unsubscribe {
    this.#messageListeners.add(listener);
    const held = this.#held;
    this.#held = [];
    for (const frame of held) listener(frame);
    return () => this.#messageListeners.delete(listener);
  }

  onClose(listener: () => void): Unsubscribe {
    return subscribe(this.#closeListeners, listener);
  }

  close(): void {
    this.#connection.close();
    this.#closed();
  }

  #deliver(data: unknown): void {
    let frame: string | Uint8Array;
    if (typeof data === 'string') frame = data;
    else if (data instanceof ArrayBuffer) frame = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return;
    if (this.#messageListeners.size === 0) {
      if (this.#held.length >= MAX_QUEUED_MESSAGES) {
        this.close();
        return;
      }
      this.#held.push(frame);
      return;
    }
    for (const listener of [...this.#messageListeners]) listener(frame);
  }

  #closed(): void {
    if (!this.#open) return;
    this.#open = false;
    // Writers waiting for room must wake up and notice the channel is gone.
    for (const waiter of this.#drainWaiters) waiter.resolve();
    this.#drainWaiters.clear();
    for (const listener of [...this.#closeListeners]) listener();
  }
}

/** Reads the selected candidate pair: relayed if either end is a TURN relay, LAN if both are host candidates. */
export function pathFromStats(stats: RTCStatsReport): ConnectionPath {
  const all = new Map<string, Record<string, unknown>>();
  stats.forEach((report: Record<string, unknown>) => {
    all.set(String(report.id), report);
  });
  let pairId: string | undefined;
  for (const report of all.values()) {
    if (report.type === 'transport' && typeof report.selectedCandidatePairId === 'string') {
      pairId = report.selectedCandidatePairId;
    }
  }
  let pair = pairId ? all.get(pairId) : undefined;
  if (!pair) {
    pair = [...all.values()].find(
      (r) => r.type === 'candidate-pair' && r.state === 'succeeded' && r.nominated,
    );
  }
  if (!pair) return 'unknown';
  const local = all.get(String(pair.localCandidateId));
  const remote = all.get(String(pair.remoteCandidateId));
  const types = [local?.candidateType, remote?.candidateType];
  if (types.includes('relay')) return 'relay';
  if (types.every((t) => t === 'host')) return 'lan';
  if (types.every((t) => typeof t === 'string')) return 'internet';
  return 'unknown';
}
