// The control messages two DirectDrop devices exchange as JSON text on the data channel: one validated
// union. Everything from a peer goes through parseControlMessage before anything looks at it.

import { z } from 'zod';
import { utf8 } from '../bytes';
import { appBuildSchema } from './app-build';
import { DEVICE_TYPES } from './device';
import {
  MAX_CONTROL_MESSAGE_BYTES,
  MAX_DEVICE_NAME_LENGTH,
  MAX_ITEM_ID_LENGTH,
  MAX_TEXT_BYTES,
  MAX_TITLE_LENGTH,
  MAX_URL_LENGTH,
} from './limits';
import { transferMessageSchemas } from './transfer-messages';

const base64url = (length: number) => z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${length}}$`));
const base64urlUpTo = (max: number) => z.string().regex(new RegExp(`^[A-Za-z0-9_-]{1,${max}}$`));

export const deviceIdSchema = base64url(22);
export const peerIdSchema = z.string().regex(/^[a-z0-9]{16,64}$/);
// Names are cleaned before display; the schema only bounds them (a name may be up to 4 bytes per character).
const deviceName = z
  .string()
  .min(1)
  .max(MAX_DEVICE_NAME_LENGTH * 4);
const itemId = z.string().regex(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_ITEM_ID_LENGTH}}$`));
const url = z.string().min(1).max(MAX_URL_LENGTH);
const title = z.string().max(MAX_TITLE_LENGTH);
const boundedText = z
  .string()
  .min(1)
  .refine((text) => text.length <= MAX_TEXT_BYTES && utf8(text).length <= MAX_TEXT_BYTES, {
    message: `text is longer than ${MAX_TEXT_BYTES} bytes`,
  });

export const helloSchema = z.object({
  t: z.literal('hello'),
  v: z.number().int().min(0).max(1000),
  mode: z.enum(['pair', 'session', 'nearby']),
  device: z.object({ id: deviceIdSchema, name: deviceName, type: z.enum(DEVICE_TYPES) }),
  /** Raw uncompressed P-256 public key (65 bytes). */
  key: base64url(87),
  peerId: peerIdSchema,
  nonce: base64url(22),
  /** Initiator only: SHA-256 commitment to the value its auth opens (core/session/commitment.ts). */
  commit: base64url(43).optional(),
  pairingId: base64url(11).optional(),
});

export const authSchema = z.object({
  t: z.literal('auth'),
  sig: base64urlUpTo(200),
  mac: base64url(43).optional(),
  /** Initiator only: the 32-byte value its hello committed to. */
  reveal: base64url(43).optional(),
});

export const REJECT_REASONS = [
  'version',
  'not-paired',
  'pairing-unknown',
  'pairing-expired',
  'pairing-used',
  'wrong-device',
  'bad-proof',
  'duplicate',
  'protocol',
  'timeout',
  'busy',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const rejectSchema = z.object({
  t: z.literal('reject'),
  reason: z.enum(REJECT_REASONS),
});

export const itemSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('link'), url, title: title.optional() }),
  z.object({
    kind: z.literal('text'),
    text: boundedText,
    sourceUrl: url.optional(),
    sourceTitle: title.optional(),
  }),
  z.object({ kind: z.literal('page'), url, title }),
]);
export type Item = z.infer<typeof itemSchema>;

const itemMessageSchema = z.object({
  t: z.literal('item'),
  id: itemId,
  sentAt: z.number().int().nonnegative(),
  item: itemSchema,
});
const itemAckSchema = z.object({ t: z.literal('item-ack'), id: itemId });
const profileSchema = z.object({ t: z.literal('profile'), name: deviceName, type: z.enum(DEVICE_TYPES) });
const unpairSchema = z.object({ t: z.literal('unpair') });
const pingSchema = z.object({ t: z.literal('ping') });
/** Upgrading a nearby (unpaired) session to a pairing: asked by one side, confirmed or declined by the other. */
const pairRequestSchema = z.object({ t: z.literal('pair-request') });
const pairConfirmSchema = z.object({ t: z.literal('pair-confirm') });
const pairDeclineSchema = z.object({ t: z.literal('pair-decline') });
const pongSchema = z.object({ t: z.literal('pong') });

const controlMessageSchema = z.discriminatedUnion('t', [
  helloSchema,
  authSchema,
  rejectSchema,
  itemMessageSchema,
  itemAckSchema,
  profileSchema,
  appBuildSchema,
  unpairSchema,
  pingSchema,
  pongSchema,
  pairRequestSchema,
  pairConfirmSchema,
  pairDeclineSchema,
  ...transferMessageSchemas,
]);

export type ControlMessage = z.infer<typeof controlMessageSchema>;
export type HelloMessage = z.infer<typeof helloSchema>;
export type AuthMessage = z.infer<typeof authSchema>;
export type RejectMessage = z.infer<typeof rejectSchema>;
export type ItemMessage = z.infer<typeof itemMessageSchema>;
export type MessageType = ControlMessage['t'];
export type MessageOf<T extends MessageType> = Extract<ControlMessage, { t: T }>;
export type TransferMessage = MessageOf<
  'offer' | 'accept' | 'decline' | 'ack' | 'file-end' | 'file-ok' | 'file-failed' | 'cancel'
>;
export const TRANSFER_MESSAGE_TYPES: ReadonlySet<string> = new Set(
  transferMessageSchemas.map((s) => s.shape.t.value),
);

const KNOWN_TYPES: ReadonlySet<string> = new Set(controlMessageSchema.options.map((o) => o.shape.t.value));

export type ParseResult = { ok: true; message: ControlMessage } | { ok: false; error: string };

/** Validates one text frame from a peer. Never throws: a bad frame yields a readable error. */
export function parseControlMessage(raw: string): ParseResult {
  // UTF-16 length bounds the UTF-8 size from below, so the cheap check rejects floods before encoding.
  if (raw.length > MAX_CONTROL_MESSAGE_BYTES || utf8(raw).length > MAX_CONTROL_MESSAGE_BYTES) {
    return { ok: false, error: `message is larger than the ${MAX_CONTROL_MESSAGE_BYTES}-byte limit` };
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: 'message is not a JSON object' };
  }
  const type = (data as { t?: unknown }).t;
  if (typeof type !== 'string') return { ok: false, error: 'message has no type' };
  if (!KNOWN_TYPES.has(type)) return { ok: false, error: `unknown message type "${type.slice(0, 32)}"` };
  const result = controlMessageSchema.safeParse(data);
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'message';
  return { ok: false, error: `invalid "${type}" message: ${where}: ${issue?.message ?? 'rejected'}` };
}

/** Serialises an outgoing message, refusing one the other side would reject for its size. */
export function encodeControlMessage(message: ControlMessage): string {
  const text = JSON.stringify(message);
  if (utf8(text).length > MAX_CONTROL_MESSAGE_BYTES) {
    throw new Error(`message is larger than the ${MAX_CONTROL_MESSAGE_BYTES}-byte limit`);
  }
  return text;
}
