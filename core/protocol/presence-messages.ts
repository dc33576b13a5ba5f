// The presence protocol: JSON text messages on the signalling server's /presence WebSocket, through
// which a device announces itself to other devices on its network ("nearby devices") and finds the
// current signalling ids of its paired devices through rooms. Both ends validate with these schemas;
// docs/PROTOCOL.md ("Presence") describes the exchange.

import { z } from 'zod';
import { utf8 } from '../bytes';
import { cleanDeviceName, DEVICE_TYPES } from './device';
import { MAX_DEVICE_NAME_LENGTH } from './limits';

/** Where the presence WebSocket lives on the signalling server (HTTP and HTTPS alike). */
export const PRESENCE_PATH = '/presence';
/** Largest message a client may send. An announce with 64 rooms and a 64-character name fits easily. */
export const MAX_PRESENCE_CLIENT_MESSAGE_BYTES = 4096;
/** Largest message a client accepts from the server (a nearby list of a busy network). */
export const MAX_PRESENCE_SERVER_MESSAGE_BYTES = 256 * 1024;
export const MAX_ANNOUNCED_ROOMS = 64;
/** The server never lists more devices than this in one message, whatever its configuration. */
export const MAX_NEARBY_PEERS = 1024;
/** Members of one room; a room is shared by paired devices, so this is generous. */
export const MAX_ROOM_MEMBERS = 16;
export const MAX_RECONNECT_AFTER_MS = 60 * 60 * 1000;

export const PRESENCE_ERROR_CODES = ['bad-message', 'rate-limited', 'network-full', 'id-taken'] as const;
export type PresenceErrorCode = (typeof PRESENCE_ERROR_CODES)[number];

/** The PeerJS id a device currently uses: 32 lowercase hex characters (16 random bytes). */
export const presencePeerIdSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, { message: 'must be 32 lowercase hexadecimal characters' });
/** A room id: 32 bytes (an HMAC only the paired devices can compute) in base64url, no padding. */
export const roomIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be 43 base64url characters' });
/** Seed from which clients draw a device's avatar; it carries no meaning for the server. */
export const avatarSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,32}$/, { message: 'must be 8 to 32 characters of [A-Za-z0-9_-]' });
/** Length is counted in characters (code points); what is kept is the cleaned, printable name. */
const deviceNameSchema = z
  .string()
  .refine(
    (name) => {
      const length = [...name].length;
      return length >= 1 && length <= MAX_DEVICE_NAME_LENGTH;
    },
    { message: `must be 1 to ${MAX_DEVICE_NAME_LENGTH} characters` },
  )
  .transform((name) => cleanDeviceName(name));
const deviceTypeSchema = z.enum(DEVICE_TYPES);

export const presencePeerSchema = z.object({
  peerId: presencePeerIdSchema,
  name: deviceNameSchema,
  deviceType: deviceTypeSchema,
  avatar: avatarSchema,
});
/** Everything the server keeps about a device, and everything other devices learn about it. */
export type PresencePeer = z.infer<typeof presencePeerSchema>;

const announcedRooms = z
  .array(roomIdSchema)
  .max(MAX_ANNOUNCED_ROOMS, { message: `must hold at most ${MAX_ANNOUNCED_ROOMS} rooms` })
  // Repeats are harmless, so they are dropped rather than refused.
  .transform((rooms) => [...new Set(rooms)]);

/** A visible device describes itself, for the other devices of its network to list. */
const visibleAnnounceSchema = z.object({
  type: z.literal('announce'),
  peerId: presencePeerIdSchema,
  name: deviceNameSchema,
  deviceType: deviceTypeSchema,
  avatar: avatarSchema,
  visible: z.literal(true),
  rooms: announcedRooms,
});
/**
 * A hidden device is listed to nobody, so it sends only its id and rooms. Clients from before this rule
 * still send a name, type and avatar: they are checked as before and then dropped, never kept.
 */
const hiddenAnnounceSchema = z
  .object({
    type: z.literal('announce'),
    peerId: presencePeerIdSchema,
    name: deviceNameSchema.optional(),
    deviceType: deviceTypeSchema.optional(),
    avatar: avatarSchema.optional(),
    visible: z.literal(false),
    rooms: announcedRooms,
  })
  .transform(({ type, peerId, visible, rooms }) => ({ type, peerId, visible, rooms }));

export const announceSchema = z.discriminatedUnion('visible', [visibleAnnounceSchema, hiddenAnnounceSchema]);
export type AnnounceMessage = z.infer<typeof announceSchema>;
export type ClientPresenceMessage = AnnounceMessage;

const nearbySchema = z.object({
  type: z.literal('nearby'),
  peers: z.array(presencePeerSchema).max(MAX_NEARBY_PEERS),
});
const peerJoinedSchema = z.object({ type: z.literal('peer-joined'), peer: presencePeerSchema });
const peerUpdatedSchema = z.object({ type: z.literal('peer-updated'), peer: presencePeerSchema });
const peerLeftSchema = z.object({ type: z.literal('peer-left'), peerId: presencePeerIdSchema });
const roomSchema = z.object({
  type: z.literal('room'),
  room: roomIdSchema,
  peerIds: z.array(presencePeerIdSchema).max(MAX_ROOM_MEMBERS),
});
const errorSchema = z.object({
  type: z.literal('error'),
  code: z.enum(PRESENCE_ERROR_CODES),
  message: z.string().max(500),
});
const shutdownSchema = z.object({
  type: z.literal('shutdown'),
  reconnectAfterMs: z.number().int().min(0).max(MAX_RECONNECT_AFTER_MS),
});

const serverMessageSchema = z.discriminatedUnion('type', [
  nearbySchema,
  peerJoinedSchema,
  peerUpdatedSchema,
  peerLeftSchema,
  roomSchema,
  errorSchema,
  shutdownSchema,
]);
export type ServerPresenceMessage = z.infer<typeof serverMessageSchema>;
export type ServerPresenceMessageOf<T extends ServerPresenceMessage['type']> = Extract<
  ServerPresenceMessage,
  { type: T }
>;

const SERVER_TYPES: ReadonlySet<string> = new Set(serverMessageSchema.options.map((o) => o.shape.type.value));

export type PresenceParseResult<M> = { ok: true; message: M } | { ok: false; error: string };

/** Validates one message from a client (run by the server). Never throws. */
export function parseClientPresenceMessage(text: string): PresenceParseResult<ClientPresenceMessage> {
  const data = parseJsonObject(text, MAX_PRESENCE_CLIENT_MESSAGE_BYTES);
  if (!data.ok) return data;
  const type = data.value.type;
  if (typeof type !== 'string') return { ok: false, error: 'message has no "type"' };
  if (type !== 'announce') return { ok: false, error: `unknown message type "${type.slice(0, 32)}"` };
  return fromZod(announceSchema.safeParse(data.value), type);
}

/** Validates one message from the server (run by clients: the server is not trusted either). */
export function parseServerPresenceMessage(text: string): PresenceParseResult<ServerPresenceMessage> {
  const data = parseJsonObject(text, MAX_PRESENCE_SERVER_MESSAGE_BYTES);
  if (!data.ok) return data;
  const type = data.value.type;
  if (typeof type !== 'string') return { ok: false, error: 'message has no "type"' };
  if (!SERVER_TYPES.has(type)) return { ok: false, error: `unknown message type "${type.slice(0, 32)}"` };
  return fromZod(serverMessageSchema.safeParse(data.value), type);
}

function parseJsonObject(
  text: string,
  maxBytes: number,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  // UTF-16 length bounds the UTF-8 size from below, so the cheap check rejects floods before encoding.
  if (text.length > maxBytes || utf8(text).length > maxBytes) {
    return { ok: false, error: `message is larger than the ${maxBytes}-byte limit` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'message is not a JSON object' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function fromZod<M>(
  result: { success: true; data: M } | { success: false; error: z.ZodError },
  type: string,
): PresenceParseResult<M> {
  if (result.success) return { ok: true, message: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'message';
  return { ok: false, error: `invalid "${type}" message: ${where}: ${issue?.message ?? 'rejected'}` };
}
