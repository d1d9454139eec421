// Receiver side of the sequenced stream: ack rules, duplicate re-ack and the reorder buffer
// (protocol doc section 3). Pure: the caller sends the acks and handles delivered messages.
import type { DecodedMessage } from './message.js';

export const DEFAULT_REORDER_CAPACITY = 100_000;

export interface InboundDecision {
  /** Messages to ack now, in order. */
  ack: DecodedMessage[];
  /** Messages now deliverable in sequence order. */
  deliver: DecodedMessage[];
}

export class InboundSequencer {
  private expected = 0n;
  private readonly pending = new Map<bigint, DecodedMessage>();

  constructor(private readonly capacity = DEFAULT_REORDER_CAPACITY) {}

  get expectedSequence(): bigint {
    return this.expected;
  }

  get bufferedCount(): number {
    return this.pending.size;
  }

  /**
   * Accept one validated stream message. In-order messages and anything buffered behind them are
   * delivered; early ones are acked and buffered; duplicates are re-acked so a lost ack stops resends.
   * `ready` false means the consumer cannot take data yet: no ack, no advance, the sender resends.
   */
  accept(message: DecodedMessage, ready = true): InboundDecision {
    const seq = message.sequenceNumber;
    if (seq < this.expected) return { ack: [message], deliver: [] };
    if (seq > this.expected) {
      if (this.pending.has(seq)) return { ack: [message], deliver: [] };
      if (this.pending.size >= this.capacity) return { ack: [], deliver: [] };
      this.pending.set(seq, message);
      return { ack: [message], deliver: [] };
    }
    if (!ready) return { ack: [], deliver: [] };
    const deliver = [message];
    this.expected += 1n;
    for (let next = this.pending.get(this.expected); next; next = this.pending.get(this.expected)) {
      this.pending.delete(this.expected);
      deliver.push(next);
      this.expected += 1n;
    }
    return { ack: [message], deliver };
  }
}
