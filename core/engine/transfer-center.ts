// Everything a device has in flight with its paired devices: the outbox drained in order whenever a
// device is connected (items and file transfers), incoming offers waiting for a decision, and transfers
// interrupted by a dropped connection or a restart, resumed when the device comes back.

import { toBase64Url } from '../bytes';
import type { Clock } from '../clock';
import type { CryptoEnv } from '../crypto';
import { describeItem } from '../items';
import { MAX_INCOMING_TRANSFERS } from '../protocol/limits';
import type { Item, TransferMessage } from '../protocol/messages';
import type { OfferedFile } from '../protocol/transfer-messages';
import { decodeDataFrame } from '../transfer/data-frame';
import { createFileDigest } from '../transfer/file-digest';
import type { FileSource, FileStore, StoredFile } from '../transfer/file-io';
import { formatBytes, IncomingTransfer } from '../transfer/incoming-transfer';
import { OutgoingTransfer } from '../transfer/outgoing-transfer';
import type { ConnectionPath } from '../transport';
import type { KeyValueStore } from './key-value-store';
import { isPending, Outbox, type OutboxEntry } from './outbox';
import { DeliveryError, type Session } from './session';

export interface FileEnv {
  store: FileStore;
  /** Reads an outbox file back (in browsers the stored value is a Blob). */
  sourceFor(stored: unknown, file: OfferedFile): FileSource | undefined;
}

/** A file to send: its name, type and size, and the host's handle on its bytes (a Blob in browsers). */
export interface FileToSend extends OfferedFile {
  data: unknown;
}

export type TransferState =
  | 'offered'
  | 'offering'
  | 'sending'
  | 'receiving'
  | 'interrupted'
  | 'done'
  | 'declined'
  | 'cancelled'
  | 'failed';

export interface TransferView {
  id: string;
  direction: 'in' | 'out';
  deviceId: string;
  deviceName: string;
  files: Array<{ name: string; size: number; type: string }>;
  total: number;
  state: TransferState;
  bytesDone: number;
  bytesPerSecond?: number;
  secondsLeft?: number;
  error?: string;
  /** How the bytes travel: direct on the LAN, direct over the internet, or through a TURN relay. */
  path?: ConnectionPath;
  /** Only for devices that are not paired: the code both screens show, to compare before accepting. */
  verificationCode?: string;
}

export interface OutboxView {
  id: string;
  deviceId: string;
  deviceName: string;
  state: OutboxEntry['state'];
  summary: string;
  createdAt: number;
  error?: string;
  transferId?: string;
}

export interface TransferCallbacks {
  sessionFor(deviceId: string): Session | undefined;
  deviceName(deviceId: string): string;
  autoAccept(deviceId: string): boolean;
  pathOf(deviceId: string): ConnectionPath | undefined;
  /** urgent: a state change worth showing at once; otherwise progress, which may be throttled. */
  changed(urgent: boolean): void;
  offered(view: TransferView): void;
  fileReceived(fromDeviceId: string, file: StoredFile): Promise<void>;
  transferFinished(view: TransferView): void;
}

interface IncomingRecord {
  transferId: string;
  deviceId: string;
  offered: OfferedFile[];
  completedFiles: number;
}

/** An incoming transfer this device completed and verified. */
interface ReceivedRecord {
  transferId: string;
  deviceId: string;
  files: number;
}

const MAX_RECENT = 20;
/**
 * Transfers that ended recently, per device and id. Frames and messages already in flight when a transfer
 * ends (a receiver that cancels may have megabytes on the way) are dropped quietly instead of counting as
 * bad frames, which would close the session.
 */
const MAX_ENDED = 64;

/** A live transfer and the session it is attached to (none while interrupted). */
interface LiveOutgoing {
  transfer: OutgoingTransfer;
  deviceId: string;
  settled: Set<() => void>;
  session?: Session;
}
interface LiveIncoming {
  transfer: IncomingTransfer;
  deviceId: string;
  session?: Session;
}

export class TransferCenter {
  readonly outbox: Outbox;
  readonly #outgoing = new Map<string, LiveOutgoing>();
  readonly #incoming = new Map<string, LiveIncoming>();
  readonly #draining = new Set<string>();
  /** Devices whose drain was asked for again (by a newer session) while one was running. */
  readonly #drainAgain = new Set<string>();
  #recent: TransferView[] = [];
  /** Keys (device and transfer id) of the last MAX_ENDED transfers that ended, oldest first. */
  readonly #ended = new Set<string>();
  /**
   * The last MAX_ENDED incoming transfers completed here, oldest first, kept across restarts: a sender
   * whose connection dropped (or whose receiver restarted) before our last `file-ok` reached it offers the
   * transfer again, and must hear that it was delivered rather than that we no longer have it.
   */
  #received: ReceivedRecord[] = [];

  constructor(
    private readonly files: FileEnv | undefined,
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
    private readonly crypto: CryptoEnv,
    private readonly callbacks: TransferCallbacks,
  ) {
    this.outbox = new Outbox(kv, clock);
  }

  async load(): Promise<void> {
    await this.outbox.load();
    const received = await this.kv.get('receivedTransfers');
    if (Array.isArray(received)) {
      this.#received = (received as ReceivedRecord[]).filter(
        (r) =>
          typeof r?.transferId === 'string' && typeof r.deviceId === 'string' && Number.isInteger(r.files),
      );
    }
    const records = await this.kv.get('incoming');
    if (!this.files || !Array.isArray(records)) return;
    for (const record of records as IncomingRecord[]) {
      if (typeof record?.transferId !== 'string' || !Array.isArray(record.offered)) continue;
      this.#incoming.set(key(record.deviceId, record.transferId), {
        deviceId: record.deviceId,
        transfer: this.#newIncoming(
          record.deviceId,
          record.transferId,
          record.offered,
          record.completedFiles,
        ),
      });
    }
  }

  newId(): string {
    return toBase64Url(this.crypto.randomBytes(16));
  }

  // ---- sending ----

  /** Queues an item; `id` is the one it was already sent under, if a first attempt went out. */
  async queueItem(deviceId: string, item: Item, id = this.newId()): Promise<OutboxEntry> {
    const entry = await this.outbox.add(id, deviceId, { kind: 'item', item });
    this.callbacks.changed(true);
    void this.drain(deviceId);
    return entry;
  }

  async queueFiles(deviceId: string, files: readonly FileToSend[]): Promise<OutboxEntry> {
    if (!this.files) throw new Error('This device cannot send files.');
    const offered = files.map(({ name, size, type }) => ({ name, size, type }));
    const entry = await this.outbox.add(
      this.newId(),
      deviceId,
      { kind: 'files', transferId: this.newId(), files: offered },
      files.map((f) => f.data),
    );
    this.callbacks.changed(true);
    void this.drain(deviceId);
    return entry;
  }

  /**
   * Sends what waits for a device, one entry at a time, while it stays connected. A drain asked for while
   * one runs is remembered: the running one may be stuck on a session that has just been replaced, and
   * when that session gives up, the queue carries on over the new one instead of waiting for the next.
   */
  async drain(deviceId: string): Promise<void> {
    if (this.#draining.has(deviceId)) {
      this.#drainAgain.add(deviceId);
      return;
    }
    this.#draining.add(deviceId);
    try {
      for (;;) {
        const session = this.callbacks.sessionFor(deviceId);
        const entry = this.outbox.nextFor(deviceId);
        if (!session?.isOpen || !entry) return;
        const delivered = await this.#send(entry, session);
        if (!delivered && !this.#drainAgain.delete(deviceId)) return;
      }
    } finally {
      this.#draining.delete(deviceId);
      this.#drainAgain.delete(deviceId);
    }
  }

  /** True when the entry reached a final state; false when the connection went away first. */
  async #send(entry: OutboxEntry, session: Session): Promise<boolean> {
    await this.outbox.update(entry.id, { state: 'sending' });
    this.callbacks.changed(true);
    if (entry.content.kind === 'item') {
      try {
        await session.sendItem(entry.id, entry.content.item);
        await this.outbox.update(entry.id, { state: 'delivered' });
        this.callbacks.changed(true);
        return true;
      } catch (error) {
        if (!session.isOpen) {
          // Back to waiting: it goes again, under the same id, over the next session.
          await this.outbox.update(entry.id, { state: 'queued' });
          this.callbacks.changed(true);
          return false;
        }
        await this.outbox.update(entry.id, {
          state: 'failed',
          error: error instanceof DeliveryError ? error.message : String(error),
        });
        this.callbacks.changed(true);
        return true;
      }
    }
    const transfer = await this.#outgoingFor(entry);
    if (!transfer) return true;
    // The session may have closed or been replaced while the entry was saved and its files looked up.
    // sessionEnded and sessionStarted only detach transfers already attached, so one attached now to a
    // dead session would stay "offering" for good and hold up everything queued behind it.
    if (!this.#isCurrent(entry.deviceId, session)) return false;
    const live = this.#outgoing.get(transfer.id);
    if (live) live.session = session;
    transfer.attach(session.port);
    await this.#settled(transfer);
    if (!transfer.finished) return false;
    const state =
      transfer.state === 'done' ? 'delivered' : transfer.state === 'cancelled' ? 'cancelled' : 'failed';
    const error = transfer.status().error;
    await this.outbox.update(entry.id, { state, ...(error && state !== 'delivered' ? { error } : {}) });
    this.#finishOutgoing(entry.content.kind === 'files' ? entry.content.transferId : '', transfer);
    return true;
  }

  async #outgoingFor(entry: OutboxEntry): Promise<OutgoingTransfer | undefined> {
    if (entry.content.kind !== 'files' || !this.files) return undefined;
    const { transferId, files } = entry.content;
    const existing = this.#outgoing.get(transferId);
    if (existing) return existing.transfer;
    const sources: FileSource[] = [];
    for (const [index, file] of files.entries()) {
      const source = this.files.sourceFor(await this.outbox.fileData(entry.id, index), file);
      if (!source) {
        await this.outbox.update(entry.id, { state: 'failed', error: `${file.name} can no longer be read.` });
        this.callbacks.changed(true);
        return undefined;
      }
      sources.push(source);
    }
    const settled = new Set<() => void>();
    const transfer = new OutgoingTransfer({
      id: transferId,
      files: sources,
      createHasher: async () => createFileDigest((data) => this.crypto.sha256(data)),
      clock: this.clock,
      onChange: () => {
        this.callbacks.changed(transfer.state !== 'sending');
        if (transfer.finished || transfer.state === 'interrupted') {
          for (const resolve of settled) resolve();
          settled.clear();
        }
      },
    });
    this.#outgoing.set(transferId, { transfer, deviceId: entry.deviceId, settled });
    return transfer;
  }

  /** Resolves when the transfer is finished or its connection is gone. */
  #settled(transfer: OutgoingTransfer): Promise<void> {
    if (transfer.finished || transfer.state === 'interrupted') return Promise.resolve();
    const entry = this.#outgoing.get(transfer.id);
    if (!entry) return Promise.resolve();
    return new Promise((resolve) => entry.settled.add(resolve));
  }

  #finishOutgoing(transferId: string, transfer: OutgoingTransfer): void {
    const entry = this.#outgoing.get(transferId);
    if (!entry) return;
    this.#outgoing.delete(transferId);
    this.#rememberEnded(key(entry.deviceId, transferId));
    const view = this.#outgoingView(transferId, entry.deviceId, transfer);
    this.#remember(view);
    this.callbacks.transferFinished(view);
    this.callbacks.changed(true);
  }

  // ---- connection lifecycle ----

  /**
   * A session with the device is open. It may have replaced one this side still thought was open (the
   * other device came back before the old channel was noticed dead); the engine does not report that one
   * as ended, so whatever was attached to it is detached here and goes on over the new session: offered
   * again by the sender, resumed from what the receiver has written.
   */
  sessionStarted(deviceId: string): void {
    const current = this.callbacks.sessionFor(deviceId);
    let replaced = false;
    for (const live of [...this.#outgoing.values(), ...this.#incoming.values()]) {
      if (live.deviceId !== deviceId || !live.session || live.session === current) continue;
      live.session = undefined;
      live.transfer.detach();
      replaced = true;
    }
    if (replaced) {
      void this.#persistIncoming();
      this.callbacks.changed(true);
    }
    void this.drain(deviceId);
  }

  sessionEnded(deviceId: string): void {
    for (const live of [...this.#outgoing.values(), ...this.#incoming.values()]) {
      if (live.deviceId !== deviceId) continue;
      live.session = undefined;
      live.transfer.detach();
    }
    void this.#persistIncoming();
    this.callbacks.changed(true);
  }

  async forgetDevice(deviceId: string): Promise<void> {
    for (const [id, entry] of this.#outgoing) {
      if (entry.deviceId !== deviceId) continue;
      entry.transfer.cancel();
      this.#outgoing.delete(id);
    }
    for (const [id, entry] of this.#incoming) {
      if (entry.deviceId !== deviceId) continue;
      entry.transfer.cancel();
      this.#incoming.delete(id);
    }
    this.#received = this.#received.filter((r) => r.deviceId !== deviceId);
    await this.kv.set('receivedTransfers', this.#received);
    await this.outbox.forgetDevice(deviceId);
    await this.#persistIncoming();
  }

  // ---- receiving ----

  handleMessage(deviceId: string, session: Session, message: TransferMessage): void {
    if (message.t === 'offer') {
      void this.#onOffer(deviceId, session, message);
      return;
    }
    const outgoing = this.#outgoing.get(message.id);
    if (
      outgoing &&
      outgoing.deviceId === deviceId &&
      ['accept', 'ack', 'decline', 'file-ok', 'file-failed', 'cancel'].includes(message.t)
    ) {
      outgoing.transfer.handle(message);
      return;
    }
    const incoming = this.#incoming.get(key(deviceId, message.id));
    if (incoming) {
      incoming.transfer.handle(message);
      return;
    }
    if (this.#ended.has(key(deviceId, message.id))) return;
    session.reportBadFrame(`a "${message.t}" message for an unknown transfer`);
  }

  handleData(deviceId: string, session: Session, bytes: Uint8Array): void {
    const decoded = decodeDataFrame(bytes);
    if (!decoded.ok) {
      session.reportBadFrame(decoded.error);
      return;
    }
    const k = key(deviceId, decoded.frame.transferId);
    const incoming = this.#incoming.get(k);
    if (!incoming) {
      if (this.#ended.has(k)) return;
      session.reportBadFrame('data for an unknown transfer');
      return;
    }
    incoming.transfer.handleData(decoded.frame);
  }

  async #onOffer(
    deviceId: string,
    session: Session,
    offer: Extract<TransferMessage, { t: 'offer' }>,
  ): Promise<void> {
    const port = session.port;
    if (!this.files) {
      port.sendControl({ t: 'decline', id: offer.id, reason: 'declined' });
      return;
    }
    const existing = this.#incoming.get(key(deviceId, offer.id));
    if (existing) {
      const { transfer } = existing;
      if (!transfer.matches(offer.files)) {
        port.sendControl({ t: 'cancel', id: offer.id, reason: 'unavailable' });
      } else if (transfer.state === 'interrupted' || transfer.state === 'receiving') {
        existing.session = session;
        await transfer.accept(port);
      } else if (transfer.state === 'offered' && this.callbacks.autoAccept(deviceId)) {
        // An automatic accept that its connection did not live to send: accept on this one.
        existing.session = session;
        await transfer.accept(port);
        await this.#persistIncoming();
      } else if (transfer.finished) {
        port.sendControl({ t: 'cancel', id: offer.id, reason: 'unavailable' });
      }
      // Still "offered": the user has not decided yet; the new offer changes nothing.
      return;
    }
    const received = this.#received.find((r) => r.deviceId === deviceId && r.transferId === offer.id);
    if (received) {
      // The sender missed our last verdict before the connection dropped: the transfer is done.
      if (received.files === offer.files.length) {
        port.sendControl({ t: 'file-ok', id: offer.id, file: received.files - 1 });
      } else {
        port.sendControl({ t: 'cancel', id: offer.id, reason: 'unavailable' });
      }
      return;
    }
    if (offer.resume) {
      // We lost this transfer (e.g. it was cancelled here): the sender must give up on it.
      port.sendControl({ t: 'cancel', id: offer.id, reason: 'unavailable' });
      return;
    }
    const open = [...this.#incoming.values()].filter((e) => e.deviceId === deviceId && !e.transfer.finished);
    if (open.length >= MAX_INCOMING_TRANSFERS) {
      port.sendControl({ t: 'decline', id: offer.id, reason: 'busy' });
      return;
    }
    const transfer = this.#newIncoming(deviceId, offer.id, offer.files);
    const live: LiveIncoming = { transfer, deviceId };
    const k = key(deviceId, offer.id);
    this.#incoming.set(k, live);
    await this.#persistIncoming();
    if (this.callbacks.autoAccept(deviceId)) {
      // The session may have ended while the record was saved, or during the accept (which then leaves the
      // transfer "offered"). The sender never saw an accept, so it will offer again as new: forget this one
      // rather than accept on a dead channel or keep a record that would swallow that offer.
      if (this.#isCurrent(deviceId, session)) {
        live.session = session;
        await transfer.accept(port);
      }
      const abandoned = live.session === undefined || live.session === session;
      if (transfer.state === 'offered' && abandoned && !this.#isCurrent(deviceId, session)) {
        // Removed first, so its cancellation (which deletes any file the accept opened) is not reported.
        if (this.#incoming.get(k) === live) this.#incoming.delete(k);
        transfer.cancel();
      }
      await this.#persistIncoming();
    } else {
      this.callbacks.offered(this.#incomingView(deviceId, transfer));
    }
    this.callbacks.changed(true);
  }

  #newIncoming(
    deviceId: string,
    transferId: string,
    offered: OfferedFile[],
    completedFiles?: number,
  ): IncomingTransfer {
    const files = this.files;
    if (!files) throw new Error('no file storage');
    const transfer: IncomingTransfer = new IncomingTransfer({
      id: transferId,
      offered,
      store: files.store,
      clock: this.clock,
      ...(completedFiles !== undefined ? { restore: { completedFiles } } : {}),
      onChange: () => {
        this.callbacks.changed(transfer.state !== 'receiving');
        if (transfer.finished) this.#finishIncoming(deviceId, transfer);
      },
      onFileStored: (stored) => {
        void this.#persistIncoming();
        void this.callbacks.fileReceived(deviceId, stored);
      },
    });
    return transfer;
  }

  #finishIncoming(deviceId: string, transfer: IncomingTransfer): void {
    const k = key(deviceId, transfer.id);
    if (this.#incoming.get(k)?.transfer !== transfer) return;
    this.#incoming.delete(k);
    this.#rememberEnded(k);
    if (transfer.state === 'done') {
      this.#received = [
        ...this.#received,
        { transferId: transfer.id, deviceId, files: transfer.files.length },
      ].slice(-MAX_ENDED);
      void this.kv.set('receivedTransfers', this.#received);
    }
    void this.#persistIncoming();
    const view = this.#incomingView(deviceId, transfer);
    this.#remember(view);
    this.callbacks.transferFinished(view);
  }

  async #persistIncoming(): Promise<void> {
    const records: IncomingRecord[] = [...this.#incoming.values()]
      .filter(({ transfer }) => !transfer.finished && transfer.state !== 'offered')
      .map(({ transfer, deviceId }) => ({
        transferId: transfer.id,
        deviceId,
        offered: [...transfer.offered],
        completedFiles: transfer.completedFiles,
      }));
    await this.kv.set('incoming', records);
  }

  // ---- user decisions ----

  async accept(transferId: string): Promise<void> {
    const entry = this.#findIncoming(transferId);
    const session = entry && this.callbacks.sessionFor(entry.deviceId);
    if (entry?.transfer.state !== 'offered') throw new Error('That transfer is no longer waiting for you.');
    if (!session?.isOpen)
      throw new Error(`${this.callbacks.deviceName(entry.deviceId)} is not connected any more.`);
    entry.session = session;
    await entry.transfer.accept(session.port);
    await this.#persistIncoming();
  }

  decline(transferId: string): void {
    const entry = this.#findIncoming(transferId);
    const session = entry && this.callbacks.sessionFor(entry.deviceId);
    if (!entry) return;
    if (session?.isOpen) entry.transfer.decline(session.port);
    else entry.transfer.cancel();
  }

  async cancel(transferId: string): Promise<void> {
    const incoming = this.#findIncoming(transferId);
    if (incoming) {
      incoming.transfer.cancel();
      return;
    }
    const pending = this.outbox
      .entries()
      .find(
        (e) =>
          isPending(e) &&
          (e.id === transferId || (e.content.kind === 'files' && e.content.transferId === transferId)),
      );
    if (!pending) return;
    const transferKey = pending.content.kind === 'files' ? pending.content.transferId : '';
    const outgoing = this.#outgoing.get(transferKey);
    if (outgoing) {
      outgoing.transfer.cancel();
      this.#finishOutgoing(transferKey, outgoing.transfer);
    }
    await this.outbox.update(pending.id, { state: 'cancelled' });
    this.callbacks.changed(true);
  }

  #findIncoming(transferId: string) {
    return [...this.#incoming.values()].find((e) => e.transfer.id === transferId);
  }

  // ---- views ----

  views(): TransferView[] {
    const live = [
      ...[...this.#outgoing.entries()].map(([id, e]) => this.#outgoingView(id, e.deviceId, e.transfer)),
      ...[...this.#incoming.values()].map((e) => this.#incomingView(e.deviceId, e.transfer)),
    ];
    const liveIds = new Set(live.map((v) => v.id));
    return [...live, ...this.#recent.filter((v) => !liveIds.has(v.id))];
  }

  outboxViews(): OutboxView[] {
    return this.outbox.entries().map((entry) => ({
      id: entry.id,
      deviceId: entry.deviceId,
      deviceName: this.callbacks.deviceName(entry.deviceId),
      state: entry.state,
      summary: summarize(entry),
      createdAt: entry.createdAt,
      ...(entry.error ? { error: entry.error } : {}),
      ...(entry.content.kind === 'files' ? { transferId: entry.content.transferId } : {}),
    }));
  }

  #outgoingView(id: string, deviceId: string, transfer: OutgoingTransfer): TransferView {
    return this.#view(id, 'out', deviceId, transfer.files, transfer.status());
  }

  #incomingView(deviceId: string, transfer: IncomingTransfer): TransferView {
    return this.#view(transfer.id, 'in', deviceId, transfer.files, transfer.status());
  }

  #view(
    id: string,
    direction: 'in' | 'out',
    deviceId: string,
    files: ReadonlyArray<{ name: string; size: number; type: string }>,
    status: {
      state: TransferState;
      bytesDone: number;
      total: number;
      bytesPerSecond?: number;
      secondsLeft?: number;
      error?: string;
    },
  ): TransferView {
    const path = this.callbacks.pathOf(deviceId);
    return {
      id,
      direction,
      deviceId,
      deviceName: this.callbacks.deviceName(deviceId),
      files: files.map(({ name, size, type }) => ({ name, size, type })),
      ...status,
      ...(path ? { path } : {}),
    };
  }

  /** True while `session` is open and is still the device's session (not replaced by a newer one). */
  #isCurrent(deviceId: string, session: Session): boolean {
    return session.isOpen && this.callbacks.sessionFor(deviceId) === session;
  }

  #rememberEnded(k: string): void {
    this.#ended.delete(k);
    this.#ended.add(k);
    if (this.#ended.size > MAX_ENDED) {
      const oldest = this.#ended.values().next();
      if (!oldest.done) this.#ended.delete(oldest.value);
    }
  }

  #remember(view: TransferView): void {
    this.#recent = [view, ...this.#recent.filter((v) => v.id !== view.id)].slice(0, MAX_RECENT);
  }
}

function key(deviceId: string, transferId: string): string {
  return `${deviceId}/${transferId}`;
}

export function summarize(entry: OutboxEntry): string {
  if (entry.content.kind === 'item') return describeItem(entry.content.item);
  const { files } = entry.content;
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const [first] = files;
  return files.length === 1 && first
    ? `${first.name} (${formatBytes(total)})`
    : `${files.length} files (${formatBytes(total)})`;
}
