// Turns messages as stored (CloudWatch events or file lines) back into whole transcript lines: joins split parts,
// and drops copies a retried upload left behind (same seq, same sha256). Shared by `audit verify`, the ledgers
// and the post-step upload, so they all read a stream the same way. Memory: the last DUPLICATE_WINDOW seqs
// and one split line.
import { parseAuditMessage, sha256Hex, type AuditEvent } from './events.js';
import { MAX_BATCH_EVENTS } from './batch.js';

/** A retried PutLogEvents call repeats at most one batch, so this many recent seqs cover any copy. */
export const DUPLICATE_WINDOW = MAX_BATCH_EVENTS;
const RECENT_SPLITS = 8;

export interface StoredLine {
  line: string;
  event: AuditEvent;
  sha256: string;
}

interface Split {
  of: string;
  n: number;
  texts: string[];
}

export class StoredLineReader {
  /** Events and parts skipped because an identical copy was already read. */
  duplicates = 0;
  private split: Split | undefined;
  private readonly seen = new Map<number, string>();
  /** Part hashes of recently completed splits, so a repeated part of a finished split reads as a copy. */
  private readonly recentSplits = new Map<string, string[]>();

  /** `report` receives every problem found (the ledger ignores them; verify lists them). */
  constructor(private readonly report: (problem: string) => void = () => undefined) {}

  /** The next whole, first-seen line, or undefined (a part, a copy, or a message that could not be used). */
  add(message: string, where: string): StoredLine | undefined {
    const parsed = parseAuditMessage(message, where);
    if (parsed.type === 'part') return this.addPart(parsed, where);
    const sha256 = sha256Hex(message);
    if (this.isCopy(parsed, sha256, where)) return undefined;
    if (this.split) {
      this.report(`${where}: split event ${this.split.of.slice(0, 12)} is missing parts (${this.split.texts.length} of ${this.split.n} found)`);
      this.split = undefined;
    }
    return this.accept(message, parsed as AuditEvent, sha256);
  }

  /** Call at the end of the stream: an unfinished split line is reported. */
  finish(): void {
    if (this.split) this.report(`the transcript ends inside split event ${this.split.of.slice(0, 12)} (${this.split.texts.length} of ${this.split.n} parts found)`);
    this.split = undefined;
  }

  /** True while a split line is incomplete. */
  get insideSplit(): boolean {
    return this.split !== undefined;
  }

  private isCopy(event: Record<string, unknown>, sha256: string, where: string): boolean {
    if (typeof event.seq !== 'number') return false;
    const earlier = this.seen.get(event.seq);
    if (earlier === undefined) return false;
    if (earlier === sha256) {
      this.duplicates += 1;
      return true;
    }
    this.report(`${where}: seq ${event.seq} appears twice with different content (one copy was edited)`);
    return true;
  }

  private accept(line: string, event: AuditEvent, sha256: string): StoredLine {
    if (typeof event.seq === 'number') {
      this.seen.set(event.seq, sha256);
      if (this.seen.size > DUPLICATE_WINDOW) this.seen.delete(this.seen.keys().next().value as number);
    }
    return { line, event, sha256 };
  }

  private addPart(part: Record<string, unknown>, where: string): StoredLine | undefined {
    const { of, i, n, text } = part;
    if (typeof of !== 'string' || typeof i !== 'number' || typeof n !== 'number' || typeof text !== 'string' || i < 0 || i >= n) {
      this.report(`${where}: malformed part event`);
      return undefined;
    }
    const label = `part ${i + 1}/${n} of split event ${of.slice(0, 12)}`;
    const done = this.recentSplits.get(of);
    if (done) {
      if (done[i] === sha256Hex(text)) this.duplicates += 1;
      else this.report(`${where}: ${label} repeats a finished split event with different content (edited)`);
      return undefined;
    }
    if (this.split?.of === of && i < this.split.texts.length) {
      if (this.split.texts[i] === text) this.duplicates += 1;
      else this.report(`${where}: ${label} appears twice with different content (edited)`);
      return undefined;
    }
    if (this.split && this.split.of !== of) {
      this.report(`${where}: split event ${this.split.of.slice(0, 12)} is missing parts (${this.split.texts.length} of ${this.split.n} found)`);
      this.split = undefined;
    }
    this.split ??= { of, n, texts: [] };
    if (i !== this.split.texts.length) {
      this.report(`${where}: ${label} is out of order or its neighbours were deleted`);
      if (this.split.texts.length === 0) this.split = undefined;
      return undefined;
    }
    this.split.texts.push(text);
    return this.split.texts.length === n ? this.completeSplit(where) : undefined;
  }

  private completeSplit(where: string): StoredLine | undefined {
    const { of, texts } = this.split!;
    this.split = undefined;
    this.recentSplits.set(of, texts.map((t) => sha256Hex(t)));
    if (this.recentSplits.size > RECENT_SPLITS) this.recentSplits.delete(this.recentSplits.keys().next().value as string);
    const line = texts.join('');
    const sha256 = sha256Hex(line);
    if (sha256 !== of) {
      this.report(`${where}: reassembled split event does not match its hash (edited)`);
      return undefined;
    }
    const event = parseAuditMessage(line, `${where} (reassembled)`);
    if (this.isCopy(event, sha256, where)) return undefined;
    return this.accept(line, event as AuditEvent, sha256);
  }
}
