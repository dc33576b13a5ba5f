// A compromised signalling server's attack: answer the caller itself and open a second connection of its
// own to the real target, relaying every frame between the two. Each side then sees the relay's DTLS
// certificate, not the other device's.

import type { Transport } from '../../core/transport';
import { channelPair, type MemoryHub, type MemoryNetwork } from './memory-network';

export async function relayInTheMiddle(
  hub: MemoryHub,
  from: MemoryNetwork,
  target: string,
): Promise<Transport> {
  const victim = hub.peers.get(target);
  if (!victim) throw new Error('no target');
  const [callerEnd, relayFront] = channelPair(from.localPeerId, target);
  const [relayBack, targetEnd] = channelPair(from.localPeerId, target);
  relayFront.onMessage((frame) => relayBack.send(frame));
  relayBack.onMessage((frame) => relayFront.send(frame));
  relayFront.onClose(() => relayBack.close());
  relayBack.onClose(() => relayFront.close());
  queueMicrotask(() => victim.accept(targetEnd));
  return callerEnd;
}
