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
import type { PresenceChannel, PresencePeer } from '../presence/presence-channel';
import { nextRoomChangeAt, roomDaysAt, roomIdFor, roomKeyFromTranscript } from '../presence/rooms';
import type { AppBuild } from '../protocol/app-build';
import { cleanDeviceName, type DeviceProfile } from '../protocol/device';
import type { HelloMessage, Item } from '../protocol/messages';
import { AnswerBudget } from '../session/answer-budget';
import { describeHandshakeFailure, VERIFICATION_FAILED } from '../session/failure-messages';
import { HandshakeError, type HandshakeSuccess, runHandshake } from '../session/handshake';
import { closeAfterHandshakeFailure } from '../session/last-word';
import { MessageQueue } from '../session/message-queue';
import { verificationCode } from '../session/verification-code';
import type { StoredFile } from '../transfer/file-io';
import {
  type ConnectionPath,
  type NetworkStatus,
  type PeerNetwork,
  PeerUnavailableError,
  type Transport,
} from '../transport';
import type { KeyValueStore } from './key-value-store';
import {
  type NearbyPairingStep,
  type NearbyView,
  nearbyViews,
  type UnpairedSessionInfo,
} from './nearby-view';
import { DeliveryError, Session } from './session';
import {
  EngineStateStore,
  type PairedDevice,
  type PresenceSettings,
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
  /** The companion build the device reported in its open session (companion apps only). */
  appBuild?: AppBuild;
}

export type PairingView =
  | { state: 'idle' }
  | { state: 'waiting'; link: string; expiresAt: number }
  | { state: 'expired' }
  | { state: 'paired'; deviceId: string; name: string }
  /** `codeUsed`: an attempt with the code failed, and spent it (a code works once, whatever the outcome). */
  | { state: 'failed'; error: string; codeUsed?: true };

export interface EngineSnapshot {
  self: {
    deviceId: string;
    name: string;
    type: DeviceProfile['type'];
    avatar: string;
    /** Shown to nearby devices (and taking connections from them). */
    visible: boolean;
  };
  server: NetworkStatus;
  serverProblem?: string;
  devices: DeviceView[];
  /** Devices on the same network that are not paired with this one. */
  nearby: NearbyView[];
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
  | { kind: 'pair-requested'; deviceId: string; name: string; verificationCode: string }
  | { kind: 'unpaired-by-peer'; deviceId: string; name: string }
  | { kind: 'verification-failed'; name?: string };

export interface EngineOptions {
  crypto: CryptoEnv;
  clock: Clock;
  store: KeyValueStore;
  defaultProfile: DeviceProfile;
  createNetwork(credentials: SignallingCredentials): PeerNetwork;
  /** The presence service (nearby devices, rooms of paired devices); without it only paired devices exist. */
  createPresence?(): PresenceChannel;
  /** File storage and hashing; without it the device sends and receives items only. */
  files?: FileEnv;
  log?(message: string): void;
}

/** A send or pairing that could not happen, with a message meant for the user. */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
}

/**
 * Paired devices per device. Each pairing has a room, two around midnight (rooms.ts), and the presence
 * service takes at most 64 rooms per announce.
 */
export const MAX_PAIRINGS = 32;

class PairingLimitError extends UserFacingError {
  constructor() {
    super(`This device already has ${MAX_PAIRINGS} paired devices. Unpair one first.`);
  }
}

export const CONNECT_TIMEOUT_MS = 15_000;
/** A send answers within this: delivered, or queued with the reason. */
export const SEND_FEEDBACK_MS = 1_000;
/** How long a channel to a device that left the presence service has to answer a ping. */
const PROBE_MS = 2_000;
const MAX_INBOX = 100;
/** Waiting for a simultaneous connection from the other side to finish. */
const DUPLICATE_WAIT_MS = 10_000;
const RETRY_DELAYS_MS = [3_000, 10_000, 30_000, 60_000];
const SNAPSHOT_INTERVAL_MS = 250;
/**
 * Item ids remembered to drop a re-sent item (its acknowledgement was lost) even after the inbox, which
 * keeps only the newest items, has moved on; far more than a sender has unacknowledged at once.
 */
const MAX_SEEN_ITEMS = 2_000;
/** Open sessions with devices that are not paired; beyond this the oldest idle one is closed. */
const MAX_UNPAIRED_SESSIONS = 8;

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
  /** The companion address the showing code was made for; a new network makes the code again. */
  #pairingCompanionUrl = '';

  readonly #sessions = new Map<string, Session>();
  readonly #dialing = new Map<string, Promise<Session>>();
  /** Devices whose incoming handshake is under way, so we do not dial them at the same time. */
  readonly #answering = new Set<string>();
  readonly #sessionWaiters = new Map<string, Set<SessionWaiter>>();
  readonly #retries = new Map<string, () => void>();
  readonly #problems = new Map<string, string>();
  readonly #paths = new Map<string, ConnectionPath>();
  #transfers!: TransferCenter;
  #lastEmit = 0;
  #cancelTrailingEmit: (() => void) | undefined;
  readonly #failureCount = new Map<string, number>();
  #closed = false;

  #presenceSettings: PresenceSettings;
  #presence: PresenceChannel | undefined;
  #presenceSubscriptions: Array<() => void> = [];
  #nearbyPeers: readonly PresencePeer[] = [];
  /** Open sessions with devices that are not paired, by device id. */
  readonly #unpaired = new Map<string, UnpairedSessionInfo>();
  readonly #nearbyDialing = new Map<string, Promise<Session>>();
  readonly #nearbyProblems = new Map<string, string>();
  /** Each nearby handshake answered is one guess at a verification code for the dialler: rationed. */
  readonly #nearbyAnswers: AnswerBudget;
  /** Room id -> paired device id, for the rooms announced last. */
  #rooms = new Map<string, string>();
  /** Room id -> the other members the presence service last named, for the rooms announced last. */
  #roomMembers = new Map<string, readonly string[]>();
  /** Announces again when the day's room ids change (rooms.ts). */
  #cancelRoomChange: () => void = () => {};
  /** Paired device id -> whether the presence service last showed it in our shared room. */
  readonly #roomPresence = new Map<string, boolean>();
  #announceRun = 0;
  #seenItems: string[] = [];
  /** Items being written to storage, by "<device id>/<item id>": a copy arriving meanwhile waits. */
  readonly #storingItems = new Map<string, Promise<void>>();
  /** The companion build this device runs, told to every session (only the companion app sets it). */
  #appBuild: AppBuild | undefined;

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
    presenceSettings: PresenceSettings,
  ) {
    this.#presenceSettings = presenceSettings;
    this.#options = options;
    this.#nearbyAnswers = new AnswerBudget(options.clock);
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
    let presenceSettings = await state.loadPresence();
    if (!presenceSettings) {
      presenceSettings = { visible: true, avatar: toBase64Url(options.crypto.randomBytes(9)) };
      await state.savePresence(presenceSettings);
    }
    const engine = new Engine(
      options,
      state,
      identity,
      profile,
      credentials,
      await state.loadPairings(),
      await state.loadInbox(),
      presenceSettings,
    );
    engine.#transfers = new TransferCenter(options.files, options.store, options.clock, options.crypto, {
      sessionFor: (deviceId) => engine.session(deviceId),
      deviceName: (deviceId) => engine.#nameOf(deviceId),
      // Only paired devices may skip the question; a nearby device always needs the user's accept.
      autoAccept: (deviceId) => {
        const device = engine.#pairingOf(deviceId);
        return !!device && !device.revoked && device.autoAccept !== false;
      },
      pathOf: (deviceId) => engine.#paths.get(deviceId),
      changed: (urgent) => engine.#changed(urgent),
      offered: (transfer) => engine.#notices.emit({ kind: 'transfer-offered', transfer }),
      fileReceived: (from, file) => engine.#receiveFile(from, file),
      transferFinished: (transfer) => engine.#notices.emit({ kind: 'transfer-finished', transfer }),
    });
    await engine.#transfers.load();
    engine.#seenItems = await state.loadSeenItems();
    engine.#attachNetwork();
    engine.#attachPresence();
    return engine;
  }

  // ---- what hosts read and subscribe to ----

  snapshot(): EngineSnapshot {
    const problem = this.#network.problem;
    return {
      self: {
        deviceId: this.#identity.deviceId,
        name: this.#profile.name,
        type: this.#profile.type,
        avatar: this.#presenceSettings.avatar,
        visible: this.#presenceSettings.visible,
      },
      server: this.#network.status,
      ...(problem ? { serverProblem: problem } : {}),
      devices: this.#pairings.map((p) => this.#deviceView(p)),
      nearby: nearbyViews(
        this.#nearbyPeers,
        [...this.#unpaired.values()],
        new Set(this.#nearbyDialing.keys()),
        this.#nearbyProblems,
        (peerId) => this.#pairings.some((p) => p.peerId === peerId),
      ),
      pairing: this.#pairing,
      inboxSize: this.#inbox.length,
      transfers: this.#transfers.views().map((view) => {
        const unpaired = this.#unpaired.get(view.deviceId);
        return unpaired ? { ...view, verificationCode: unpaired.verificationCode } : view;
      }),
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
    this.#announce();
    this.#changed();
  }

  /** Which companion build this device runs; sent to every open session and each one that opens. */
  setAppBuild(build: AppBuild): void {
    this.#appBuild = build;
    for (const session of this.#sessions.values()) session.sendAppBuild(build);
  }

  /** Shows or hides this device to nearby devices; hidden, only paired devices can reach it. */
  async setVisible(visible: boolean): Promise<void> {
    this.#presenceSettings = { ...this.#presenceSettings, visible };
    await this.#state.savePresence(this.#presenceSettings);
    if (!visible) for (const info of [...this.#unpaired.values()]) this.#sessions.get(info.deviceId)?.close();
    this.#announce();
    this.#changed();
  }

  /** Shows a new one-time pairing code; any earlier code stops working. */
  startPairing(companionUrl: string): PairingView {
    this.#offers.cancelAll();
    this.#cancelPairingExpiry();
    if (this.#pairings.length >= MAX_PAIRINGS) {
      this.#setPairing({ state: 'failed', error: new PairingLimitError().message });
      return this.#pairing;
    }
    this.#pairingCompanionUrl = companionUrl;
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
      return this.#deviceView(this.#pairingOf(session.peer.deviceId) ?? (await this.#pairingFrom(result)));
    } catch (error) {
      queue.dispose();
      closeAfterHandshakeFailure(transport, error, this.#options.clock);
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
   * the outbox, which sends it by itself when the device comes online. The answer comes within a second:
   * a device that does not confirm by then (it may have just gone away, and a dial to a vanished device
   * takes the server seconds to give up on) gets the item queued while the attempt goes on.
   */
  async sendItem(deviceId: string, item: Item): Promise<SendOutcome> {
    const device = this.#sendableDevice(deviceId);
    // One id for every copy of this item, sent now or later from the outbox: the receiver stores it once.
    const id = this.#transfers.newId();
    const attempt = this.#sendNow(device, id, item);
    const away = !this.#sessions.get(deviceId)?.isOpen && this.#isAway(deviceId);
    const result = await this.#within(away ? 0 : SEND_FEEDBACK_MS, attempt);
    if (result === 'delivered') return { delivered: true };
    await this.#transfers.queueItem(deviceId, item, id);
    if (result === 'late') {
      // The queued copy and the attempt share the id: whichever is acknowledged settles the entry.
      attempt.catch(() => {});
      return { queued: true, reason: this.#waitingReason(device) };
    }
    return { queued: true, reason: result.reason };
  }

  /** Resolves with what `attempt` gave, or "late" when it has not finished within `ms`. */
  #within<T>(ms: number, attempt: Promise<T>): Promise<T | 'late'> {
    return new Promise((resolve, reject) => {
      const cancel = this.#options.clock.setTimeout(() => resolve('late'), ms);
      attempt.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  /** One direct attempt: delivered, or why it could not be (the item then belongs in the outbox). */
  async #sendNow(device: PairedDevice, id: string, item: Item): Promise<'delivered' | { reason: string }> {
    let session: Session;
    try {
      session = await this.#ensureSession(device);
    } catch (error) {
      this.#scheduleRetry(device.deviceId);
      return { reason: this.#offlineMessage(device, error) };
    }
    try {
      await session.sendItem(id, item);
      return 'delivered';
    } catch (error) {
      if (!session.isOpen) return { reason: `${device.name} went offline while sending.` };
      throw new UserFacingError(
        error instanceof DeliveryError
          ? `${device.name}: ${error.message}`
          : `Could not send to ${device.name}.`,
      );
    }
  }

  /** Why an item waits: what this device knows of the other's whereabouts. */
  #waitingReason(device: PairedDevice): string {
    if (this.#network.status !== 'online') return this.#offlineMessage(device, undefined);
    if (this.#isAway(device.deviceId)) return `${device.name} is offline.`;
    // The last connection failed verification and none has succeeded since: that is why it waits.
    const problem = this.#problems.get(device.deviceId);
    if (problem) return `${device.name}: ${problem}`;
    return `${device.name} is not answering yet.`;
  }

  /** The presence service says the device is not on the server (its room has no one else in it). */
  #isAway(deviceId: string): boolean {
    return this.#network.status !== 'online' || this.#roomPresence.get(deviceId) === false;
  }

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

  // ---- nearby devices ----

  /**
   * Sends files to a nearby device that is not paired: connects (the other side must be visible), then
   * offers them; the receiver always has to accept. Resolves with the transfer id once offered.
   */
  async sendFilesNearby(peerId: string, files: readonly FileToSend[]): Promise<string> {
    if (files.length === 0) throw new UserFacingError('Choose at least one file to send.');
    const session = await this.connectNearby(peerId);
    const entry = await this.#transfers.queueFiles(session.peer.deviceId, files);
    return entry.id;
  }

  /** Opens (or reuses) a verified but unpaired session with a nearby device, e.g. to compare codes. */
  connectNearby(peerId: string): Promise<Session> {
    const open = [...this.#unpaired.values()].find((info) => info.peerId === peerId);
    const existing = open && this.#sessions.get(open.deviceId);
    if (existing?.isOpen) return Promise.resolve(existing);
    const paired = this.#pairings.find((p) => p.peerId === peerId && !p.revoked);
    if (paired) return this.#ensureSession(paired);
    const dialing = this.#nearbyDialing.get(peerId);
    if (dialing) return dialing;
    const attempt = this.#dialNearby(peerId).finally(() => {
      this.#nearbyDialing.delete(peerId);
      this.#changed();
    });
    this.#nearbyDialing.set(peerId, attempt);
    this.#nearbyProblems.delete(peerId);
    this.#changed();
    return attempt;
  }

  /**
   * Asks a nearby device to pair, or, when it asked first, confirms. Call it only after the user saw that
   * both screens show the same verification code: that comparison is what rules out anyone in the middle.
   */
  requestPairing(deviceId: string): void {
    const info = this.#unpaired.get(deviceId);
    const session = this.#sessions.get(deviceId);
    if (!info || !session?.isOpen) throw new UserFacingError('That device is no longer connected.');
    // Checked before either step so the user hears it now; #addPairing enforces it whatever the path.
    if (this.#pairings.length >= MAX_PAIRINGS) throw new PairingLimitError();
    if (info.pairing === 'asked') {
      session.sendPairing('confirm');
      void this.#pairFromNearby(session);
      return;
    }
    session.sendPairing('request');
    this.#unpaired.set(deviceId, { ...info, pairing: 'requested' });
    this.#changed();
  }

  /** Declines a nearby device's request to pair (or withdraws our own). */
  declinePairing(deviceId: string): void {
    const info = this.#unpaired.get(deviceId);
    if (!info?.pairing) return;
    const { pairing: _, ...rest } = info;
    this.#unpaired.set(deviceId, rest);
    try {
      this.#sessions.get(deviceId)?.sendPairing('decline');
    } catch {
      // Gone already: nothing to tell.
    }
    this.#changed();
  }

  async #dialNearby(peerId: string): Promise<Session> {
    if (this.#network.status !== 'online') throw new UserFacingError(this.#serverUnreachable());
    let transport: Transport;
    try {
      transport = await this.#network.connect(peerId, CONNECT_TIMEOUT_MS);
    } catch (error) {
      const message =
        error instanceof PeerUnavailableError
          ? 'That device has left the network.'
          : `Could not connect: ${messageOf(error)}`;
      this.#nearbyProblems.set(peerId, message);
      throw new UserFacingError(message);
    }
    const queue = new MessageQueue(transport);
    try {
      const result = await runHandshake({
        role: 'initiator',
        intent: { mode: 'nearby' },
        crypto: this.#options.crypto,
        clock: this.#options.clock,
        self: this.#self(),
        fingerprints: await transport.fingerprints(),
        channel: channelOf(transport, queue),
      });
      return await this.#startSession(transport, queue, result);
    } catch (error) {
      queue.dispose();
      closeAfterHandshakeFailure(transport, error, this.#options.clock);
      const message =
        error instanceof HandshakeError
          ? error.reason === 'not-paired'
            ? 'That device does not take connections from devices it is not paired with.'
            : describeHandshakeFailure(error)
          : messageOf(error);
      this.#nearbyProblems.set(peerId, message);
      throw new UserFacingError(message);
    }
  }

  #onPairingStep(session: Session, step: 'request' | 'confirm' | 'decline'): void {
    const deviceId = session.peer.deviceId;
    const info = this.#unpaired.get(deviceId);
    if (!info) {
      // Already paired: a late confirm from the other side needs nothing more.
      if (step !== 'confirm') session.reportBadFrame('a pairing request inside a paired session');
      return;
    }
    if (step === 'decline') {
      const { pairing: _, ...rest } = info;
      this.#unpaired.set(deviceId, rest);
      this.#changed();
      return;
    }
    if (step === 'confirm' || info.pairing === 'requested') {
      // A confirm only counts when we asked; two requests crossing are two confirmations.
      if (info.pairing !== 'requested') {
        session.reportBadFrame('a pairing confirmation nobody asked for');
        return;
      }
      if (step === 'request') session.sendPairing('confirm');
      void this.#pairFromNearby(session);
      return;
    }
    this.#unpaired.set(deviceId, { ...info, pairing: 'asked' as NearbyPairingStep });
    this.#notices.emit({
      kind: 'pair-requested',
      deviceId,
      name: info.name,
      verificationCode: info.verificationCode,
    });
    this.#changed();
  }

  /** Both users confirmed the code: the nearby session's keys become a pairing, as if from a QR code. */
  async #pairFromNearby(session: Session): Promise<void> {
    const deviceId = session.peer.deviceId;
    try {
      await this.#addPairing(await this.#pairingFrom(session));
    } catch (error) {
      if (!(error instanceof PairingLimitError)) throw error;
      // Another pairing took the last place meanwhile: this one stays a nearby session, and says why.
      const info = this.#unpaired.get(deviceId);
      if (info) {
        const { pairing: _, ...rest } = info;
        this.#unpaired.set(deviceId, rest);
      }
      this.#nearbyProblems.set(session.peer.peerId, error.message);
      if (session.isOpen) session.sendPairing('decline');
      this.#changed();
      return;
    }
    this.#unpaired.delete(deviceId);
    this.#notices.emit({ kind: 'paired', deviceId, name: session.peer.profile.name });
    this.#changed();
  }

  /** The one place a pairing is added, so its cap holds however the pairing was made (QR or nearby). */
  async #addPairing(record: PairedDevice): Promise<void> {
    if (!this.#pairingOf(record.deviceId) && this.#pairings.length >= MAX_PAIRINGS) {
      throw new PairingLimitError();
    }
    this.#pairings = [...this.#pairings.filter((p) => p.deviceId !== record.deviceId), record];
    if (this.#pairings.length >= MAX_PAIRINGS) {
      // A code shown before the last place was taken would otherwise let one more device in; refused in
      // the handshake, both sides hear it instead of one of them believing it paired.
      this.#offers.cancelAll();
      if (this.#pairing.state === 'waiting') {
        this.#cancelPairingExpiry();
        this.#setPairing({ state: 'failed', error: new PairingLimitError().message });
      }
    }
    await this.#state.savePairings(this.#pairings);
    this.#announce();
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
  /**
   * Connects afresh, to a server that may be another one now. A code that is showing names the old server
   * and signalling id, so a phone scanning it would reach nothing: it is replaced at once by a new code for
   * `companionUrl` (the new server's companion address; the same one when only the id changed).
   */
  reconnectNetwork(companionUrl = this.#pairingCompanionUrl): void {
    this.#detachNetwork();
    this.#detachPresence();
    this.#attachNetwork();
    this.#attachPresence();
    if (this.#pairing.state === 'waiting') this.startPairing(companionUrl);
    this.#changed();
  }

  close(): void {
    this.#closed = true;
    this.#cancelPairingExpiry();
    this.#cancelRoomChange();
    for (const cancel of this.#retries.values()) cancel();
    this.#retries.clear();
    for (const session of this.#sessions.values()) session.close();
    this.#sessions.clear();
    this.#detachNetwork();
    this.#detachPresence();
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

  /** Someone else holds our signalling id: take a fresh one. Paired devices learn it from our rooms. */
  async #renewCredentials(): Promise<void> {
    this.#credentials = newCredentials(this.#options.crypto);
    await this.#state.saveSignalling(this.#credentials);
    if (!this.#closed) this.reconnectNetwork();
  }

  // ---- presence ----

  #attachPresence(): void {
    const presence = this.#options.createPresence?.();
    if (!presence) return;
    this.#presence = presence;
    this.#presenceSubscriptions = [
      presence.onNearby((peers) => {
        this.#nearbyPeers = peers.filter((p) => p.peerId !== this.#credentials.peerId);
        this.#changed();
      }),
      presence.onRoom((room, peerIds) => this.#roomChanged(room, peerIds)),
    ];
    this.#announce();
  }

  #detachPresence(): void {
    for (const unsubscribe of this.#presenceSubscriptions) unsubscribe();
    this.#presenceSubscriptions = [];
    this.#presence?.close();
    this.#presence = undefined;
    this.#nearbyPeers = [];
  }

  /** Tells the presence service who we are now; rooms are recomputed because pairings may have changed. */
  #announce(): void {
    const presence = this.#presence;
    if (!presence || this.#closed) return;
    const run = ++this.#announceRun;
    const now = this.#options.clock.now();
    const days = roomDaysAt(now);
    this.#cancelRoomChange();
    this.#cancelRoomChange = this.#options.clock.setTimeout(
      () => this.#announce(),
      nextRoomChangeAt(now) - now,
    );
    const keyed = this.#pairings.filter((p) => p.roomKey && !p.revoked);
    void Promise.all(
      keyed.flatMap((p) => {
        const key = fromBase64Url(p.roomKey ?? '');
        if (!key) return [];
        return days.map(
          async (day) => [await roomIdFor(this.#options.crypto, key, day), p.deviceId] as const,
        );
      }),
    ).then((entries) => {
      if (run !== this.#announceRun || this.#presence !== presence) return;
      this.#rooms = new Map(entries);
      this.#roomMembers = new Map([...this.#roomMembers].filter(([room]) => this.#rooms.has(room)));
      const peerId = this.#credentials.peerId;
      const rooms = [...this.#rooms.keys()];
      presence.announce(
        this.#presenceSettings.visible
          ? {
              peerId,
              visible: true,
              name: this.#profile.name,
              deviceType: this.#profile.type,
              avatar: this.#presenceSettings.avatar,
              rooms,
            }
          : { peerId, visible: false, rooms },
      );
    });
  }

  /** A paired device is on the server under this id: remember it and connect now rather than at the next retry. */
  #roomChanged(room: string, peerIds: readonly string[]): void {
    const deviceId = this.#rooms.get(room);
    const device = deviceId ? this.#pairingOf(deviceId) : undefined;
    if (!device || device.revoked) return;
    this.#roomMembers.set(room, peerIds);
    // Around midnight a pair has two rooms, and the other device may be in only one of them yet: it is
    // on the server while either holds it.
    const peerId =
      peerIds[0] ??
      [...this.#rooms]
        .filter(([other, id]) => id === deviceId && other !== room)
        .map(([other]) => this.#roomMembers.get(other)?.[0])
        .find((id) => id !== undefined);
    this.#roomPresence.set(device.deviceId, peerId !== undefined);
    if (!peerId) {
      // It left the server, maybe for good (a closed tab): a channel it left behind is checked now rather
      // than found dead by the keepalive many seconds later, so sends meanwhile go to the outbox.
      this.#sessions.get(device.deviceId)?.probe(PROBE_MS);
      return;
    }
    if (device.peerId !== peerId) void this.#updatePairing(device.deviceId, { peerId });
    if (this.#sessions.get(device.deviceId)?.isOpen || this.#network.status !== 'online') return;
    this.#retries.get(device.deviceId)?.();
    this.#retries.delete(device.deviceId);
    this.#failureCount.delete(device.deviceId);
    this.#tryConnect({ ...device, peerId });
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
    const attempt: Promise<Session> = this.#dial(device).finally(() => {
      if (this.#dialing.get(device.deviceId) === attempt) this.#dialing.delete(device.deviceId);
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
      closeAfterHandshakeFailure(transport, error, this.#options.clock);
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
            const taken = this.#offers.take(pairingId);
            // Only an attempt with the live code concerns the panel; a stranger guessing ids does not.
            pairingAttempt = taken.ok;
            return taken;
          },
          acceptsNearby: () => this.#presenceSettings.visible,
          spendNearbyAnswer: () => this.#nearbyAnswers.take(),
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
      closeAfterHandshakeFailure(transport, error, this.#options.clock);
      if (!(error instanceof HandshakeError)) {
        this.#log(`incoming connection failed: ${messageOf(error)}`);
        return;
      }
      this.#log(`refused an incoming connection: ${error.reason}${error.byRemote ? ' (by the peer)' : ''}`);
      if (pairingAttempt) {
        this.#setPairing({ state: 'failed', error: describeHandshakeFailure(error), codeUsed: true });
        if (error.reason === 'bad-proof') this.#notices.emit({ kind: 'verification-failed' });
      }
      // A hello that fails its own checks before anything was at stake is noise, not an alarm.
      if (answeringFor) this.#handshakeFailed(answeringFor, error);
      // Whoever waited for this handshake (a send, a dial that gave way to it) hears why at once, in the
      // same words as the device's row, rather than a vague timeout many seconds later.
      if (answeringFor) this.#failWaiters(answeringFor, error);
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
      const waiter: SessionWaiter = {
        resolve: (session) => {
          cancel();
          resolve(session);
        },
        reject: (error) => {
          cancel();
          reject(error);
        },
      };
      const cancel = this.#options.clock.setTimeout(() => {
        waiters.delete(waiter);
        reject(new UserFacingError('The other device did not finish connecting.'));
      }, timeoutMs);
      waiters.add(waiter);
    });
  }

  #failWaiters(deviceId: string, error: unknown): void {
    const waiters = this.#sessionWaiters.get(deviceId);
    this.#sessionWaiters.delete(deviceId);
    for (const waiter of waiters ?? []) waiter.reject(error);
  }

  async #startSession(transport: Transport, queue: MessageQueue, result: HandshakeSuccess): Promise<Session> {
    const { peer } = result;
    const now = this.#options.clock.now();
    const paired = this.#pairingOf(peer.deviceId);
    if (result.mode === 'pair') {
      try {
        await this.#addPairing(await this.#pairingFrom(result));
      } catch (error) {
        if (error instanceof PairingLimitError) throw new HandshakeError('protocol', false, error.message);
        throw error;
      }
    } else if (paired) {
      // A nearby-mode connection from a paired device proves the same key, so it is that device's session.
      await this.#updatePairing(peer.deviceId, {
        peerId: peer.peerId,
        name: peer.profile.name,
        type: peer.profile.type,
        lastSeenAt: now,
        revoked: false,
        // Pairings made before rooms existed get their room key from the first session both sides share.
        ...(paired.roomKey
          ? {}
          : { roomKey: await roomKeyFromTranscript(this.#options.crypto, result.transcript) }),
      });
      if (!paired.roomKey) this.#announce();
    } else if (result.mode === 'nearby') {
      this.#makeRoomForUnpaired();
      this.#unpaired.set(peer.deviceId, {
        deviceId: peer.deviceId,
        peerId: peer.peerId,
        name: peer.profile.name,
        type: peer.profile.type,
        verificationCode: await verificationCode(this.#options.crypto, result.transcript),
      });
      this.#nearbyProblems.delete(peer.peerId);
    } else {
      throw new HandshakeError('not-paired', false, 'the device is no longer paired');
    }
    const session: Session = new Session({
      transport,
      queue,
      peer,
      transcript: result.transcript,
      clock: this.#options.clock,
      handlers: {
        onItem: (id, sentAt, item) => this.#receiveItem(session, id, sentAt, item),
        onProfile: (profile) => {
          const unpaired = this.#unpaired.get(peer.deviceId);
          if (unpaired) {
            this.#unpaired.set(peer.deviceId, { ...unpaired, name: cleanDeviceName(profile.name) });
            this.#changed();
            return;
          }
          void this.#updatePairing(peer.deviceId, {
            name: cleanDeviceName(profile.name),
            type: profile.type,
          });
        },
        onAppBuild: () => this.#changed(),
        onUnpair: () => void this.#unpairedByPeer(session),
        onPairing: (step) => this.#onPairingStep(session, step),
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
    // A dial that led here is over: a session that breaks before the dial's promise settles must not be
    // handed out again to the next attempt, which would then never dial.
    this.#dialing.delete(peer.deviceId);
    previous?.close();
    this.#problems.delete(peer.deviceId);
    this.#failureCount.delete(peer.deviceId);
    this.#retries.get(peer.deviceId)?.();
    this.#retries.delete(peer.deviceId);
    const waiters = this.#sessionWaiters.get(peer.deviceId);
    this.#sessionWaiters.delete(peer.deviceId);
    session.start();
    if (this.#appBuild) session.sendAppBuild(this.#appBuild);
    for (const waiter of waiters ?? []) waiter.resolve(session);
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
    if (this.#unpaired.delete(deviceId)) {
      // Nothing is kept for a device that is not paired: what was in flight with it ends here.
      void this.#transfers.forgetDevice(deviceId).then(() => this.#changed());
    }
    void this.#updatePairing(deviceId, { lastSeenAt: this.#options.clock.now() });
    if (!this.#closed && this.#pairingOf(deviceId)) this.#scheduleRetry(deviceId);
    this.#changed();
  }

  /**
   * Stores an item once, however often it arrives: a sender whose acknowledgement was lost, or whose
   * session was replaced mid-send, sends it again under the same id. A copy that arrives while the first
   * is still being stored waits for that store, so it is acknowledged only once the item is really kept.
   */
  #receiveItem(session: Session, id: string, sentAt: number, item: Item): Promise<void> {
    const from = session.peer.deviceId;
    const device = this.#pairingOf(from);
    // Items go straight to the inbox, so only paired devices may send them; nearby devices send files,
    // which wait for the user's accept.
    if (!device) return Promise.reject(new Error('items are only taken from paired devices'));
    const key = `${from}/${id}`;
    const storing = this.#storingItems.get(key);
    if (storing) return storing;
    if (this.#seenItems.includes(key) || this.#inbox.some((e) => e.id === id && e.fromDeviceId === from)) {
      return Promise.resolve();
    }
    const stored = this.#storeItem(key, {
      id,
      fromDeviceId: from,
      fromName: device.name,
      sentAt,
      receivedAt: this.#options.clock.now(),
      item,
    }).finally(() => this.#storingItems.delete(key));
    this.#storingItems.set(key, stored);
    return stored;
  }

  async #storeItem(key: string, received: ReceivedItem): Promise<void> {
    const inbox = [received, ...this.#inbox].slice(0, MAX_INBOX);
    const seen = [...this.#seenItems, key].slice(-MAX_SEEN_ITEMS);
    this.#inbox = inbox;
    this.#seenItems = seen;
    try {
      await this.#state.saveInbox(inbox);
      await this.#state.saveSeenItems(seen);
    } catch (error) {
      this.#inbox = this.#inbox.filter((e) => e !== received);
      this.#seenItems = this.#seenItems.filter((k) => k !== key);
      throw error;
    }
    this.#inboxChanges.emit(this.#inbox);
    this.#notices.emit({ kind: 'item-received', item: received });
    this.#changed();
  }

  async #receiveFile(fromDeviceId: string, file: StoredFile): Promise<void> {
    const received: ReceivedItem = {
      id: `${file.transferId}-${file.file}`,
      fromDeviceId,
      fromName: this.#nameOf(fromDeviceId),
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
    this.#announce();
    this.#changed();
  }

  /** Keeps the number of unpaired sessions bounded: the oldest one without transfers in flight goes. */
  #makeRoomForUnpaired(): void {
    if (this.#unpaired.size < MAX_UNPAIRED_SESSIONS) return;
    const busy = new Set(
      this.#transfers
        .views()
        .filter((v) => ['offered', 'offering', 'sending', 'receiving'].includes(v.state))
        .map((v) => v.deviceId),
    );
    const idle = [...this.#unpaired.keys()].find((id) => !busy.has(id));
    if (idle === undefined) throw new HandshakeError('protocol', false, 'too many nearby connections');
    this.#sessions.get(idle)?.close('making room for another nearby device');
  }

  #nameOf(deviceId: string): string {
    return this.#pairingOf(deviceId)?.name ?? this.#unpaired.get(deviceId)?.name ?? 'a removed device';
  }

  // ---- state ----

  #self() {
    return { identity: this.#identity, profile: this.#profile, peerId: this.#credentials.peerId };
  }

  #pairingOf(deviceId: string): PairedDevice | undefined {
    return this.#pairings.find((p) => p.deviceId === deviceId);
  }

  /** The pairing record for a peer authenticated by a handshake (pair mode, or a confirmed nearby session). */
  async #pairingFrom(result: Pick<HandshakeSuccess, 'peer' | 'transcript'>): Promise<PairedDevice> {
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
      roomKey: await roomKeyFromTranscript(this.#options.crypto, result.transcript),
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
    const appBuild = this.session(device.deviceId)?.peerAppBuild;
    return {
      deviceId: device.deviceId,
      name: device.name,
      type: device.type,
      status: this.#statusOf(device),
      autoAccept: device.autoAccept !== false,
      pairedAt: device.pairedAt,
      ...(device.lastSeenAt !== undefined ? { lastSeenAt: device.lastSeenAt } : {}),
      ...(problem ? { problem } : {}),
      ...(appBuild ? { appBuild } : {}),
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
    // A timeout after a failed verification says less than the failure itself, which the row shows.
    const problem = this.#problems.get(device.deviceId);
    if (problem) return `${device.name}: ${problem}`;
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

interface SessionWaiter {
  resolve(session: Session): void;
  reject(error: unknown): void;
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
