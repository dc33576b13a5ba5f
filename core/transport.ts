// The two small interfaces core/ speaks instead of PeerJS: a PeerNetwork (the device's presence on the
// signalling server, able to open and accept connections) and a Transport (one open data channel with the
// facts the handshake needs). Adapters implement them over PeerJS; tests implement them in memory.

export type NetworkStatus = 'connecting' | 'online' | 'offline';

/** How the bytes travel: read from the selected ICE candidate pair. */
export type ConnectionPath = 'lan' | 'internet' | 'relay' | 'unknown';

export interface DtlsFingerprints {
  /** Fingerprint of this end's DTLS certificate, as this end sees it (e.g. "sha-256 AB:CD:..."). */
  local: string;
  /** Fingerprint of the other end's DTLS certificate, as this end sees it. */
  remote: string;
}

export type Unsubscribe = () => void;

export interface Transport {
  readonly remotePeerId: string;
  /** True on the side that opened the connection. */
  readonly initiator: boolean;
  readonly isOpen: boolean;
  fingerprints(): Promise<DtlsFingerprints>;
  path(): Promise<ConnectionPath>;
  /** Copies binary data before it returns (as RTCDataChannel.send does), so callers may reuse the buffer. */
  send(data: string | Uint8Array): void;
  /** Largest message the channel carries (SCTP maxMessageSize). */
  readonly maxMessageSize: number;
  /** Bytes queued in the channel and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Resolves once bufferedAmount is at or below `threshold` (driven by bufferedamountlow, never polled). */
  whenBufferedBelow(threshold: number): Promise<void>;
  /** Messages that arrive before the first listener is attached are held (boundedly) and delivered to it. */
  onMessage(listener: (data: string | Uint8Array) => void): Unsubscribe;
  onClose(listener: () => void): Unsubscribe;
  close(): void;
}

export class PeerUnavailableError extends Error {
  constructor(readonly peerId: string) {
    super('The device is not connected to the signalling server.');
    this.name = 'PeerUnavailableError';
  }
}

export interface PeerNetwork {
  readonly localPeerId: string;
  readonly status: NetworkStatus;
  /** Last problem reaching the server, in words a user can act on; undefined while all is well. */
  readonly problem: string | undefined;
  onStatus(listener: (status: NetworkStatus) => void): Unsubscribe;
  /** Incoming connections, delivered once their channel is open. */
  onIncoming(listener: (transport: Transport) => void): Unsubscribe;
  /** The server refused our id (held by someone else with another token); the owner must pick a new id. */
  onIdRejected(listener: () => void): Unsubscribe;
  /** Opens a channel to a peer; rejects with PeerUnavailableError when the peer is not online. */
  connect(remotePeerId: string, timeoutMs: number): Promise<Transport>;
  close(): void;
}
