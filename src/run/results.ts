// What a run produced, as data for the result comment, the job summary and the CLI. Output is kept as a
// bounded tail only: a step that prints gigabytes costs a few kilobytes here.
import type { ResolvedTarget, StepStatus, TargetResult } from '../ports/executor.js';
import type { AuditLocation } from '../ports/audit.js';
import type { Outcome } from './outcome.js';

export type StepRunStatus = StepStatus | 'skipped';

export interface StepRunResult {
  index: number;
  name: string;
  kind: 'shell' | 'sql';
  status: StepRunStatus;
  exitCode: number | null;
  message: string;
  durationMs: number;
  /** Output bytes the step produced (before redaction), stdout and stderr together. */
  outputBytes: number;
  /** The last lines of output, redacted. */
  tail: string[];
  /** True when earlier output was dropped from `tail`. */
  tailTruncated: boolean;
  continueOnError: boolean;
  perTarget?: TargetResult[];
}

export interface RunResult {
  outcome: Outcome;
  steps: StepRunResult[];
  target?: ResolvedTarget;
  audit: AuditLocation;
  startedAt: string;
  finishedAt: string;
}

/** Keeps the last `maxLines` lines of text, never more than `maxChars` characters in memory. */
export class TailBuffer {
  private text = '';
  private dropped = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly maxLines = 20,
    private readonly maxChars = 4000,
  ) {}

  push(chunk: Uint8Array): void {
    this.append(this.decoder.decode(chunk, { stream: true }));
  }

  lines(): { tail: string[]; truncated: boolean } {
    this.append(this.decoder.decode());
    const all = this.text.replace(/\r?\n$/, '').split(/\r?\n/);
    const lines = this.text.length === 0 ? [] : all;
    const tail = lines.slice(-this.maxLines);
    return { tail, truncated: this.dropped || tail.length < lines.length };
  }

  private append(text: string): void {
    if (!text) return;
    this.text += text;
    if (this.text.length > this.maxChars * 2) {
      this.text = this.text.slice(-this.maxChars);
      this.dropped = true;
    }
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
