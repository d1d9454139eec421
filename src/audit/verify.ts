// Verifies a transcript read back from CloudWatch or a file: reassembles split parts, checks sequence numbers,
// the hash chain and each step's byte count and sha256. Exact duplicates (a retried batch whose first response
// was lost) are tolerated and counted; anything else out of place is reported as deleted, reordered or edited.
import { createHash, type Hash } from 'node:crypto';
import { decodeOutputBytes, sha256Hex, type AuditEvent } from './events.js';

export interface VerifyReport {
  ok: boolean;
  events: number;
  duplicatesIgnored: number;
  problems: string[];
  runFinished: boolean;
}

interface StepTally {
  bytes: number;
  hash: Hash;
}

/** Incremental verifier: feed raw messages in stored order, then call finish(). Memory is bounded by the step count. */
export class TranscriptVerifier {
  private readonly problems: string[] = [];
  private partsOf: string | undefined;
  private parts: string[] = [];
  private expectedParts = 0;
  private lastSeq = -1;
  private lastLine = '';
  private lastHash = '';
  private events = 0;
  private duplicates = 0;
  private runFinished = false;
  private readonly steps = new Map<number, StepTally>();

  addMessage(message: string, where: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(message) as Record<string, unknown>;
    } catch {
      this.problems.push(`${where}: not valid JSON (edited or foreign event)`);
      return;
    }
    if (parsed.type === 'part') return this.addPart(parsed, where);
    if (this.partsOf) {
      this.problems.push(`${where}: split event ${this.partsOf.slice(0, 12)} is missing parts`);
      this.resetParts();
    }
    this.addLine(message, parsed as AuditEvent, where);
  }

  finish(): VerifyReport {
    if (this.partsOf) this.problems.push(`the transcript ends inside split event ${this.partsOf.slice(0, 12)} (parts deleted)`);
    if (this.events === 0) this.problems.push('no audit events found');
    else if (!this.runFinished) this.problems.push(`the transcript ends at seq ${this.lastSeq} without run.finished (interrupted run or deleted tail)`);
    return { ok: this.problems.length === 0, events: this.events, duplicatesIgnored: this.duplicates, problems: this.problems, runFinished: this.runFinished };
  }

  private addPart(part: Record<string, unknown>, where: string): void {
    const { of, i, n, text } = part;
    if (typeof of !== 'string' || typeof i !== 'number' || typeof n !== 'number' || typeof text !== 'string') {
      this.problems.push(`${where}: malformed part event`);
      return;
    }
    if (i === 0) {
      if (this.partsOf) this.problems.push(`${where}: split event ${this.partsOf.slice(0, 12)} is missing parts`);
      this.partsOf = of;
      this.parts = [];
      this.expectedParts = n;
    }
    if (this.partsOf !== of || i !== this.parts.length) {
      if (this.partsOf === of && i === this.parts.length - 1) return void (this.duplicates += 1);
      this.problems.push(`${where}: part ${i + 1}/${n} of split event ${of.slice(0, 12)} is out of order or its neighbours were deleted`);
      return;
    }
    this.parts.push(text);
    if (this.parts.length < this.expectedParts) return;
    const line = this.parts.join('');
    this.resetParts();
    if (sha256Hex(line) !== of) return void this.problems.push(`${where}: reassembled split event does not match its hash (edited)`);
    this.addLine(line, JSON.parse(line) as AuditEvent, where);
  }

  private resetParts(): void {
    this.partsOf = undefined;
    this.parts = [];
  }

  private addLine(line: string, event: AuditEvent, where: string): void {
    const seq = event.seq;
    if (typeof seq !== 'number') return void this.problems.push(`${where}: event without seq`);
    if (seq === this.lastSeq && line === this.lastLine) return void (this.duplicates += 1);
    if (seq <= this.lastSeq) {
      this.problems.push(`${where}: event seq ${seq} (${event.type}) appears after seq ${this.lastSeq} (reordered or replayed)`);
      return;
    }
    if (seq > this.lastSeq + 1) {
      const missing = seq - this.lastSeq - 1;
      this.problems.push(`${where}: ${missing} event(s) missing before seq ${seq}: seq ${this.lastSeq + 1}${missing > 1 ? `–${seq - 1}` : ''} deleted or moved`);
    } else if (event.prev !== this.lastHash) {
      this.problems.push(
        seq === 0 ? `${where}: the first event has a non-empty prev (transcript head cut off)` : `${where}: hash chain broken: seq ${seq - 1} was edited (its sha256 does not match prev of seq ${seq})`,
      );
    }
    this.lastSeq = seq;
    this.lastLine = line;
    this.lastHash = sha256Hex(line);
    this.events += 1;
    this.checkStepEvent(event, where);
  }

  private checkStepEvent(event: AuditEvent, where: string): void {
    const index = event.index as number;
    if (event.type === 'step.started') this.steps.set(index, { bytes: 0, hash: createHash('sha256') });
    else if (event.type === 'step.output') {
      const tally = this.steps.get(index);
      if (!tally) return void this.problems.push(`${where}: output for step ${index} outside step.started/finished`);
      try {
        const bytes = decodeOutputBytes(event);
        tally.bytes += bytes.byteLength;
        tally.hash.update(bytes);
      } catch (error) {
        this.problems.push(`${where}: ${(error as Error).message}`);
      }
    } else if (event.type === 'step.finished') {
      const tally = this.steps.get(index);
      this.steps.delete(index);
      if (!tally) return void this.problems.push(`${where}: step.finished for step ${index} without step.started`);
      const digest = tally.hash.digest('hex');
      if (tally.bytes !== event.outputBytes) this.problems.push(`step ${index}: ${tally.bytes} output bytes read back, step.finished records ${String(event.outputBytes)}`);
      else if (digest !== event.outputSha256) this.problems.push(`step ${index}: output sha256 ${digest} differs from the recorded ${String(event.outputSha256)}`);
    } else if (event.type === 'run.finished') this.runFinished = true;
  }
}

/** Verifies messages held in memory (tests, small files). */
export function verifyMessages(messages: Iterable<string>, label = 'event'): VerifyReport {
  const verifier = new TranscriptVerifier();
  let n = 0;
  for (const message of messages) verifier.addMessage(message, `${label} ${++n}`);
  return verifier.finish();
}
