// The engine's key-value store in a browser: IndexedDB through idb-keyval. IndexedDB (unlike
// chrome.storage) is reachable from the offscreen document and can hold the non-extractable CryptoKey.

import { createStore, del, get, set } from 'idb-keyval';
import type { KeyValueStore } from '../core/engine/key-value-store';

export function createIdbKeyValueStore(databaseName = 'directdrop'): KeyValueStore {
  const store = createStore(databaseName, 'engine');
  return {
    get: (key) => get(key, store),
    set: (key, value) => set(key, value, store),
    delete: (key) => del(key, store),
  };
}
