// A connection whose secure setup fails, over real PeerJS, a real PeerServer and real WebRTC: the answering
// side is handed an offer whose DTLS fingerprint is not the offerer's, so the DTLS handshake fails after
// ICE has connected. PeerJS watches only the ICE state, which stays "connected"; the network must notice
// the failure itself, say so, and dial once more on a fresh connection.

import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { DirectDropServer } from '../../server/app';
import { PeerJsNetwork, signallingServerFromUrl } from '../../utils/peerjs-network';
import { realClock } from '../helpers/node-env';
import { startServer } from '../helpers/peerjs-engine';

const RealPeerConnection = globalThis.RTCPeerConnection;
let server: DirectDropServer;
const networks: PeerJsNetwork[] = [];

beforeAll(async () => {
  server = await startServer();
});

afterEach(() => {
  globalThis.RTCPeerConnection = RealPeerConnection;
  for (const network of networks.splice(0)) network.close();
});

afterAll(async () => {
  await server?.close();
});

/** From now on, the next `count` offers applied anywhere carry a made-up DTLS fingerprint. */
function forgeNextOffers(count: number): { readonly forged: number } {
  const state = { forged: 0 };
  class ForgingPeerConnection extends RealPeerConnection {
    override setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      if (description.type !== 'offer' || state.forged >= count || !description.sdp) {
        return super.setRemoteDescription(description);
      }
      state.forged += 1;
      const fake = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
      const sdp = description.sdp.replace(/a=fingerprint:sha-256 \S+/, `a=fingerprint:sha-256 ${fake}`);
      return super.setRemoteDescription({ type: 'offer', sdp });
    }
  }
  globalThis.RTCPeerConnection = ForgingPeerConnection;
  return state;
}

async function onlineNetwork(): Promise<PeerJsNetwork> {
  const network = new PeerJsNetwork({
    server: signallingServerFromUrl(server.httpUrl),
    iceServers: [],
    credentials: { peerId: randomBytes(16).toString('hex'), token: randomBytes(16).toString('hex') },
    clock: realClock,
  });
  networks.push(network);
  if (network.status !== 'online') {
    await new Promise<void>((resolve) => {
      const stop = network.onStatus((status) => {
        if (status !== 'online') return;
        stop();
        resolve();
      });
    });
  }
  return network;
}

it('a connection whose DTLS handshake fails is reported as that, not as a device that did not answer', async () => {
  const [caller, callee] = await Promise.all([onlineNetwork(), onlineNetwork()]);
  const forging = forgeNextOffers(Number.POSITIVE_INFINITY);
  // The limit is the engine's; without the failure being noticed, the call would end in "did not answer".
  await expect(caller.connect(callee.localPeerId, 15_000)).rejects.toThrow(
    'the secure connection could not be set up',
  );
  // Both attempts met the forged fingerprint: the failure was seen twice, not waited out once.
  expect(forging.forged).toBe(2);
});

it('a connection whose first setup fails is dialled again and opens', async () => {
  const [caller, callee] = await Promise.all([onlineNetwork(), onlineNetwork()]);
  const received = new Promise<string>((resolve) => {
    callee.onIncoming((transport) => transport.onMessage((data) => resolve(String(data))));
  });
  const forging = forgeNextOffers(1);
  const transport = await caller.connect(callee.localPeerId, 15_000);
  expect(forging.forged).toBe(1);
  transport.send('hello');
  expect(await received).toBe('hello');
});
