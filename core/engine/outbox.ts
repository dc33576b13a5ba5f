// The persistent outbox: everything waiting to go to a paired device, in order, with its state (queued,
// sending, delivered, failed, cancelled). Items and files wait here while their device is offline and go
// out by themselves when it connects. File contents are kept in the store beside the entry (in browsers
// a Blob in IndexedDB, never on a server) and deleted once the entry is finished.

import { z } from 'zod';
import type { Clock } from '../clock';
import { itemSchema } from '../protocol/messages';
import { offeredFileSchema, transferIdSchema } from '../protocol/transfer-messages';
import type { KeyValueStore } from './key-value-store';

export const OUTBOX_LIMIT = 1000;
/** Finished entries kept for the "recent" list; older ones are pruned with their data. */
const FINISHED_KEPT = 30;

const outboxEntrySchema = z.object({
  id: z.string(),
  deviceId: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  state: z.enum(['queued', 'sending', 'delivered', 'failed', 'cancelled']),
  error: z.string().optional(),
  content: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('item'), item: itemSchema }),
    z.object({
      kind: z.literal('files'),
      transferId: transferIdSchema,
      files: z.array(offeredFileSchema).min(1),
    }),
  ]),
});
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;
export type OutboxState = OutboxEntry['state'];
export type OutboxContent = OutboxEntry['content'];

export function isPending(entry: OutboxEntry): boolean {
  return entry.state === 'queued' || entry.state === 'sending';
}

export class Outbox {
  #entries: OutboxEntry[] = [];
  #writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly kv: KeyValueStore,
    private readonly clock: Clock,
  ) {}

  async load(): Promise<void> {
    const raw = await this.kv.get('outbox');
    this.#entries = Array.isArray(raw)
      ? raw.flatMap((entry) => {
          const parsed = outboxEntrySchema.safeParse(entry);
          return parsed.success ? [parsed.data] : [];
        })
      : [];
  }

  entries(): readonly OutboxEntry[] {
    return this.#entries;
  }

  get(id: string): OutboxEntry | undefined {
    return this.#entries.find((e) => e.id === id);
  }

  /** The next entry to send to a device, oldest first. */
  nextFor(deviceId: string): OutboxEntry | undefined {
    return this.#entries.find((e) => e.deviceId === deviceId && isPending(e));
  }

  async add(
    id: string,
    deviceId: string,
    content: OutboxContent,
    fileData: readonly unknown[] = [],
  ): Promise<OutboxEntry> {
    if (this.#entries.filter(isPending).length >= OUTBOX_LIMIT) {
      throw new Error(
        `The outbox already holds ${OUTBOX_LIMIT} waiting items. Wait for them to go out first.`,
      );
    }
    const now = this.clock.now();
    const entry: OutboxEntry = { id, deviceId, createdAt: now, updatedAt: now, state: 'queued', content };
    for (const [index, data] of fileData.entries()) await this.kv.set(dataKey(id, index), data);
    this.#entries = [...this.#entries, entry];
    await this.#persist();
    return entry;
  }

  fileData(entryId: string, index: number): Promise<unknown> {
    return this.kv.get(dataKey(entryId, index));
  }

  async update(id: string, changes: Pick<Partial<OutboxEntry>, 'state' | 'error'>): Promise<void> {
    const entry = this.get(id);
    if (!entry) return;
    const updated: OutboxEntry = { ...entry, ...changes, updatedAt: this.clock.now() };
    if (changes.state && isPending(updated)) delete updated.error;
    this.#entries = this.#entries.map((e) => (e.id === id ? updated : e));
    if (!isPending(updated)) await this.#dropData(updated);
    await this.#prune();
    await this.#persist();
  }

  /** Removes entries of a device that is no longer paired. */
  async forgetDevice(deviceId: string): Promise<void> {
    for (const entry of this.#entries.filter((e) => e.deviceId === deviceId)) await this.#dropData(entry);
    this.#entries = this.#entries.filter((e) => e.deviceId !== deviceId);
    await this.#persist();
  }

  async #dropData(entry: OutboxEntry): Promise<void> {
    if (entry.content.kind !== 'files') return;
    for (let i = 0; i < entry.content.files.length; i++) await this.kv.delete(dataKey(entry.id, i));
  }

  async #prune(): Promise<void> {
    const finished = this.#entries.filter((e) => !isPending(e));
    const excess = finished.length - FINISHED_KEPT;
    if (excess <= 0) return;
    const drop = new Set(finished.slice(0, excess).map((e) => e.id));
    this.#entries = this.#entries.filter((e) => !drop.has(e.id));
  }

  /** Writes are serialised so a slow write can never overwrite a newer list. */
  #persist(): Promise<void> {
    const snapshot = [...this.#entries];
    this.#writes = this.#writes.then(() => this.kv.set('outbox', snapshot));
    return this.#writes;
  }
}

function dataKey(entryId: string, index: number): string {
  return `outbox-data:${entryId}:${index}`;
}
