// The engine's snapshot and inbox as Preact state. Snapshots are followed at most four times a second: a
// burst of changes (many items arriving or delivered at once) becomes one redraw, not one per change.

import { useEffect, useState } from 'preact/hooks';
import type { Engine, EngineSnapshot } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';
import { latestOnly } from '../../core/latest-only';
import { browserClock } from '../../utils/browser-engine';

const SNAPSHOT_INTERVAL_MS = 250;

export function useEngineState(engine: Engine): { snapshot: EngineSnapshot; inbox: readonly ReceivedItem[] } {
  const [snapshot, setSnapshot] = useState(() => engine.snapshot());
  const [inbox, setInbox] = useState(() => engine.inbox());

  useEffect(() => {
    const follow = latestOnly(browserClock, SNAPSHOT_INTERVAL_MS, setSnapshot);
    const stopSnapshots = engine.onSnapshot(follow);
    const stopInbox = engine.onInboxChange(setInbox);
    // Anything that changed between the first render and subscribing.
    setSnapshot(engine.snapshot());
    setInbox(engine.inbox());
    return () => {
      stopSnapshots();
      follow.cancel();
      stopInbox();
    };
  }, [engine]);

  return { snapshot, inbox };
}
