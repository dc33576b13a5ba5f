// The DirectDrop engine: one device's identity, pairings and live sessions. It keeps a session with every
// paired device that is online, pairs new devices from a QR invite, sends and receives items, and tells
// its host what to show. Hosts (the Chrome offscreen document, the Firefox background page, the companion
// app, Node tests) pass in crypto, clock, storage and a PeerNetwork; the engine knows nothing else.

import { fromBase64Url, toBase64Url, toHex } from '../bytes';
import type { Clock } from '../clock';
import type { CryptoEnv } from '../crypto';
import { Emitter } from '../emitter';
import { createIdentity, type DeviceIdentity } from '../identity';
import { buildPairingLink, parsePairingInvite } from '../pairing/pairing-link';
import { PairingOffers } from '../pairing/pairing-offers';
import { cleanDeviceName, type DeviceProfile } from '../protocol/device';
import type { HelloMessage, Item } from '../protocol/messages';
import { describeHandshakeFailure, VERIFICATION_FAILED } from '../session/failure-messages';
import { HandshakeError, type HandshakeSuccess, runHandshake } from '../session/handshake';
import { MessageQueue } from '../session/message-queue';
import type { StoredFile } from '../transfer/file-io';
import {
  type ConnectionPath,
  type NetworkStatus,
  type PeerNetwork,
  PeerUnavailableError,
  type Transport,
} from '../transport';
import type { KeyValueStore } from './key-value-store';
import { DeliveryError, Session } from './session';
import {
  EngineStateStore,
  type PairedDevice,
  type ReceivedItem,
  type SignallingCredentials,
} from './state-store';
import {
  type FileEnv,
  type FileToSend,
  type OutboxView,
  TransferCenter,
  type TransferView,
} from './transfer-center';

export type DeviceStatus = 'online' | 'connecting' | 'offline' | 'unpaired';

export interface DeviceView {
  deviceId: string;
  name: string;
  type: PairedDevice['type'];
  status: DeviceStatus;
  /** Files from this device are accepted without asking. */
  autoAccept: boolean;
  pairedAt: number;
  lastSeenAt?: number;
  /** Why the last connection attempt failed, when the user should know. */
  problem?: string;
}

export type PairingView =
  | { state: 'idle' }
  | { state: 'waiting'; link: string; expiresAt: number }
  | { state: 'expired' }
  | { state: 'paired'; deviceId: string; name: string }
  | { state: 'failed'; error: string };

export interface EngineSnapshot {
  self: { deviceId: string; name: string; type: DeviceProfile['type'] };
  server: NetworkStatus;
  serverProblem?: string;
  devices: DeviceView[];
  pairing: PairingView;
  inboxSize: number;
  transfers: TransferView[];
  outbox: OutboxView[];
}

/** What happened to an item: it arrived, or its device is away and it waits in the outbox. */
export type SendOutcome = { delivered: true } | { queued: true; reason: string };

export type EngineNotice =
  | { kind: 'item-received'; item: ReceivedItem }
  | { kind: 'transfer-offered'; transfer: TransferView }
  | { kind: 'transfer-finished'; transfer: TransferView }
  | { kind: 'paired'; deviceId: string; name: string }
  | { kind: 'unpaired-by-peer'; deviceId: string; name: string }
  | { kind: 'verification-failed'; name?: string };

export interface EngineOptions {
  crypto: CryptoEnv;
  clock: Clock;
  store: KeyValueStore;
  defaultProfile: DeviceProfile;
  createNetwork(credentials: SignallingCredentials): PeerNetwork;
  /** File storage and hashing; without it the device sends and receives items only. */
  files?: FileEnv;
  log?(message: string): void;
}

/** A send or pairing that could not happen, with a message meant for the user. */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
}

export const CONNECT_TIMEOUT_MS = 15_000;
const MAX_PAIRINGS = 32;
const MAX_INBOX = 100;
/** Waiting for a simultaneous connection from the other side to finish. */
const DUPLICATE_WAIT_MS = 10_000;
const RETRY_DELAYS_MS = [3_000, 10_000, 30_000, 60_000];
const SNAPSHOT_INTERVAL_MS = 250;

export class Engine {
  readonly #options: EngineOptions;
  readonly #state: EngineStateStore;
  readonly #identity: DeviceIdentity;
  #profile: DeviceProfile;
  #credentials: SignallingCredentials;
  #pairings: PairedDevice[];
  #inbox: ReceivedItem[];
  #network!: PeerNetwork;
  #networkSubscriptions: Array<() => void> = [];
  readonly #offers: PairingOffers;
  #pairing: PairingView = { state: 'idle' };
  #cancelPairingExpiry: () => void = () => {};

  readonly #sessions = new Map<string, Session>();
  readonly #dialing = new Map<string, Promise<Session>>();
  /** Devices whose incoming handshake is under way, so we do not dial them at the same time. */
  readonly #answering = new Set<string>();
  readonly #sessionWaiters = new Map<string, Set<(session: Session) => void>>();
  readonly #retries = new Map<string, () => void>();
  readonly #problems = new Map<string, string>();
  readonly #paths = new Map<string, ConnectionPath>();
  #transfers!: TransferCenter;
  #lastEmit = 0;
  #cancelTrailingEmit: (() => void) | undefined;
  readonly #failureCount = new Map<string, number>();
  #closed = false;

  readonly #snapshots = new Emitter<EngineSnapshot>();
  readonly #notices = new Emitter<EngineNotice>();
  readonly #inboxChanges = new Emitter<readonly ReceivedItem[]>();

  private constructor(
    options: EngineOptions,
    state: EngineStateStore,
    identity: DeviceIdentity,
    profile: DeviceProfile,
    credentials: SignallingCredentials,
    pairings: PairedDevice[],
    inbox: ReceivedItem[],
  ) {
    this.#options = options;
    this.#state = state;
    this.#identity = identity;
    this.#profile = profile;
    this.#credentials = credentials;
    this.#pairings = pairings;
    this.#inbox = inbox;
    this.#offers = new PairingOffers(options.crypto, options.clock);
  }

  /** Loads (or on first run creates) this device's identity and state, then goes online. */
  static async open(options: EngineOptions): Promise<Engine> {
    const state = new EngineStateStore(options.store);
    await state.migrate();
    let identity = await state.loadIdentity();
    if (!identity) {
      identity = await createIdentity(options.crypto);
      await state.saveIdentity(identity);
    }
    const profile = (await state.loadProfile()) ?? options.defaultProfile;
    let credentials = await state.loadSignalling();
    if (!credentials) {
      credentials = newCredentials(options.crypto);
      await state.saveSignalling(credentials);
    }
    const engine = new Engine(
      options,
      state,
      identity,
      profile,
      credentials,
      await state.loadPairings(),
      await state.loadInbox(),
    );
    engine.#transfers = new TransferCenter(options.files, options.store, options.clock, options.crypto, {
      sessionFor: (deviceId) => engine.session(deviceId),
      deviceName: (deviceId) => engine.#pairingOf(deviceId)?.name ?? 'a removed device',
      autoAccept: (deviceId) => engine.#pairingOf(deviceId)?.autoAccept !== false,
      pathOf: (deviceId) => engine.#paths.get(deviceId),
      changed: (urgent) => engine.#changed(urgent),
      offered: (transfer) => engine.#notices.emit({ kind: 'transfer-offered', transfer }),
      fileReceived: (from, file) => engine.#receiveFile(from, file),
      transferFinished: (transfer) => engine.#notices.emit({ kind: 'transfer-finished', transfer }),
    });
    await engine.#transfers.load();
    engine.#attachNetwork();
    return engine;
  }

  // ---- what hosts read and subscribe to ----

  snapshot(): EngineSnapshot {
    const problem = this.#network.problem;
    return {
      self: { deviceId: this.#identity.deviceId, name: this.#profile.name, type: this.#profile.type },
      server: this.#network.status,
      ...(problem ? { serverProblem: problem } : {}),
      devices: this.#pairings.map((p) => this.#deviceView(p)),
      pairing: this.#pairing,
      inboxSize: this.#inbox.length,
      transfers: this.#transfers.views(),
      outbox: this.#transfers.outboxViews(),
    };
  }

  onSnapshot(listener: (snapshot: EngineSnapshot) => void): () => void {
    return this.#snapshots.on(listener);
  }

  onNotice(listener: (notice: EngineNotice) => void): () => void {
    return this.#notices.on(listener);
  }

  onInboxChange(listener: (inbox: readonly ReceivedItem[]) => void): () => void {
    return this.#inboxChanges.on(listener);
  }

  inbox(): readonly ReceivedItem[] {
    return this.#inbox;
  }

  /** A paired device's connection facts while it is online (for showing the path the bytes take). */
  session(deviceId: string): Session | undefined {
    const session = this.#sessions.get(deviceId);
    return session?.isOpen ? session : undefined;
  }

  // ---- actions ----

  async setName(name: string): Promise<void> {
    this.#profile = { ...this.#profile, name: cleanDeviceName(name, this.#options.defaultProfile.name) };
    await this.#state.saveProfile(this.#profile);
    for (const session of this.#sessions.values()) session.sendProfile(this.#profile);
    this.#changed();
  }

  /** Shows a new one-time pairing code; any earlier code stops working. */
  startPairing(companionUrl: string): PairingView {
    this.#offers.cancelAll();
    this.#cancelPairingExpiry();
    const offer = this.#offers.issue();
    const link = buildPairingLink(companionUrl, {
      peerId: this.#credentials.peerId,
      deviceId: this.#identity.deviceId,
      pairingId: offer.pairingId,
      secret: offer.secret,
      expiresAt: offer.expiresAt,
    });
    this.#pairing = { state: 'waiting', link, expiresAt: offer.expiresAt };
    this.#cancelPairingExpiry = this.#options.clock.setTimeout(
      () => {
        if (this.#pairing.state === 'waiting' && this.#pairing.link === link)
          this.#setPairing({ state: 'expired' });
      },
      Math.max(0, offer.expiresAt - this.#options.clock.now()),
    );
    this.#changed();
    return this.#pairing;
  }

  cancelPairing(): void {
    this.#offers.cancelAll();
    this.#cancelPairingExpiry();
    this.#setPairing({ state: 'idle' });
  }

  /** Companion side: completes pairing from a scanned link. Resolves with the newly paired device. */
  async pairWith(link: string): Promise<DeviceView> {
    const parsed = parsePairingInvite(link);
    if (!parsed.ok) throw new UserFacingError(parsed.error);
    const { invite } = parsed;
    if (invite.expiresAt <= this.#options.clock.now()) {
      throw new UserFacingError(
        'This pairing code has expired. Show a new code on the desktop and scan it again.',
      );
    }
    if (invite.deviceId === this.#identity.deviceId) {
      throw new UserFacingError('This is the pairing code of this very device. Scan it with another device.');
    }
    if (this.#pairings.length >= MAX_PAIRINGS && !this.#pairingOf(invite.deviceId)) {
      throw new UserFacingError(`This device already has ${MAX_PAIRINGS} paired devices. Unpair one first.`);
    }
    await this.#waitForServer();
    let transport: Transport;
    try {
      transport = await this.#network.connect(invite.peerId, CONNECT_TIMEOUT_MS);
    } catch (error) {
      throw new UserFacingError(
        error instanceof PeerUnavailableError
          ? 'The desktop that showed this code is not reachable. Keep the code open on the desktop and try again.'
          : `Could not connect to the desktop: ${messageOf(error)}`,
      );
    }
    const queue = new MessageQueue(transport);
    try {
      const result = await runHandshake({
        role: 'initiator',
        intent: { mode: 'pair', invite },
        crypto: this.#options.crypto,
        clock: this.#options.clock,
        self: this.#self(),
        fingerprints: await transport.fingerprints(),
        channel: channelOf(transport, queue),
      });
      const session = await this.#startSession(transport, queue, result);
      this.#notices.emit({
        kind: 'paired',
        deviceId: session.peer.deviceId,
        name: session.peer.profile.name,
      });
      return this.#deviceView(this.#pairingOf(session.peer.deviceId) ?? this.#pairingFrom(result));
    } catch (error) {
      queue.dispose();
      transport.close();
      if (error instanceof HandshakeError) {
        if (error.reason === 'bad-proof' || error.reason === 'wrong-device') {
          this.#notices.emit({ kind: 'verification-failed' });
        }
        throw new UserFacingError(describeHandshakeFailure(error));
      }
      throw error;
    }
  }

  /**
   * Sends an item now if the device can be reached (resolving once it has stored it), or else keeps it in
   * the outbox, which sends it by itself when the device comes online.
   */
  async sendItem(deviceId: string, item: Item): Promise<SendOutcome> {
    const device = this.#sendableDevice(deviceId);
    let session: Session;
    try {
      session = await this.#ensureSession(device);
    } catch (error) {
      await this.#transfers.queueItem(deviceId, item);
      return { queued: true, reason: this.#offlineMessage(device, error) };
    }
    try {
      await session.sendItem(item);
      return { delivered: true };
    } catch (error) {
      if (!session.isOpen) {
        await this.#transfers.queueItem(deviceId, item);
        return { queued: true, reason: `${device.name} went offline while sending.` };
      }
      throw new UserFacingError(
        error instanceof DeliveryError
          ? `${device.name}: ${error.message}`
          : `Could not send to ${device.name}.`,
      );
    }
  }

  /** Queues files for a device; they go out at once if it is online, else when it connects. */
  async sendFiles(deviceId: string, files: readonly FileToSend[]): Promise<string> {
    this.#sendableDevice(deviceId);
    if (files.length === 0) throw new UserFacingError('Choose at least one file to send.');
    const entry = await this.#transfers.queueFiles(deviceId, files);
    const device = this.#pairingOf(deviceId);
    if (device && !this.#sessions.has(deviceId)) this.#tryConnect(device);
    return entry.id;
  }

  acceptTransfer(transferId: string): Promise<void> {
    return this.#transfers.accept(transferId);
  }

  declineTransfer(transferId: string): void {
    this.#transfers.decline(transferId);
  }

  cancelTransfer(transferId: string): Promise<void> {
    return this.#transfers.cancel(transferId);
  }

  async setAutoAccept(deviceId: string, autoAccept: boolean): Promise<void> {
    await this.#updatePairing(deviceId, { autoAccept });
  }

  #sendableDevice(deviceId: string): PairedDevice {
    const device = this.#pairingOf(deviceId);
    if (!device) throw new UserFacingError('That device is not paired with this one.');
    if (device.revoked) {
      throw new UserFacingError(`${device.name} no longer has this device paired. Pair them again to send.`);
    }
    return device;
  }

  /** Forgets a device. It is told if it is online; either way it can no longer connect as paired. */
  async unpair(deviceId: string): Promise<void> {
    const session = this.#sessions.get(deviceId);
    if (session) {
      session.sendUnpair();
      this.#sessions.delete(deviceId);
      session.close();
    }
    await this.#forget(deviceId);
  }

  async removeInboxItem(id: string): Promise<void> {
    this.#inbox = this.#inbox.filter((entry) => entry.id !== id);
    await this.#state.saveInbox(this.#inbox);
    this.#inboxChanges.emit(this.#inbox);
    this.#changed();
  }

  /** Drops the signalling connection and opens a new one, e.g. after the server address changed. */
  reconnectNetwork(): void {
    this.#detachNetwork();
    this.#attachNetwork();
    this.#changed();
  }

  close(): void {
    this.#closed = true;
    this.#cancelPairingExpiry();
    for (const cancel of this.#retries.values()) cancel();
    this.#retries.clear();
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
    this.#detachNetwork();
  }

  // ---- signalling ----

  #attachNetwork(): void {
    const network = this.#options.createNetwork(this.#credentials);
    this.#network = network;
    this.#networkSubscriptions = [
      network.onStatus((status) => {
        if (status === 'online') this.#connectAll();
        this.#changed();
      }),
      network.onIncoming((transport) => void this.#answer(transport)),
      network.onIdRejected(() => void this.#renewCredentials()),
    ];
    if (network.status === 'online') this.#connectAll();
  }

  #detachNetwork(): void {
    for (const unsubscribe of this.#networkSubscriptions) unsubscribe();
    this.#networkSubscriptions = [];
    this.#network.close();
  }

  /** Someone else holds our signalling id: take a fresh one. Paired devices learn it on the next session. */
  async #renewCredentials(): Promise<void> {
    this.#credentials = newCredentials(this.#options.crypto);
    await this.#state.saveSignalling(this.#credentials);
    if (!this.#closed) this.reconnectNetwork();
  }

  #waitForServer(): Promise<void> {
    if (this.#network.status === 'online') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stop = this.#options.clock.setTimeout(() => {
        unsubscribe();
        reject(new UserFacingError(this.#serverUnreachable()));
      }, CONNECT_TIMEOUT_MS);
      const unsubscribe = this.#snapshots.on((snapshot) => {
        if (snapshot.server !== 'online') return;
        stop();
        unsubscribe();
        resolve();
      });
    });
  }

  #serverUnreachable(): string {
    return `Cannot reach the DirectDrop server${this.#network.problem ? ` (${this.#network.problem})` : ''}.`;
  }

  // ---- connections ----

  #connectAll(): void {
    for (const device of this.#pairings) {
      if (!device.revoked && !this.#sessions.has(device.deviceId)) this.#tryConnect(device);
    }
  }

  #tryConnect(device: PairedDevice): void {
    this.#ensureSession(device).catch((error: unknown) => {
      this.#log(`could not reach ${device.name}: ${messageOf(error)}`);
      this.#scheduleRetry(device.deviceId);
    });
  }

  #scheduleRetry(deviceId: string): void {
    if (this.#closed || this.#retries.has(deviceId)) return;
    const attempt = (this.#failureCount.get(deviceId) ?? 0) + 1;
    this.#failureCount.set(deviceId, attempt);
    const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1] ?? 60_000;
    const cancel = this.#options.clock.setTimeout(() => {
      this.#retries.delete(deviceId);
      const device = this.#pairingOf(deviceId);
      if (device && !device.revoked && !this.#sessions.has(deviceId) && this.#network.status === 'online') {
        this.#tryConnect(device);
      }
    }, delay);
    this.#retries.set(deviceId, cancel);
  }

  #ensureSession(device: PairedDevice): Promise<Session> {
    const existing = this.#sessions.get(device.deviceId);
    if (existing?.isOpen) return Promise.resolve(existing);
    const dialing = this.#dialing.get(device.deviceId);
    if (dialing) return dialing;
    if (this.#answering.has(device.deviceId))
      return this.#waitForSession(device.deviceId, CONNECT_TIMEOUT_MS);
    const attempt = this.#dial(device).finally(() => {
      this.#dialing.delete(device.deviceId);
      this.#changed();
    });
    this.#dialing.set(device.deviceId, attempt);
    this.#changed();
    return attempt;
  }

  async #dial(device: PairedDevice): Promise<Session> {
    if (this.#network.status !== 'online') throw new UserFacingError(this.#serverUnreachable());
    const transport = await this.#network.connect(device.peerId, CONNECT_TIMEOUT_MS);
    const queue = new MessageQueue(transport);
    try {
      const result = await runHandshake({
        role: 'initiator',
        intent: { mode: 'session', peer: { deviceId: device.deviceId, publicKey: publicKeyOf(device) } },
        crypto: this.#options.crypto,
        clock: this.#options.clock,
        self: this.#self(),
        fingerprints: await transport.fingerprints(),
        channel: channelOf(transport, queue),
      });
      return await this.#startSession(transport, queue, result);
    } catch (error) {
      queue.dispose();
      transport.close();
      if (error instanceof HandshakeError) {
        if (error.reason === 'duplicate' && error.byRemote) {
          return this.#waitForSession(device.deviceId, DUPLICATE_WAIT_MS);
        }
        this.#handshakeFailed(device.deviceId, error);
      }
      throw error;
    }
  }

  async #answer(transport: Transport): Promise<void> {
    const queue = new MessageQueue(transport);
    let answeringFor: string | undefined;
    let pairingAttempt = false;
    try {
      const result = await runHandshake({
        role: 'responder',
        policy: {
          pinnedKey: (deviceId) => {
            const device = this.#pairingOf(deviceId);
            return device ? publicKeyOf(device) : undefined;
          },
          takeOffer: (pairingId) => {
            pairingAttempt = true;
            return this.#offers.take(pairingId);
          },
          admit: (hello) => this.#admit(hello, (id) => (answeringFor = id)),
        },
        crypto: this.#options.crypto,
        clock: this.#options.clock,
        self: this.#self(),
        fingerprints: await transport.fingerprints(),
        channel: channelOf(transport, queue),
      });
      const session = await this.#startSession(transport, queue, result);
      if (result.mode === 'pair') {
        this.#cancelPairingExpiry();
        this.#setPairing({
          state: 'paired',
          deviceId: session.peer.deviceId,
          name: session.peer.profile.name,
        });
        this.#notices.emit({
          kind: 'paired',
          deviceId: session.peer.deviceId,
          name: session.peer.profile.name,
        });
      }
    } catch (error) {
      queue.dispose();
      transport.close();
      if (!(error instanceof HandshakeError)) {
        this.#log(`incoming connection failed: ${messageOf(error)}`);
        return;
      }
      this.#log(`refused an incoming connection: ${error.reason}${error.byRemote ? ' (by the peer)' : ''}`);
      if (pairingAttempt) this.#setPairing({ state: 'failed', error: describeHandshakeFailure(error) });
      if (answeringFor) this.#handshakeFailed(answeringFor, error);
      else if (error.reason === 'bad-proof') this.#notices.emit({ kind: 'verification-failed' });
    } finally {
      if (answeringFor) this.#answering.delete(answeringFor);
    }
  }

  /**
   * Settles two devices dialling each other at the same moment: both keep the connection opened by the
   * device with the smaller id, so they agree without talking. A device dialling us while we think a
   * session is still up wins too: it has evidently lost that session.
   */
  #admit(hello: HelloMessage, markAnswering: (deviceId: string) => void) {
    const remote = hello.device.id;
    if (this.#dialing.has(remote) && this.#identity.deviceId < remote) return 'duplicate' as const;
    this.#answering.add(remote);
    markAnswering(remote);
    this.#changed();
    return undefined;
  }

  #handshakeFailed(deviceId: string, error: HandshakeError): void {
    const device = this.#pairingOf(deviceId);
    if (error.reason === 'not-paired' && error.byRemote && device) {
      void this.#updatePairing(deviceId, { revoked: true });
    }
    if (error.reason === 'bad-proof' || error.reason === 'wrong-device') {
      this.#problems.set(deviceId, VERIFICATION_FAILED);
      this.#notices.emit({ kind: 'verification-failed', ...(device ? { name: device.name } : {}) });
    }
    this.#changed();
  }

  #waitForSession(deviceId: string, timeoutMs: number): Promise<Session> {
    return new Promise((resolve, reject) => {
      const waiters = this.#sessionWaiters.get(deviceId) ?? new Set();
      this.#sessionWaiters.set(deviceId, waiters);
      const done = (session: Session) => {
        cancel();
        resolve(session);
      };
      const cancel = this.#options.clock.setTimeout(() => {
        waiters.delete(done);
        reject(new UserFacingError('The other device did not finish connecting.'));
      }, timeoutMs);
      waiters.add(done);
    });
  }

  async #startSession(transport: Transport, queue: MessageQueue, result: HandshakeSuccess): Promise<Session> {
    const { peer } = result;
    const now = this.#options.clock.now();
    if (result.mode === 'pair') {
      const known = this.#pairingOf(peer.deviceId);
      if (!known && this.#pairings.length >= MAX_PAIRINGS) {
        throw new HandshakeError('protocol', false, 'too many paired devices');
      }
      this.#pairings = [
        ...this.#pairings.filter((p) => p.deviceId !== peer.deviceId),
        this.#pairingFrom(result),
      ];
      await this.#state.savePairings(this.#pairings);
    } else {
      await this.#updatePairing(peer.deviceId, {
        peerId: peer.peerId,
        name: peer.profile.name,
        type: peer.profile.type,
        lastSeenAt: now,
        revoked: false,
      });
    }
    const session: Session = new Session({
      transport,
      queue,
      peer,
      transcript: result.transcript,
      clock: this.#options.clock,
      newId: () => toBase64Url(this.#options.crypto.randomBytes(12)),
      handlers: {
        onItem: (id, sentAt, item) => this.#receiveItem(session, id, sentAt, item),
        onProfile: (profile) =>
          void this.#updatePairing(peer.deviceId, {
            name: cleanDeviceName(profile.name),
            type: profile.type,
          }),
        onUnpair: () => void this.#unpairedByPeer(session),
        onTransferMessage: (message) => this.#transfers.handleMessage(peer.deviceId, session, message),
        onData: (frame) => this.#transfers.handleData(peer.deviceId, session, frame),
        onBadFrame: (error) => this.#log(`ignored a bad frame from a paired device: ${error}`),
        onClose: () => this.#sessionClosed(session),
      },
    });
    const previous = this.#sessions.get(peer.deviceId);
    this.#log(
      `session with ${peer.profile.name} open (${result.role}${previous ? ', replacing an older one' : ''})`,
    );
    this.#sessions.set(peer.deviceId, session);
    previous?.close();
    this.#problems.delete(peer.deviceId);
    this.#failureCount.delete(peer.deviceId);
    this.#retries.get(peer.deviceId)?.();
    this.#retries.delete(peer.deviceId);
    const waiters = this.#sessionWaiters.get(peer.deviceId);
    this.#sessionWaiters.delete(peer.deviceId);
    session.start();
    for (const resolve of waiters ?? []) resolve(session);
    this.#changed();
    void transport.path().then((path) => {
      if (this.#sessions.get(peer.deviceId) !== session) return;
      this.#paths.set(peer.deviceId, path);
      this.#changed();
    });
    this.#transfers.sessionStarted(peer.deviceId);
    return session;
  }

  #sessionClosed(session: Session): void {
    const deviceId = session.peer.deviceId;
    if (this.#sessions.get(deviceId) !== session) return;
    this.#log(`session with ${session.peer.profile.name} closed: ${session.closeReason}`);
    this.#sessions.delete(deviceId);
    this.#paths.delete(deviceId);
    this.#transfers.sessionEnded(deviceId);
    void this.#updatePairing(deviceId, { lastSeenAt: this.#options.clock.now() });
    if (!this.#closed && this.#pairingOf(deviceId)) this.#scheduleRetry(deviceId);
    this.#changed();
  }

  async #receiveItem(session: Session, id: string, sentAt: number, item: Item): Promise<void> {
    const from = session.peer.deviceId;
    if (this.#inbox.some((entry) => entry.id === id && entry.fromDeviceId === from)) return;
    const device = this.#pairingOf(from);
    const received: ReceivedItem = {
      id,
      fromDeviceId: from,
      fromName: device?.name ?? session.peer.profile.name,
      sentAt,
      receivedAt: this.#options.clock.now(),
      item,
    };
    this.#inbox = [received, ...this.#inbox].slice(0, MAX_INBOX);
    await this.#state.saveInbox(this.#inbox);
    this.#inboxChanges.emit(this.#inbox);
    this.#notices.emit({ kind: 'item-received', item: received });
    this.#changed();
  }

  async #receiveFile(fromDeviceId: string, file: StoredFile): Promise<void> {
    const device = this.#pairingOf(fromDeviceId);
    const received: ReceivedItem = {
      id: `${file.transferId}-${file.file}`,
      fromDeviceId,
      fromName: device?.name ?? 'a removed device',
      sentAt: this.#options.clock.now(),
      receivedAt: this.#options.clock.now(),
      item: { kind: 'file', ...file },
    };
    this.#inbox = [received, ...this.#inbox.filter((e) => e.id !== received.id)].slice(0, MAX_INBOX);
    await this.#state.saveInbox(this.#inbox);
    this.#inboxChanges.emit(this.#inbox);
    this.#notices.emit({ kind: 'item-received', item: received });
    this.#changed();
  }

  async #unpairedByPeer(session: Session): Promise<void> {
    const { deviceId } = session.peer;
    const name = this.#pairingOf(deviceId)?.name ?? session.peer.profile.name;
    this.#sessions.delete(deviceId);
    session.close();
    await this.#forget(deviceId);
    this.#notices.emit({ kind: 'unpaired-by-peer', deviceId, name });
  }

  async #forget(deviceId: string): Promise<void> {
    await this.#transfers.forgetDevice(deviceId);
    this.#retries.get(deviceId)?.();
    this.#retries.delete(deviceId);
    this.#problems.delete(deviceId);
    this.#failureCount.delete(deviceId);
    this.#pairings = this.#pairings.filter((p) => p.deviceId !== deviceId);
    await this.#state.savePairings(this.#pairings);
    this.#changed();
  }

  // ---- state ----

  #self() {
    return { identity: this.#identity, profile: this.#profile, peerId: this.#credentials.peerId };
  }

  #pairingOf(deviceId: string): PairedDevice | undefined {
    return this.#pairings.find((p) => p.deviceId === deviceId);
  }

  #pairingFrom(result: HandshakeSuccess): PairedDevice {
    const { peer } = result;
    const now = this.#options.clock.now();
    return {
      deviceId: peer.deviceId,
      publicKey: toBase64Url(peer.publicKey),
      name: peer.profile.name,
      type: peer.profile.type,
      peerId: peer.peerId,
      pairedAt: now,
      lastSeenAt: now,
    };
  }

  async #updatePairing(deviceId: string, changes: Partial<PairedDevice>): Promise<void> {
    if (!this.#pairingOf(deviceId)) return;
    this.#pairings = this.#pairings.map((p) => (p.deviceId === deviceId ? { ...p, ...changes } : p));
    await this.#state.savePairings(this.#pairings);
    this.#changed();
  }

  #deviceView(device: PairedDevice): DeviceView {
    const problem = this.#problems.get(device.deviceId);
    return {
      deviceId: device.deviceId,
      name: device.name,
      type: device.type,
      status: this.#statusOf(device),
      autoAccept: device.autoAccept !== false,
      pairedAt: device.pairedAt,
      ...(device.lastSeenAt !== undefined ? { lastSeenAt: device.lastSeenAt } : {}),
      ...(problem ? { problem } : {}),
    };
  }

  #statusOf(device: PairedDevice): DeviceStatus {
    if (device.revoked) return 'unpaired';
    if (this.#sessions.get(device.deviceId)?.isOpen) return 'online';
    if (this.#dialing.has(device.deviceId) || this.#answering.has(device.deviceId)) return 'connecting';
    return 'offline';
  }

  #offlineMessage(device: PairedDevice, error: unknown): string {
    if (this.#network.status !== 'online') {
      return `${device.name} can't be reached: this device is not connected to the DirectDrop server.`;
    }
    if (error instanceof PeerUnavailableError) {
      return `${device.name} is offline.`;
    }
    if (error instanceof HandshakeError) return `${device.name}: ${describeHandshakeFailure(error)}`;
    if (error instanceof UserFacingError) return `${device.name}: ${error.message}`;
    return `${device.name} is offline or unreachable (${messageOf(error)}).`;
  }

  #setPairing(view: PairingView): void {
    this.#pairing = view;
    this.#changed();
  }

  /**
   * Tells hosts the state changed. Progress (urgent = false) is throttled to a few updates a second so a
   * fast transfer does not flood the UI; anything else goes out at once.
   */
  #changed(urgent = true): void {
    if (this.#closed) return;
    const now = this.#options.clock.now();
    if (!urgent && now - this.#lastEmit < SNAPSHOT_INTERVAL_MS) {
      this.#cancelTrailingEmit ??= this.#options.clock.setTimeout(() => {
        this.#cancelTrailingEmit = undefined;
        this.#changed();
      }, SNAPSHOT_INTERVAL_MS);
      return;
    }
    this.#cancelTrailingEmit?.();
    this.#cancelTrailingEmit = undefined;
    this.#lastEmit = now;
    this.#snapshots.emit(this.snapshot());
  }

  #log(message: string): void {
    this.#options.log?.(message);
  }
}

function newCredentials(crypto: CryptoEnv): SignallingCredentials {
  return { peerId: toHex(crypto.randomBytes(16)), token: toHex(crypto.randomBytes(16)) };
}

function publicKeyOf(device: PairedDevice): Uint8Array {
  const key = fromBase64Url(device.publicKey);
  if (!key) throw new Error('a stored pairing key is damaged');
  return key;
}

function channelOf(transport: Transport, queue: MessageQueue) {
  return { send: (text: string) => transport.send(text), next: () => queue.next() };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
