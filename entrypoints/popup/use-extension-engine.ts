// The engine as an extension page sees it: the latest snapshot and inbox, fetched once from the
// background and then kept current by the engine's broadcasts.

import { useCallback, useEffect, useState } from 'preact/hooks';
import type { EngineSnapshot } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';
import { askEngine, onEngineEvent } from '../../utils/engine-client';

export interface ExtensionEngineState {
  snapshot: EngineSnapshot | undefined;
  inbox: readonly ReceivedItem[];
  /** Why the engine could not be reached, while there is no snapshot to show. */
  error: string | undefined;
  reload(): void;
  /** Applies a change the engine has just confirmed, before its broadcast arrives. */
  patchSnapshot(change: Partial<EngineSnapshot>): void;
}

export function useExtensionEngine(): ExtensionEngineState {
  const [snapshot, setSnapshot] = useState<EngineSnapshot | undefined>();
  const [inbox, setInbox] = useState<readonly ReceivedItem[]>([]);
  const [error, setError] = useState<string | undefined>();

  const refreshInbox = useCallback(() => {
    askEngine({ type: 'get-inbox' }).then(setInbox, () => {
      // The list stays as it was; the next snapshot retries.
    });
  }, []);

  const reload = useCallback(() => {
    setError(undefined);
    askEngine({ type: 'get-state' }).then(
      (state) => setSnapshot(state.snapshot),
      (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)),
    );
    refreshInbox();
  }, [refreshInbox]);

  useEffect(() => {
    const stop = onEngineEvent((event) => {
      if (event.kind === 'snapshot') {
        setSnapshot(event.snapshot);
        setError(undefined);
      } else if (event.notice.kind === 'item-received') {
        refreshInbox();
      }
    });
    reload();
    return stop;
  }, [reload, refreshInbox]);

  // Removals (here or elsewhere) change the inbox size without a notice.
  const inboxSize = snapshot?.inboxSize;
  useEffect(() => {
    if (inboxSize !== undefined && inboxSize !== inbox.length) refreshInbox();
  }, [inboxSize, inbox.length, refreshInbox]);

  const patchSnapshot = useCallback((change: Partial<EngineSnapshot>) => {
    setSnapshot((current) => (current ? { ...current, ...change } : current));
  }, []);

  return { snapshot, inbox, error, reload, patchSnapshot };
}
