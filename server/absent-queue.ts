// Signalling messages for a peer id that is not connected (yet): PeerJS holds them for a few seconds so an
// offer survives its destination reconnecting, and tells the sender EXPIRE when they time out. The `peer`
// package's own queue has no bound at all (16 sockets sending 60 KiB offers to made-up ids held 300 MiB), so
// it is never used: this one holds the messages instead, bounded in bytes per sender socket, per client
// address and in total. A message beyond a bound is not held and its sender is told EXPIRE at once, which
// is what it would have heard a few seconds later anyway.

export interface AbsentQueueLimits {
  /** How long a message waits for its destination (peer's `expire_timeout`). */
  holdMs: number;
  perSenderBytes: number;
  perAddressBytes: number;
  totalBytes: number;
}

export const DEFAULT_ABSENT_QUEUE_LIMITS: AbsentQueueLimits = {
  holdMs: 5_000,
  // An offer and its candidates are a few KiB; this is one maximum-size message and then some.
  perSenderBytes: 128 * 1024,
  perAddressBytes: 512 * 1024,
  totalBytes: 8 * 1024 * 1024,
};

export interface HeldMessage {
  readonly senderId: string;
  readonly dst: string;
  readonly bytes: number;
  readonly at: number;
  /** Hands the message to peer as if its sender sent it now. */
  readonly deliver: () => void;
  /** Tells the sender that the destination never came (EXPIRE). */
  readonly expire: () => void;
}

interface Entry extends HeldMessage {
  readonly sender: object;
  readonly address: string;
}

export class AbsentQueue {
  readonly #limits: AbsentQueueLimits;
  /** Every held message, oldest first: expiry only ever looks at the head. */
  readonly #fifo = new Set<Entry>();
  readonly #byDst = new Map<string, Entry[]>();
  readonly #bySender = new Map<object, number>();
  readonly #byAddress = new Map<string, number>();
  #total = 0;
  /** Messages refused for being over a bound, since the server started. */
  refused = 0;

  constructor(limits: AbsentQueueLimits = DEFAULT_ABSENT_QUEUE_LIMITS) {
    this.#limits = limits;
  }

  get bytes(): number {
    return this.#total;
  }

  /** Holds a message; false (and nothing held) when that would exceed a bound. */
  hold(sender: object, address: string, message: HeldMessage): boolean {
    const { bytes } = message;
    const senderBytes = (this.#bySender.get(sender) ?? 0) + bytes;
    const addressBytes = (this.#byAddress.get(address) ?? 0) + bytes;
    if (
      senderBytes > this.#limits.perSenderBytes ||
      addressBytes > this.#limits.perAddressBytes ||
      this.#total + bytes > this.#limits.totalBytes
    ) {
      this.refused++;
      return false;
    }
    const entry: Entry = { ...message, sender, address };
    this.#bySender.set(sender, senderBytes);
    this.#byAddress.set(address, addressBytes);
    this.#total += bytes;
    this.#fifo.add(entry);
    const list = this.#byDst.get(message.dst);
    if (list) list.push(entry);
    else this.#byDst.set(message.dst, [entry]);
    return true;
  }

  /** The destination connected: its messages are delivered in the order they were sent. */
  arrived(dst: string): void {
    const list = this.#byDst.get(dst);
    if (!list) return;
    this.#byDst.delete(dst);
    for (const entry of list) this.#release(entry);
    for (const entry of list) entry.deliver();
  }

  /** Drops what waited too long; each sender hears EXPIRE once per destination, as from peer. */
  expire(now: number): void {
    const told = new Set<string>();
    for (const entry of this.#fifo) {
      if (now - entry.at < this.#limits.holdMs) break;
      this.#release(entry);
      const list = this.#byDst.get(entry.dst);
      // Messages to one destination are held in the order they came, so this one is the first.
      if (list) {
        list.shift();
        if (list.length === 0) this.#byDst.delete(entry.dst);
      }
      const pair = `${entry.senderId}>${entry.dst}`;
      if (!told.has(pair)) {
        told.add(pair);
        entry.expire();
      }
    }
  }

  #release(entry: Entry): void {
    this.#fifo.delete(entry);
    this.#total -= entry.bytes;
    decrement(this.#bySender, entry.sender, entry.bytes);
    decrement(this.#byAddress, entry.address, entry.bytes);
  }
}

function decrement<K>(map: Map<K, number>, key: K, by: number): void {
  const left = (map.get(key) ?? 0) - by;
  if (left <= 0) map.delete(key);
  else map.set(key, left);
}
