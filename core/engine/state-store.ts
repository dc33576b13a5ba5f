// The engine's persistent state, versioned: identity, own profile, signalling id, pairings and the inbox.
// Everything read back is validated, so a damaged record is dropped instead of crashing the engine.

import { z } from 'zod';
import { fromBase64Url, toBase64Url } from '../bytes';
import type { DeviceIdentity } from '../identity';
import { DEVICE_TYPES, type DeviceProfile } from '../protocol/device';
import { deviceIdSchema, itemSchema, peerIdSchema } from '../protocol/messages';
import type { KeyValueStore } from './key-value-store';

export const STATE_VERSION = 1;

const pairedDeviceSchema = z.object({
  deviceId: deviceIdSchema,
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{87}$/),
  name: z.string(),
  type: z.enum(DEVICE_TYPES),
  peerId: peerIdSchema,
  pairedAt: z.number(),
  lastSeenAt: z.number().optional(),
  /** Set when the other device refused us as "not paired": it unpaired us while we were away. */
  revoked: z.boolean().optional(),
  /** Files from this device are accepted without asking (default: yes, it is one of your own devices). */
  autoAccept: z.boolean().optional(),
  /** Shared with the device, derived when pairing: names the presence room where both find each other. */
  roomKey: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
});
export type PairedDevice = z.infer<typeof pairedDeviceSchema>;

/** A received file as the inbox lists it; the bytes stay in the host's file store. */
const receivedFileSchema = z.object({
  kind: z.literal('file'),
  name: z.string(),
  size: z.number(),
  type: z.string(),
  transferId: z.string(),
  file: z.number(),
});
export type ReceivedFile = z.infer<typeof receivedFileSchema>;

const receivedItemSchema = z.object({
  id: z.string(),
  fromDeviceId: z.string(),
  fromName: z.string(),
  sentAt: z.number(),
  receivedAt: z.number(),
  item: z.union([itemSchema, receivedFileSchema]),
});
export type ReceivedItem = z.infer<typeof receivedItemSchema>;

const profileSchema = z.object({ name: z.string().min(1), type: z.enum(DEVICE_TYPES) });
const signallingSchema = z.object({ peerId: peerIdSchema, token: z.string().min(8) });
export type SignallingCredentials = z.infer<typeof signallingSchema>;

/** How this device shows itself to devices nearby; the avatar seed is random, unrelated to its identity. */
const presenceSettingsSchema = z.object({
  visible: z.boolean(),
  avatar: z.string().regex(/^[A-Za-z0-9_-]{8,32}$/),
});
export type PresenceSettings = z.infer<typeof presenceSettingsSchema>;

const storedIdentitySchema = z.object({
  publicKey: z.string(),
  deviceId: deviceIdSchema,
  privateKey: z.unknown(),
});

export class EngineStateStore {
  constructor(private readonly kv: KeyValueStore) {}

  async migrate(): Promise<void> {
    const version = await this.kv.get('stateVersion');
    if (version === undefined) {
      await this.kv.set('stateVersion', STATE_VERSION);
    } else if (typeof version !== 'number' || version > STATE_VERSION) {
      throw new Error('DirectDrop data on this device was written by a newer version. Update DirectDrop.');
    }
    // Future versions add their migrations here, one step at a time.
  }

  async loadIdentity(): Promise<DeviceIdentity | undefined> {
    const parsed = storedIdentitySchema.safeParse(await this.kv.get('identity'));
    if (!parsed.success || parsed.data.privateKey == null) return undefined;
    const publicKey = fromBase64Url(parsed.data.publicKey);
    if (!publicKey) return undefined;
    return { deviceId: parsed.data.deviceId, publicKey, privateKey: parsed.data.privateKey };
  }

  async saveIdentity(identity: DeviceIdentity): Promise<void> {
    await this.kv.set('identity', {
      deviceId: identity.deviceId,
      publicKey: toBase64Url(identity.publicKey),
      privateKey: identity.privateKey,
    });
  }

  async loadProfile(): Promise<DeviceProfile | undefined> {
    const parsed = profileSchema.safeParse(await this.kv.get('profile'));
    return parsed.success ? parsed.data : undefined;
  }

  saveProfile(profile: DeviceProfile): Promise<void> {
    return this.kv.set('profile', profile);
  }

  async loadSignalling(): Promise<SignallingCredentials | undefined> {
    const parsed = signallingSchema.safeParse(await this.kv.get('signalling'));
    return parsed.success ? parsed.data : undefined;
  }

  saveSignalling(credentials: SignallingCredentials): Promise<void> {
    return this.kv.set('signalling', credentials);
  }

  async loadPresence(): Promise<PresenceSettings | undefined> {
    const parsed = presenceSettingsSchema.safeParse(await this.kv.get('presence'));
    return parsed.success ? parsed.data : undefined;
  }

  savePresence(settings: PresenceSettings): Promise<void> {
    return this.kv.set('presence', settings);
  }

  /** Keys ("<device id>/<item id>") of the items stored lately, newest last. */
  async loadSeenItems(): Promise<string[]> {
    const value = await this.kv.get('seenItems');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  }

  saveSeenItems(keys: readonly string[]): Promise<void> {
    return this.kv.set('seenItems', [...keys]);
  }

  async loadPairings(): Promise<PairedDevice[]> {
    return validEntries(await this.kv.get('pairings'), pairedDeviceSchema);
  }

  savePairings(pairings: readonly PairedDevice[]): Promise<void> {
    return this.kv.set('pairings', [...pairings]);
  }

  async loadInbox(): Promise<ReceivedItem[]> {
    return validEntries(await this.kv.get('inbox'), receivedItemSchema);
  }

  saveInbox(inbox: readonly ReceivedItem[]): Promise<void> {
    return this.kv.set('inbox', [...inbox]);
  }
}

function validEntries<T>(value: unknown, schema: z.ZodType<T>): T[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    const parsed = schema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}
