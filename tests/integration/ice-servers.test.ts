// No connection ever uses PeerJS's default ICE servers (Google's STUN, PeerJS's TURN), which would hand
// every user's addresses to third parties: the one place that builds PeerJS's options always passes an
// explicit, checked list, empty unless one was chosen. Checked on real PeerJS, a real PeerServer and real
// WebRTC (node-datachannel), by recording what every negotiating RTCPeerConnection was configured with.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DirectDropServer } from '../../server/app';
import {
  PeerJsNetwork,
  type PeerJsNetworkOptions,
  peerConnectionConfig,
  signallingServerFromUrl,
} from '../../utils/peerjs-network';
import { realClock } from '../helpers/node-env';
import { startServer } from '../helpers/peerjs-engine';
import { within } from './server-harness';

const Original = globalThis.RTCPeerConnection;
/** Every RTCPeerConnection made while a test runs. */
const made: RTCPeerConnection[] = [];
/** Called whenever one of them has set a local description. */
const onNegotiated = new Set<() => void>();
const Recording = new Proxy(Original, {
  construct(target, args: [RTCConfiguration?]) {
    const pc = Reflect.construct(target, args) as RTCPeerConnection;
    made.push(pc);
    const setLocal = pc.setLocalDescription.bind(pc);
    pc.setLocalDescription = async (description?: RTCLocalSessionDescriptionInit) => {
      await setLocal(description);
      for (const notify of [...onNegotiated]) notify();
    };
    return pc;
  },
});

/** The ICE servers of every connection that negotiated (and so gathered candidates through them). */
function negotiatedIceServers(): Array<RTCIceServer[] | undefined> {
  return made.filter((pc) => pc.localDescription !== null).map((pc) => pc.getConfiguration().iceServers);
}

let server: DirectDropServer;
const networks: PeerJsNetwork[] = [];

beforeAll(async () => {
  server = await startServer();
  globalThis.RTCPeerConnection = Recording;
});
afterEach(() => {
  for (const network of networks.splice(0)) network.close();
  made.length = 0;
});
afterAll(async () => {
  globalThis.RTCPeerConnection = Original;
  await server?.close();
});

let counter = 0;
function openNetwork(ice: Pick<PeerJsNetworkOptions, 'iceServers'>): Promise<PeerJsNetwork> {
  counter += 1;
  const network = new PeerJsNetwork({
    server: signallingServerFromUrl(server.httpUrl),
    credentials: {
      peerId: `${String(counter).padStart(2, '0')}${'0123456789abcdef'.repeat(2).slice(2)}`,
      token: `token${counter}abcdefghijklmnop`,
    },
    clock: realClock,
    ...ice,
  });
  networks.push(network);
  if (network.status === 'online') return Promise.resolve(network);
  return new Promise((resolve) => {
    const stop = network.onStatus((status) => {
      if (status !== 'online') return;
      stop();
      resolve(network);
    });
  });
}

/**
 * Dials from one network to the other and returns the ICE servers of the connections both sides
 * negotiated. Negotiating (setting a local description) is the moment a connection starts using its ICE
 * servers, so the test waits for that on both sides, not for the channel to open.
 */
async function dialAndRecord(
  callerIce: Pick<PeerJsNetworkOptions, 'iceServers'>,
  calleeIce: Pick<PeerJsNetworkOptions, 'iceServers'>,
): Promise<Array<RTCIceServer[] | undefined>> {
  const [caller, callee] = await Promise.all([openNetwork(callerIce), openNetwork(calleeIce)]);
  const dial = caller.connect(callee.localPeerId, 15_000);
  dial.catch(() => {});
  const negotiated = new Promise<void>((resolve) => {
    const check = (): void => {
      if (negotiatedIceServers().length < 2) return;
      onNegotiated.delete(check);
      resolve();
    };
    onNegotiated.add(check);
    check();
  });
  await within(negotiated, 'both connections negotiating', 15_000);
  return negotiatedIceServers();
}

describe('ICE servers', () => {
  it('are none when nothing was chosen, and a list from the server or the settings keeps only well-formed STUN/TURN entries', async () => {
    const hostile = [
      { urls: 'https://tracker.example/' },
      'stun:stun.l.google.com:19302',
      { urls: [] },
      { urls: ['turn:relay.example:3478', 'javascript:alert(1)'] },
      { urls: 'turn:relay.example:3478', username: 7 },
      null,
    ];
    // The caller was handed a hostile list, the callee no setting at all: neither uses any ICE server,
    // and in particular not PeerJS's defaults.
    const iceServers = await dialAndRecord({ iceServers: hostile }, {});
    expect(iceServers).toEqual([[], []]);
    expect(JSON.stringify(iceServers)).not.toMatch(/google|peerjs/);

    expect(peerConnectionConfig(hostile)).toEqual({ iceServers: [] });
    expect(peerConnectionConfig(undefined)).toEqual({ iceServers: [] });
    expect(peerConnectionConfig({ urls: 'stun:x' })).toEqual({ iceServers: [] });
    const chosen = [{ urls: ['turn:relay.example:3478?transport=tcp'], username: 'u', credential: 'c' }];
    expect(peerConnectionConfig(chosen)).toEqual({ iceServers: chosen });
    const many = Array.from({ length: 20 }, () => ({ urls: 'stun:s.example' }));
    expect(peerConnectionConfig(many).iceServers).toHaveLength(8);
  });
});
