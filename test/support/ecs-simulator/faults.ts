// Seeded fault injection for one direction of the data channel: drop, duplicate, reorder (held back and
// released on the next tick, behind later frames) and, outgoing only, a copy whose payload is corrupted while its
// digest stays that of the intact payload (what a bit error in transit looks like).
export interface FaultRates {
  dropRate?: number;
  duplicateRate?: number;
  reorderRate?: number;
  /**
   * Send a copy with one payload byte flipped and the original digest instead of the frame: a receiver that
   * checks digests drops it unacked and takes the resend; one that does not delivers the wrong byte.
   */
  badDigestRate?: number;
}

export interface FaultCounts {
  dropped: number;
  duplicated: number;
  reordered: number;
  badDigest: number;
}

export function emptyCounts(): FaultCounts {
  return { dropped: 0, duplicated: 0, reordered: 0, badDigest: 0 };
}

export class FaultInjector {
  private held: Buffer[] = [];

  constructor(
    private readonly rates: FaultRates,
    private readonly random: () => number,
    readonly counts: FaultCounts,
  ) {}

  /** Frames to pass on now for one frame offered. */
  apply(frame: Buffer): Buffer[] {
    const r = this.rates;
    const roll = this.random();
    let edge = r.dropRate ?? 0;
    if (roll < edge) return void this.counts.dropped++, [];
    edge += r.reorderRate ?? 0;
    if (roll < edge) {
      this.counts.reordered++;
      this.held.push(frame);
      return [];
    }
    edge += r.badDigestRate ?? 0;
    if (roll < edge && frame.length > PAYLOAD_OFFSET) {
      this.counts.badDigest++;
      return [corruptPayload(frame, this.random())];
    }
    if (this.random() < (r.duplicateRate ?? 0)) {
      this.counts.duplicated++;
      return [frame, frame];
    }
    return [frame];
  }

  release(): Buffer[] {
    return this.held.splice(0);
  }
}

const PAYLOAD_OFFSET = 120;

/** A copy of the frame with one payload byte flipped; header and digest untouched. */
export function corruptPayload(frame: Buffer, where: number): Buffer {
  const bad = Buffer.from(frame);
  const at = PAYLOAD_OFFSET + Math.min(bad.length - PAYLOAD_OFFSET - 1, Math.floor(where * (bad.length - PAYLOAD_OFFSET)));
  bad[at] = (bad[at] ?? 0) ^ 0xff;
  return bad;
}

/** mulberry32: small, deterministic, good enough for reproducible fault runs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
