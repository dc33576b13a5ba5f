// The typed messages between the extension's contexts. Popup and options talk only to the background;
// the background forwards engine requests to wherever the engine lives (Chrome: the offscreen document;
// Firefox: the background page itself); the engine host broadcasts snapshots and notices to everyone.

import type { EngineNotice, EngineSnapshot, PairingView } from '../core/engine/engine';
import type { ReceivedItem } from '../core/engine/state-store';
import type { Item } from '../core/protocol/messages';
import type { ConnectionPath } from '../core/transport';

export type EngineRequest =
  | { type: 'get-state' }
  | { type: 'get-inbox' }
  | { type: 'start-pairing' }
  | { type: 'cancel-pairing' }
  | { type: 'send-item'; deviceId: string; item: Item }
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
  'send-item': null;
  unpair: null;
  rename: null;
  'remove-inbox-item': null;
  'connection-path': ConnectionPath | null;
  reconfigure: null;
  'copy-text': null;
}

export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Sent to the background by popup and options. */
export interface ToBackground {
  to: 'background';
  request: EngineRequest;
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
