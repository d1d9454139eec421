// Verifies a transcript read back from CloudWatch or a file: checks sequence numbers, the hash chain, each step's
// byte count and sha256, and (given the head published when the run finished) that nothing was cut from or
// added after the end. Copies left by a retried upload (same seq, same sha256) are harmless and counted apart;
// anything else out of place is reported as deleted, reordered or edited.
import { createHash, type Hash } from 'node:crypto';
import { decodeOutputBytes, type AuditEvent } from './events.js';
import { StoredLineReader } from './stored-lines.js';
import { errorText } from '../run/error-text.js';

export interface ChainHead {
  seq: number;
  sha256: string;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  /** Copies of events or parts from retried uploads, skipped. */
  duplicatesIgnored: number;
  problems: string[];
  runFinished: boolean;
  /** The last event read: compare with the head published in the PR comment. */
  head?: ChainHead;
}

interface StepTally {
  bytes: number;
  hash: Hash;
}

/** "<seq>:<sha256>" as printed in the PR comment and job summary. */
export function parseChainHead(text: string): ChainHead | undefined {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { seq: Number(match[1]), sha256: match[2]! } : undefined;
}

/** Incremental verifier: feed raw messages in stored order, then call finish(). Memory is bounded by the step count. */
export class TranscriptVerifier {
  private readonly problems: string[] = [];
  private readonly reader = new StoredLineReader((problem) => this.problems.push(problem));
  private lastSeq = -1;
  private lastHash = '';
  private events = 0;
  private runFinished = false;
  private afterRunFinished = 0;
  private hashAtExpectedSeq: string | undefined;
  private readonly steps = new Map<number, StepTally>();

  /** With `expectedHead`, the stream must end exactly at that seq with that sha256. */
  constructor(private readonly expectedHead?: ChainHead) {}

  addMessage(message: string, where: string): void {
    try {
      const stored = this.reader.add(message, where);
      if (stored) this.addLine(stored.event, stored.sha256, where);
    } catch (error) {
      this.problems.push(errorText(error));
    }
  }

  finish(): VerifyReport {
    this.reader.finish();
    if (this.events === 0) this.problems.push('no audit events found');
    else if (!this.runFinished) this.problems.push(`the transcript ends at seq ${this.lastSeq} without run.finished (interrupted run or deleted tail)`);
    else if (this.afterRunFinished > 0) this.problems.push(`${this.afterRunFinished} event(s) follow run.finished (added after the run ended)`);
    if (this.expectedHead) this.checkHead(this.expectedHead);
    const head = this.events > 0 ? { seq: this.lastSeq, sha256: this.lastHash } : undefined;
    return { ok: this.problems.length === 0, events: this.events, duplicatesIgnored: this.reader.duplicates, problems: this.problems, runFinished: this.runFinished, ...(head ? { head } : {}) };
  }

  private checkHead(expected: ChainHead): void {
    const published = `the published head ${expected.seq}:${expected.sha256.slice(0, 12)}…`;
    if (this.lastSeq < expected.seq) this.problems.push(`the transcript ends at seq ${this.lastSeq}, before ${published} (tail deleted)`);
    else if (this.hashAtExpectedSeq !== expected.sha256) this.problems.push(`the event at seq ${expected.seq} does not match ${published} (edited)`);
    if (this.lastSeq > expected.seq) this.problems.push(`${this.lastSeq - expected.seq} event(s) follow ${published} (added after the run ended)`);
  }

  private addLine(event: AuditEvent, sha256: string, where: string): void {
    const seq = event.seq;
    if (typeof seq !== 'number') return void this.problems.push(`${where}: event without seq`);
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
    if (this.runFinished) this.afterRunFinished += 1;
    this.lastSeq = seq;
    this.lastHash = sha256;
    if (seq === this.expectedHead?.seq) this.hashAtExpectedSeq = sha256;
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
        this.problems.push(`${where}: ${errorText(error)}`);
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
export function verifyMessages(messages: Iterable<string>, label = 'event', expectedHead?: ChainHead): VerifyReport {
  const verifier = new TranscriptVerifier(expectedHead);
  let n = 0;
  for (const message of messages) verifier.addMessage(message, `${label} ${++n}`);
  return verifier.finish();
}
