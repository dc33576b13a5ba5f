// The companion app's wiring: opens this device's engine and its store of received files, pairs from a
// scanned code (at start or when a new code is opened in the running app), and turns the screen's
// callbacks into engine calls.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { Button } from '../../components/button';
import { LogoMark } from '../../components/logo-mark';
import type { NearbyActions } from '../../components/nearby-row';
import type { TransferActions } from '../../components/transfer-row';
import type { Engine } from '../../core/engine/engine';
import { openBrowserEngine } from '../../utils/browser-engine';
import type { BrowserFileStore } from '../../utils/browser-file-store';
import { type AppUpdates, type AppUpdateView, reportedBuild } from './app-updates';
import { CompanionView } from './companion-view';
import { takePairingLinkFromUrl } from './pairing-link-in-url';
import type { PairingProgress } from './pairing-progress';
import { PairingStatus } from './pairing-status';
import { useEngineState } from './use-engine-state';

type Startup =
  | { state: 'opening' }
  | { state: 'open'; engine: Engine; files: BrowserFileStore }
  | { state: 'failed'; error: string };

/** How long "Paired with …" stays before it folds away by itself. */
const PAIRED_BANNER_MS = 8_000;

export function CompanionApp({
  initialPairingLink,
  updates,
}: {
  initialPairingLink: string | undefined;
  updates: AppUpdates;
}) {
  const [startup, setStartup] = useState<Startup>({ state: 'opening' });
  const [pairing, setPairing] = useState<PairingProgress | undefined>(
    initialPairingLink ? { state: 'pairing' } : undefined,
  );
  const pendingLink = useRef(initialPairingLink);
  const engineRef = useRef<Engine | undefined>();

  const pair = useCallback((engine: Engine, link: string) => {
    setPairing({ state: 'pairing' });
    engine.pairWith(link).then(
      (device) => setPairing({ state: 'paired', deviceId: device.deviceId, name: device.name }),
      (error: unknown) => setPairing({ state: 'failed', error: messageOf(error) }),
    );
  }, []);

  // Success is news for a moment, not a state: it folds away by itself (a failure stays until dismissed).
  useEffect(() => {
    if (pairing?.state !== 'paired') return;
    const shown = pairing;
    const timer = setTimeout(() => setPairing((now) => (now === shown ? undefined : now)), PAIRED_BANNER_MS);
    return () => clearTimeout(timer);
  }, [pairing]);

  useEffect(() => {
    openBrowserEngine({ serverUrl: () => location.origin, userAgent: navigator.userAgent }).then(
      ({ engine, files }) => {
        engineRef.current = engine;
        setStartup({ state: 'open', engine, files });
        const link = pendingLink.current;
        pendingLink.current = undefined;
        if (link) pair(engine, link);
      },
      (error: unknown) => {
        setStartup({ state: 'failed', error: messageOf(error) });
        if (pendingLink.current) {
          pendingLink.current = undefined;
          setPairing({
            state: 'failed',
            error: 'DirectDrop could not start on this device, so it could not pair.',
          });
        }
      },
    );
    // Scanning another code while the app is open only changes the fragment: no reload happens.
    const onHashChange = () => {
      const link = takePairingLinkFromUrl();
      if (!link) return;
      if (engineRef.current) pair(engineRef.current, link);
      else {
        pendingLink.current = link;
        setPairing({ state: 'pairing' });
      }
    };
    addEventListener('hashchange', onHashChange);
    return () => removeEventListener('hashchange', onHashChange);
  }, [pair]);

  if (startup.state === 'open') {
    return (
      <RunningApp
        engine={startup.engine}
        files={startup.files}
        updates={updates}
        pairing={pairing}
        onDismissPairing={() => setPairing(undefined)}
      />
    );
  }
  return <StartupScreen startup={startup} pairing={pairing} />;
}

function RunningApp({
  engine,
  files,
  updates,
  pairing,
  onDismissPairing,
}: {
  engine: Engine;
  files: BrowserFileStore;
  updates: AppUpdates;
  pairing: PairingProgress | undefined;
  onDismissPairing(): void;
}) {
  const { snapshot, inbox } = useEngineState(engine);
  const update = useAppUpdates(updates);
  // Paired devices hear which build runs here, inside the authenticated session.
  const build = reportedBuild(update);
  useEffect(() => {
    if (build) engine.setAppBuild(build);
  }, [engine, build?.version, build?.digest]);
  const [notice, setNotice] = useState<string | undefined>();
  const transferActions = useTransferActions(engine);
  const nearbyActions = useNearbyActions(engine);
  useOffersInTitle(snapshot.transfers.filter((t) => t.state === 'offered').length);

  useEffect(
    () =>
      engine.onNotice((event) => {
        if (event.kind === 'unpaired-by-peer') {
          setNotice(`${event.name} unpaired this device. Pair them again to send between them.`);
        }
      }),
    [engine],
  );

  return (
    <CompanionView
      snapshot={snapshot}
      inbox={inbox}
      pairing={pairing}
      notice={notice}
      update={update}
      onApplyUpdate={() => void updates.apply()}
      onDismissPairing={onDismissPairing}
      onDismissNotice={() => setNotice(undefined)}
      onRename={(name) => engine.setName(name)}
      onUnpair={(deviceId) => engine.unpair(deviceId)}
      onSend={(deviceId, item) => engine.sendItem(deviceId, item)}
      onSendFiles={async (deviceIds, picked) => {
        const toSend = picked.map((file) => ({
          name: file.name,
          size: file.size,
          type: file.type,
          data: file,
        }));
        for (const deviceId of deviceIds) await engine.sendFiles(deviceId, toSend);
      }}
      nearbyActions={nearbyActions}
      onSetVisible={(visible) => engine.setVisible(visible)}
      onRemoveItem={(id) => engine.removeInboxItem(id)}
      onCancelOutbox={(id) => engine.cancelTransfer(id)}
      onSetAutoAccept={(deviceId, autoAccept) => engine.setAutoAccept(deviceId, autoAccept)}
      transferActions={transferActions}
      files={files}
    />
  );
}

function useAppUpdates(updates: AppUpdates): AppUpdateView {
  const [view, setView] = useState(updates.view);
  useEffect(() => {
    setView(updates.view);
    return updates.subscribe(setView);
  }, [updates]);
  return view;
}

function useTransferActions(engine: Engine): TransferActions {
  const [actions] = useState<TransferActions>(() => ({
    onAccept: (id) => engine.acceptTransfer(id),
    onDecline: async (id) => engine.declineTransfer(id),
    onCancel: (id) => engine.cancelTransfer(id),
  }));
  return actions;
}

function useNearbyActions(engine: Engine): NearbyActions {
  const [actions] = useState<NearbyActions>(() => ({
    async onSendFiles(peerId, picked) {
      const toSend = picked.map((file) => ({
        name: file.name,
        size: file.size,
        type: file.type,
        data: file,
      }));
      await engine.sendFilesNearby(peerId, toSend);
    },
    async onConnect(peerId) {
      await engine.connectNearby(peerId);
    },
    async onRequestPairing(deviceId) {
      engine.requestPairing(deviceId);
    },
    async onDeclinePairing(deviceId) {
      engine.declinePairing(deviceId);
    },
  }));
  return actions;
}

/** A tab in the background still shows that files wait for a decision. */
function useOffersInTitle(offers: number): void {
  useEffect(() => {
    document.title = offers > 0 ? `(${offers}) Accept files? · DirectDrop` : 'DirectDrop';
  }, [offers]);
}

function StartupScreen({
  startup,
  pairing,
}: {
  startup: Exclude<Startup, { state: 'open' }>;
  pairing: PairingProgress | undefined;
}) {
  return (
    <main class="notice-screen">
      <LogoMark size={48} />
      {pairing ? <PairingStatus progress={pairing} /> : null}
      {startup.state === 'opening' ? (
        <p class="muted" role="status">
          Starting DirectDrop…
        </p>
      ) : (
        <>
          <h1>DirectDrop couldn’t start</h1>
          <p>{startup.error}</p>
          <Button variant="primary" onClick={() => location.reload()}>
            Reload
          </Button>
        </>
      )}
    </main>
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
