// The slice of an authenticated session a transfer uses: control messages, data frames, and
// backpressure from the data channel's own buffer (driven by the bufferedamountlow event, never polled).

import type { TransferMessage } from '../protocol/messages';

export interface TransferPort {
  readonly isOpen: boolean;
  /** Largest data frame the channel carries, header included. */
  readonly maxFrameBytes: number;
  sendControl(message: TransferMessage): void;
  /** Copies the frame before it returns, so the sender may reuse the buffer for the next one. */
  sendData(frame: Uint8Array): void;
  /** Resolves at once while the outgoing buffer is below its high-water mark, else when it drains. */
  whenWritable(): Promise<void>;
}

export class TransferClosedError extends Error {
  override name = 'TransferClosedError';
}
