// The typed messages between the extension's contexts. Popup and options talk only to the background;
// the background forwards engine requests to wherever the engine lives (Chrome: the offscreen document;
// Firefox: the background page itself); the engine host broadcasts snapshots and notices to everyone.

import type { EngineNotice, EngineSnapshot, PairingView, SendOutcome } from '../core/engine/engine';
import type { ReceivedItem } from '../core/engine/state-store';
import type { Item } from '../core/protocol/messages';
import type { ConnectionPath } from '../core/transport';

export type EngineRequest =
  | { type: 'get-state' }
  | { type: 'get-inbox' }
  | { type: 'start-pairing' }
  | { type: 'cancel-pairing' }
  | { type: 'send-item'; deviceId: string; item: Item }
  /** The engine host fetches the URL itself (page images, media, linked files, finished downloads). */
  | { type: 'send-url-as-file'; deviceIds: string[]; url: string; name?: string }
  | { type: 'accept-transfer'; transferId: string }
  | { type: 'decline-transfer'; transferId: string }
  | { type: 'cancel-transfer'; transferId: string }
  | { type: 'set-auto-accept'; deviceId: string; autoAccept: boolean }
  | { type: 'set-visible'; visible: boolean }
  /** Connects to a nearby device that is not paired, so both screens show the verification code. */
  | { type: 'connect-nearby'; peerId: string }
  | { type: 'request-pairing'; deviceId: string }
  | { type: 'decline-pairing'; deviceId: string }
  /** A received file as a blob: URL the background can hand to the downloads API. */
  | { type: 'received-file-url'; transferId: string; file: number }
  /** The file is safely in Downloads (or was removed): free its storage. */
  | { type: 'release-received-file'; transferId: string; file: number; url?: string }
  | { type: 'unpair'; deviceId: string }
  | { type: 'rename'; name: string }
  | { type: 'remove-inbox-item'; id: string }
  | { type: 'connection-path'; deviceId: string }
  | { type: 'reconfigure' }
  | { type: 'copy-text'; text: string };

export interface EngineState {
  snapshot: EngineSnapshot;
  /** The address phones open, as the server reported it. */
  companionUrl: string;
}

export interface EngineResponses {
  'get-state': EngineState;
  'get-inbox': ReceivedItem[];
  'start-pairing': PairingView;
  'cancel-pairing': null;
  'send-item': SendOutcome;
  'send-url-as-file': FilesQueued;
  'accept-transfer': null;
  'decline-transfer': null;
  'cancel-transfer': null;
  'set-auto-accept': null;
  'set-visible': null;
  'connect-nearby': null;
  'request-pairing': null;
  'decline-pairing': null;
  'received-file-url': string;
  'release-received-file': null;
  unpair: null;
  rename: null;
  'remove-inbox-item': null;
  'connection-path': ConnectionPath | null;
  reconfigure: null;
  'copy-text': null;
}

export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Files handed to the engine: one outbox entry per device, plus what the files were. */
export interface FilesQueued {
  entries: Array<{ deviceId: string; entryId: string }>;
  files: Array<{ name: string; size: number; type: string }>;
}

/** Requests the background answers itself, because only it has the APIs. */
export type BackgroundRequest =
  | { type: 'recent-downloads' }
  | { type: 'send-download'; downloadId: number; deviceIds: string[] }
  /** Shows a received file where Downloads put it (the file manager, with the file selected). */
  | { type: 'show-received-file'; transferId: string; file: number };

export interface RecentDownload {
  id: number;
  /** File name only, never the full path. */
  name: string;
  size: number;
  mime: string;
  endTime?: string;
  /** False when the file was moved or deleted after downloading. */
  exists: boolean;
  /** Where it came from (http/https only), for asking permission to read it again. */
  origin?: string;
}

export interface BackgroundResponses {
  'recent-downloads': RecentDownload[];
  'send-download': FilesQueued;
  'show-received-file': null;
}

/** Sent to the background by popup and options. */
export interface ToBackground {
  to: 'background';
  request: EngineRequest | BackgroundRequest;
}

/** Sent by the background (Chrome) to the offscreen document. */
export interface ToOffscreen {
  to: 'offscreen';
  request: EngineRequest;
}

/** The offscreen document asks the background for settings, which only the background can read. */
export interface SettingsQuery {
  to: 'background';
  query: 'settings';
}

export type EngineEvent =
  | { kind: 'snapshot'; snapshot: EngineSnapshot }
  | { kind: 'notice'; notice: EngineNotice };

/** Broadcast by the engine host to every extension page. */
export interface EngineBroadcast {
  from: 'engine';
  event: EngineEvent;
}

const BACKGROUND_REQUEST_TYPES: ReadonlySet<string> = new Set<BackgroundRequest['type']>([
  'recent-downloads',
  'send-download',
  'show-received-file',
]);

export function isBackgroundRequest(
  request: EngineRequest | BackgroundRequest,
): request is BackgroundRequest {
  return BACKGROUND_REQUEST_TYPES.has(request.type);
}

export function isToBackground(message: unknown): message is ToBackground {
  return isObject(message) && message.to === 'background' && isObject(message.request);
}

export function isSettingsQuery(message: unknown): message is SettingsQuery {
  return isObject(message) && message.to === 'background' && message.query === 'settings';
}

export function isToOffscreen(message: unknown): message is ToOffscreen {
  return isObject(message) && message.to === 'offscreen' && isObject(message.request);
}

export function isEngineBroadcast(message: unknown): message is EngineBroadcast {
  return isObject(message) && message.from === 'engine' && isObject(message.event);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
