// Groups log events into PutLogEvents batches within CloudWatch's limits. Pure.
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
export const MAX_BATCH_EVENTS = 10_000;
/** Stay well inside the 24 h span limit. */
export const MAX_BATCH_SPAN_MS = 23 * 3600 * 1000;

export interface PendingEvent {
  timestamp: number;
  message: string;
  bytes: number;
}

export class BatchBuffer {
  private events: PendingEvent[] = [];
  private size = 0;
  private lastTimestamp = 0;

  get length(): number {
    return this.events.length;
  }

  get bytes(): number {
    return this.size;
  }

  /** True when `message` at `timestamp` would not fit into the current batch. */
  wouldOverflow(message: string, timestamp: number): boolean {
    if (this.events.length === 0) return false;
    const cost = Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
    return (
      this.size + cost > MAX_BATCH_BYTES ||
      this.events.length + 1 > MAX_BATCH_EVENTS ||
      timestamp - this.events[0]!.timestamp > MAX_BATCH_SPAN_MS
    );
  }

  /** Adds an event; timestamps never go backwards (CloudWatch wants chronological order). */
  add(message: string, timestamp: number): void {
    const at = Math.max(timestamp, this.lastTimestamp);
    this.lastTimestamp = at;
    const bytes = Buffer.byteLength(message, 'utf8');
    this.events.push({ timestamp: at, message, bytes });
    this.size += bytes + EVENT_OVERHEAD_BYTES;
  }

  take(): PendingEvent[] {
    const taken = this.events;
    this.events = [];
    this.size = 0;
    return taken;
  }
}

/** The fewest PutLogEvents calls the limits allow for events of these sizes (for the bench). */
export function minimumBatchCount(totalMessageBytes: number, eventCount: number): number {
  return Math.max(Math.ceil((totalMessageBytes + EVENT_OVERHEAD_BYTES * eventCount) / MAX_BATCH_BYTES), Math.ceil(eventCount / MAX_BATCH_EVENTS));
}
