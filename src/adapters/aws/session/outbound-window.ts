// Sender side of the sequenced stream: numbering, unacked list, RTO-driven resend of the oldest
// message, pause/start publication (protocol doc section 5, Appendix B step 7). Pure: time is passed in.
import { initialRtoState, updateRto, type RtoState } from './rto.js';

export interface OutboundEntry {
  sequenceNumber: bigint;
  frame: Buffer;
  firstSentMs: number;
  lastSentMs: number;
  resends: number;
}

export class OutboundWindow {
  private nextSeq = 0n;
  // Insertion-ordered map: O(1) ack by sequence number, oldest entry first (large outputs stay linear).
  private readonly unacked = new Map<bigint, OutboundEntry>();
  private rto: RtoState = initialRtoState();
  private paused = false;

  /** Sequence number for the next stream message; numbering starts at 0. */
  allocateSequence(): bigint {
    const seq = this.nextSeq;
    this.nextSeq += 1n;
    return seq;
  }

  recordSent(sequenceNumber: bigint, frame: Buffer, nowMs: number): void {
    this.unacked.set(sequenceNumber, { sequenceNumber, frame, firstSentMs: nowMs, lastSentMs: nowMs, resends: 0 });
  }

  /** Remove the first entry with this sequence number; RTT is sampled only from never-resent entries. */
  acknowledge(sequenceNumber: number | bigint, nowMs: number): boolean {
    const key = BigInt(sequenceNumber);
    const entry = this.unacked.get(key);
    if (!entry) return false;
    this.unacked.delete(key);
    if (entry.resends === 0) this.rto = updateRto(this.rto, Math.max(0, nowMs - entry.firstSentMs));
    return true;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  /** The oldest unacked frame if its RTO has expired (and publication is not paused); updates its send time. */
  takeDueResend(nowMs: number): OutboundEntry | undefined {
    if (this.paused) return undefined;
    const oldest = this.oldest();
    if (!oldest || nowMs - oldest.lastSentMs <= this.rto.rtoMs) return undefined;
    oldest.lastSentMs = nowMs;
    oldest.resends += 1;
    return oldest;
  }

  /** Milliseconds the oldest unacked message has waited since first sent (for a give-up bound). */
  oldestAgeMs(nowMs: number): number {
    const oldest = this.oldest();
    return oldest ? nowMs - oldest.firstSentMs : 0;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  private oldest(): OutboundEntry | undefined {
    return this.unacked.values().next().value;
  }

  get rtoMs(): number {
    return this.rto.rtoMs;
  }
}
