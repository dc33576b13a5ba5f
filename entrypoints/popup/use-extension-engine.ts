// The engine as an extension page sees it: the latest snapshot and inbox, fetched once from the
// background and then kept current by the engine's broadcasts.
//
// The subscription and the first request happen while the page mounts (a layout effect), not in a
// passive effect: Preact runs passive effects after the next animation frame, and a document the user
// does not see gets none. Firefox gives a hidden tab (a popup.html or send.html tab behind another one,
// e.g. reloaded while Options is in front) one frame a second and throttled timers, and much less once
// it has been in the background a while; until then the page neither asked for the state nor listened
// for changes, so it stayed on "Starting…" with the engine idle and ready to answer.

import { useCallback, useEffect, useLayoutEffect, useState } from 'preact/hooks';
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

  useLayoutEffect(() => {
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
