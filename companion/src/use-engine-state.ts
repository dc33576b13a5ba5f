// The engine's snapshot and inbox as Preact state, following every change the engine announces.

import { useEffect, useState } from 'preact/hooks';
import type { Engine, EngineSnapshot } from '../../core/engine/engine';
import type { ReceivedItem } from '../../core/engine/state-store';

export function useEngineState(engine: Engine): { snapshot: EngineSnapshot; inbox: readonly ReceivedItem[] } {
  const [snapshot, setSnapshot] = useState(() => engine.snapshot());
  const [inbox, setInbox] = useState(() => engine.inbox());

  useEffect(() => {
    const stopSnapshots = engine.onSnapshot(setSnapshot);
    const stopInbox = engine.onInboxChange(setInbox);
    // Anything that changed between the first render and subscribing.
    setSnapshot(engine.snapshot());
    setInbox(engine.inbox());
    return () => {
      stopSnapshots();
      stopInbox();
    };
  }, [engine]);

  return { snapshot, inbox };
}
