// An independent check of an audit transcript's hash chain, for tests: it imports nothing from src/, so a bug
// in the code that writes the chain (src/audit/transcript.ts, events.ts) or in the verifier that ships with it
// (src/audit/verify.ts, stored-lines.ts) cannot also hide itself here. Written from the format as documented:
// - each stored message is one JSON line, or a `{"type":"part","of":<sha256 of the whole line>,"i","n","text"}`
//   piece of a line too big for one CloudWatch event; the pieces, joined in order, are the raw line;
// - lines carry `seq` 0, 1, 2, … with no gaps, and `prev` = sha256 (hex) of the previous raw line ("" for seq 0);
// - a retried upload may store an identical copy of a line or part again: counted, not an error.
import { createHash } from 'node:crypto';

export interface IndependentChainReport {
  ok: boolean;
  problems: string[];
  /** Whole lines accepted (parts reassembled, copies skipped), in seq order. */
  events: number;
  /** Messages that were parts of split lines. */
  parts: number;
  /** Identical copies skipped (retried uploads). */
  duplicates: number;
  /** seq and sha256 of the last line. */
  head?: { seq: number; sha256: string };
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

interface OpenSplit {
  of: string;
  n: number;
  texts: string[];
  where: string;
}

export class IndependentChainCheck {
  private readonly problems: string[] = [];
  private readonly hashBySeq: string[] = [];
  private readonly finishedSplits = new Map<string, string[]>();
  private split: OpenSplit | undefined;
  private parts = 0;
  private duplicates = 0;

  add(message: string, where: string): void {
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      return void this.problems.push(`${where}: not JSON`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return void this.problems.push(`${where}: not a JSON object`);
    const record = value as Record<string, unknown>;
    if (record.type === 'part') return this.addPart(record, where);
    this.closeIncompleteSplit(where);
    this.addLine(message, record, where);
  }

  finish(): IndependentChainReport {
    if (this.split) this.problems.push(`the transcript ends inside the split line ${this.split.of.slice(0, 12)} (${this.split.texts.length} of ${this.split.n} parts)`);
    this.split = undefined;
    if (this.hashBySeq.length === 0) this.problems.push('no events');
    const last = this.hashBySeq.length - 1;
    return {
      ok: this.problems.length === 0,
      problems: this.problems,
      events: this.hashBySeq.length,
      parts: this.parts,
      duplicates: this.duplicates,
      ...(last >= 0 ? { head: { seq: last, sha256: this.hashBySeq[last]! } } : {}),
    };
  }

  private addLine(raw: string, event: Record<string, unknown>, where: string): void {
    const expected = this.hashBySeq.length;
    const hash = sha256(raw);
    if (event.seq === expected) {
      const prev = expected === 0 ? '' : this.hashBySeq[expected - 1]!;
      if (event.prev !== prev) this.problems.push(`${where}: seq ${expected} has prev ${String(event.prev).slice(0, 12)}…, but sha256 of the line before is ${prev.slice(0, 12) || '""'}`);
      this.hashBySeq.push(hash);
      return;
    }
    if (typeof event.seq === 'number' && event.seq < expected && this.hashBySeq[event.seq] === hash) return void (this.duplicates += 1);
    this.problems.push(`${where}: seq ${String(event.seq)} where seq ${expected} was expected`);
  }

  private addPart(part: Record<string, unknown>, where: string): void {
    this.parts += 1;
    const { of, i, n, text } = part;
    if (typeof of !== 'string' || !Number.isInteger(i) || !Number.isInteger(n) || typeof text !== 'string') return void this.problems.push(`${where}: malformed part`);
    const index = i as number;
    const count = n as number;
    const finished = this.finishedSplits.get(of);
    if (finished) {
      if (finished[index] === text) this.duplicates += 1;
      else this.problems.push(`${where}: part ${index} of the finished split line ${of.slice(0, 12)} again, with other text`);
      return;
    }
    if (this.split && this.split.of !== of) this.closeIncompleteSplit(where);
    if (!this.split) {
      if (index !== 0) return void this.problems.push(`${where}: part ${index} of ${of.slice(0, 12)} without the parts before it`);
      this.split = { of, n: count, texts: [], where };
    }
    const split = this.split;
    if (index < split.texts.length) {
      if (split.texts[index] === text) this.duplicates += 1;
      else this.problems.push(`${where}: part ${index} of ${of.slice(0, 12)} twice, with different text`);
      return;
    }
    if (index !== split.texts.length || count !== split.n) return void this.problems.push(`${where}: part ${index}/${count} of ${of.slice(0, 12)} out of order (expected ${split.texts.length}/${split.n})`);
    split.texts.push(text);
    if (split.texts.length < split.n) return;
    this.split = undefined;
    this.finishedSplits.set(of, split.texts);
    const raw = split.texts.join('');
    if (sha256(raw) !== of) return void this.problems.push(`${split.where}: the ${split.n} parts of ${of.slice(0, 12)} joined do not hash to it`);
    let event: unknown;
    try {
      event = JSON.parse(raw);
    } catch {
      return void this.problems.push(`${split.where}: the reassembled line ${of.slice(0, 12)} is not JSON`);
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return void this.problems.push(`${split.where}: the reassembled line ${of.slice(0, 12)} is not a JSON object`);
    this.addLine(raw, event as Record<string, unknown>, `${split.where} (reassembled from ${split.n} parts)`);
  }

  private closeIncompleteSplit(where: string): void {
    if (!this.split) return;
    this.problems.push(`${where}: the split line ${this.split.of.slice(0, 12)} stops after ${this.split.texts.length} of ${this.split.n} parts`);
    this.split = undefined;
  }
}

/** Checks messages in stored order. */
export function checkChainIndependently(messages: Iterable<string>, label = 'message'): IndependentChainReport {
  const check = new IndependentChainCheck();
  let n = 0;
  for (const message of messages) check.add(message, `${label} ${++n}`);
  return check.finish();
}
