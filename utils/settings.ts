// The extension's user settings, one versioned storage item. Only the background (and, on Firefox, the
// background page hosting the engine) reads it directly; the offscreen document asks the background.

import { storage } from 'wxt/utils/storage';
import { z } from 'zod';

export const DEFAULT_SERVER_URL: string =
  import.meta.env.WXT_DIRECTDROP_SERVER_URL || 'http://localhost:9000';

const iceServerSchema = z.object({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
});

export const settingsSchema = z.object({
  serverUrl: z
    .string()
    .trim()
    .refine((value) => /^https?:\/\/[^/\s]+/.test(value) && URL.canParse(value), {
      message: 'Enter the server address, like http://localhost:9000 or https://192.168.1.20:9443',
    }),
  /** Empty: use the ICE servers the signalling server suggests. */
  iceServers: z.array(iceServerSchema).max(8),
  notifyOnReceive: z.boolean(),
  /** After a download completes, offer to send it to a paired device. */
  offerToSendDownloads: z.boolean(),
});
export type Settings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: Settings = {
  serverUrl: DEFAULT_SERVER_URL,
  iceServers: [],
  notifyOnReceive: true,
  offerToSendDownloads: true,
};

export const settingsItem = storage.defineItem<Settings>('local:settings', {
  fallback: DEFAULT_SETTINGS,
  version: 1,
});

/** Settings as stored, repaired field by field so one bad value never disables the extension. */
export async function loadSettings(): Promise<Settings> {
  const stored = await settingsItem.getValue();
  const parsed = settingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...stored });
  return parsed.success ? parsed.data : DEFAULT_SETTINGS;
}
