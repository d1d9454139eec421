// Builds the chained event lines of one run and keeps per-step output counters. Pure; sinks write the lines.
import { createHash, type Hash } from 'node:crypto';
import type { OutputStream, ResolvedTarget } from '../ports/executor.js';
import type { RunFinishedInfo, RunIdentity, RunStartedInfo, StepFinishedInfo, StepStartedInfo } from '../ports/audit.js';
import { AUDIT_EVENT_VERSION, OUTPUT_PIECE_BYTES, encodeOutputBytes, sha256Hex, type AuditEventType } from './events.js';

interface StepCounters {
  bytes: number;
  hash: Hash;
  offsets: Record<OutputStream, number>;
}

export class TranscriptBuilder {
  private seq = 0;
  private prev = '';
  private stepsStarted = 0;
  private readonly steps = new Map<number, StepCounters>();

  constructor(private readonly now: () => Date) {}

  runStarted(identity: RunIdentity, info: RunStartedInfo): string[] {
    return [this.line('run.started', { identity, ...info })];
  }

  targetResolved(target: ResolvedTarget): string[] {
    return [this.line('target.resolved', { description: target.description, members: target.members })];
  }

  stepStarted(info: StepStartedInfo): string[] {
    this.steps.set(info.index, { bytes: 0, hash: createHash('sha256'), offsets: { stdout: 0, stderr: 0 } });
    this.stepsStarted += 1;
    return [this.line('step.started', { ...info })];
  }

  /** One event per piece of at most OUTPUT_PIECE_BYTES, so no output event ever needs splitting. */
  stepOutput(index: number, stream: OutputStream, chunk: Uint8Array): string[] {
    const counters = this.countersFor(index);
    const lines: string[] = [];
    for (let start = 0; start < chunk.byteLength; start += OUTPUT_PIECE_BYTES) {
      const piece = chunk.subarray(start, Math.min(chunk.byteLength, start + OUTPUT_PIECE_BYTES));
      const offset = counters.offsets[stream];
      counters.offsets[stream] += piece.byteLength;
      counters.bytes += piece.byteLength;
      counters.hash.update(piece);
      lines.push(this.line('step.output', { index, stream, offset, ...encodeOutputBytes(piece) }));
    }
    return lines;
  }

  stepFinished(info: StepFinishedInfo): string[] {
    const counters = this.countersFor(info.index);
    this.steps.delete(info.index);
    return [
      this.line('step.finished', {
        index: info.index,
        name: info.name,
        status: info.result.status,
        exitCode: info.result.exitCode,
        message: info.result.message,
        ...(info.result.perTarget ? { perTarget: info.result.perTarget } : {}),
        durationMs: info.durationMs,
        outputBytes: counters.bytes,
        outputSha256: counters.hash.digest('hex'),
      }),
    ];
  }

  /** Records how many steps started, so the ledger can tell from this last event alone whether anything ran. */
  runFinished(info: RunFinishedInfo): string[] {
    return [this.line('run.finished', { ...info, stepsStarted: this.stepsStarted })];
  }

  /** The last line written: its seq and sha256 (what `opsgate audit verify --expect-head` checks). */
  head(): { seq: number; sha256: string } | undefined {
    return this.seq === 0 ? undefined : { seq: this.seq - 1, sha256: this.prev };
  }

  private countersFor(index: number): StepCounters {
    let counters = this.steps.get(index);
    if (!counters) {
      counters = { bytes: 0, hash: createHash('sha256'), offsets: { stdout: 0, stderr: 0 } };
      this.steps.set(index, counters);
    }
    return counters;
  }

  private line(type: AuditEventType, body: Record<string, unknown>): string {
    const line = JSON.stringify({ v: AUDIT_EVENT_VERSION, seq: this.seq, prev: this.prev, time: this.now().toISOString(), type, ...body });
    this.seq += 1;
    this.prev = sha256Hex(line);
    return line;
  }
}
