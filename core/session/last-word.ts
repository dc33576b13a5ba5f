// Closing a connection whose handshake this device refused. The refusal (a `reject` naming the reason)
// is the last thing sent on it, and closing the connection at once can tear it down with the reject still
// in its buffers: the other side then sees only a closed connection, and a device that was unpaired while
// away never learns it and keeps dialling. So the connection stays open until the other side, having read
// the reject, closes it, and at most LAST_WORD_MS.

import type { Clock } from '../clock';
import type { Transport } from '../transport';
import { HandshakeError } from './handshake';

export const LAST_WORD_MS = 2_000;

export function closeAfterHandshakeFailure(transport: Transport, error: unknown, clock: Clock): void {
  const weRefused = error instanceof HandshakeError && !error.byRemote && error.reason !== 'closed';
  if (!weRefused || !transport.isOpen) {
    transport.close();
    return;
  }
  const cancel = clock.setTimeout(() => transport.close(), LAST_WORD_MS);
  transport.onClose(() => {
    cancel();
    transport.close();
  });
}
