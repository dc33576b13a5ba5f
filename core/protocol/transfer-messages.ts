// The control messages of a file transfer (offer, accept/decline, acknowledgements that move the
// receiver's window, per-file end and verdict, cancel). The bytes themselves travel in binary data
// frames (core/transfer/data-frame.ts).

import { z } from 'zod';
import {
  MAX_FILE_SIZE,
  MAX_FILES_PER_OFFER,
  MAX_MIME_TYPE_LENGTH,
  MAX_OFFERED_NAME_LENGTH,
  RECEIVE_WINDOW_BYTES,
} from './limits';

export const transferIdSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/);
const fileIndex = z
  .number()
  .int()
  .min(0)
  .max(MAX_FILES_PER_OFFER - 1);
const byteOffset = z.number().int().min(0).max(MAX_FILE_SIZE);
const sha256 = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export const offeredFileSchema = z.object({
  name: z.string().max(MAX_OFFERED_NAME_LENGTH),
  size: byteOffset,
  type: z.string().max(MAX_MIME_TYPE_LENGTH),
});
export type OfferedFile = z.infer<typeof offeredFileSchema>;

export const DECLINE_REASONS = ['declined', 'no-space', 'too-large', 'busy'] as const;
export const FILE_FAILURES = ['hash-mismatch', 'write-failed', 'no-space', 'protocol'] as const;
export const CANCEL_REASONS = ['cancelled', 'failed', 'protocol', 'no-space', 'unavailable'] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];
export type FileFailure = (typeof FILE_FAILURES)[number];
export type CancelReason = (typeof CANCEL_REASONS)[number];

export const transferMessageSchemas = [
  z.object({
    t: z.literal('offer'),
    id: transferIdSchema,
    files: z.array(offeredFileSchema).min(1).max(MAX_FILES_PER_OFFER),
    /** True when the sender resumes an interrupted transfer with the same id. */
    resume: z.boolean().optional(),
  }),
  z.object({
    t: z.literal('accept'),
    id: transferIdSchema,
    /** Where the receiver wants the bytes to start: files before `file` are already complete. */
    file: fileIndex,
    offset: byteOffset,
    window: z.number().int().min(1).max(RECEIVE_WINDOW_BYTES),
  }),
  z.object({ t: z.literal('decline'), id: transferIdSchema, reason: z.enum(DECLINE_REASONS) }),
  z.object({
    t: z.literal('ack'),
    id: transferIdSchema,
    file: fileIndex,
    /** Bytes of `file` written to storage. */
    offset: byteOffset,
    /** How many bytes past `offset` the sender may have in flight. */
    window: z.number().int().min(0).max(RECEIVE_WINDOW_BYTES),
  }),
  z.object({ t: z.literal('file-end'), id: transferIdSchema, file: fileIndex, sha256 }),
  z.object({ t: z.literal('file-ok'), id: transferIdSchema, file: fileIndex }),
  z.object({
    t: z.literal('file-failed'),
    id: transferIdSchema,
    file: fileIndex,
    reason: z.enum(FILE_FAILURES),
  }),
  z.object({ t: z.literal('cancel'), id: transferIdSchema, reason: z.enum(CANCEL_REASONS) }),
] as const;
