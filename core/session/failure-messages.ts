// Handshake failures in words a user can act on. A verification failure is worded the same on both
// sides, because either side may be the one that detects it, and does not send the user to "a network
// they trust": the interference may come from the DirectDrop server itself, which any network reaches.

import type { HandshakeError } from './handshake';

export const VERIFICATION_FAILED =
  'The connection could not be verified, so DirectDrop closed it. Someone in between, possibly the DirectDrop server itself, may be interfering. Pair with the QR code rather than over Nearby, check the server address in the settings, or use a server you run yourself.';

export function describeHandshakeFailure(error: HandshakeError): string {
  switch (error.reason) {
    case 'bad-proof':
    case 'wrong-device':
      return VERIFICATION_FAILED;
    case 'not-paired':
      return 'The other device no longer has this device paired. Pair them again to send.';
    case 'pairing-expired':
      return 'This pairing code has expired. Show a new code on the desktop and scan it again.';
    case 'pairing-used':
      return 'This pairing code was already used. Show a new code on the desktop and scan it again.';
    case 'pairing-unknown':
      return 'This pairing code is not valid any more. Show a new code on the desktop and scan it again.';
    case 'version':
      return 'The other device runs an incompatible version of DirectDrop. Update both devices.';
    case 'timeout':
      return 'The other device did not answer in time.';
    case 'busy':
      return 'The other device takes no more connections from devices it is not paired with for a few minutes. Try again later, or pair with the QR code.';
    case 'duplicate':
      return 'The devices connected to each other twice at once; one connection was kept.';
    case 'closed':
      return 'The connection closed before the devices could verify each other.';
    case 'protocol':
      return 'The other device sent something DirectDrop does not understand, so the connection was closed.';
  }
}
