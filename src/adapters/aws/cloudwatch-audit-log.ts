// The audit log over CloudWatch Logs: one stream per run attempt, events batched within PutLogEvents limits,
// transient errors retried with jittered backoff, any refusal (including events CloudWatch kept out) →
// AuditUnavailableError. Every line is also appended to a local fallback file (when a path is given) so the
// transcript so far survives an outage; the post step uploads what CloudWatch is missing from it.
import { appendFile, mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CreateLogStreamCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { AuditUnavailableError, type AuditLocation, type AuditLog, type RunFinishedInfo, type RunIdentity, type RunStartedInfo, type StepFinishedInfo, type StepStartedInfo } from '../../ports/audit.js';
import type { Clock } from '../../ports/clock.js';
import type { OutputStream, ResolvedTarget } from '../../ports/executor.js';
import { BatchBuffer } from '../../audit/batch.js';
import { describePermanentAwsError } from '../../audit/errors.js';
import { splitLine } from '../../audit/events.js';
import { CancelDeadline, RetryGaveUp, withRetry, type RetryOptions } from '../../audit/retry.js';
import { auditStreamName } from '../../audit/stream-name.js';
import { TranscriptBuilder } from '../../audit/transcript.js';
import { errorText } from '../../run/error-text.js';
import { CLOUDWATCH_CANCEL_BUDGET_MS } from '../../run/cancel-budget.js';
import { cloudWatchLocation } from './cloudwatch-location.js';
import { EventsRejected, putBatch } from './cloudwatch-put.js';
import { pendingTargetPath, type PendingTarget } from './cloudwatch-pending.js';

export interface CloudWatchAuditLogOptions {
  /** Build it with maxAttempts: 1: the sink retries itself, and nested retries would outlast the kill window. */
  client: CloudWatchLogsClient;
  logGroup: string;
  region: string;
  clock: Clock;
  /** Fixed stream name; otherwise derived from the identity given to runStarted. */
  streamName?: string;
  /** Local copy of every line; kept (and reported as location.localCopy) when CloudWatch fails, removed after a clean run. */
  fallbackPath?: string;
  /** While a step runs, buffered events are pushed at least this often, output or not (default 2 s). */
  flushIntervalMs?: number;
  /** Attempts per call including the first (default 8). */
  maxAttempts?: number;
  /** Aborted when the job is cancelled: from then on every call, the one in flight included, fits in cancelBudgetMs. */
  signal?: AbortSignal;
  /** Counted from the abort (default CLOUDWATCH_CANCEL_BUDGET_MS). */
  cancelBudgetMs?: number;
  /** Partition for console links; derived from the region by default. */
  partition?: string;
  /** Observes each successful PutLogEvents call (bench, tests). */
  onPut?: (events: number, bytes: number) => void;
  random?: () => number;
}

export interface CloudWatchAuditLog extends AuditLog {
  /** Set once CloudWatch has failed: where the transcript so far was kept. */
  readonly fallbackFile: string | undefined;
  readonly streamName: string | undefined;
}

export function createCloudWatchAuditLog(options: CloudWatchAuditLogOptions): CloudWatchAuditLog {
  return new CloudWatchAuditSink(options);
}

class CloudWatchAuditSink implements CloudWatchAuditLog {
  private readonly builder: TranscriptBuilder;
  private readonly buffer = new BatchBuffer();
  private readonly retry: RetryOptions;
  private readonly deadline: CancelDeadline;
  private stream: string | undefined;
  private failure: AuditUnavailableError | undefined;
  private lastPush: number;
  private range: { start: number; end?: number } | undefined;
  private chainHead: { seq: number; sha256: string } | undefined;
  /** PutLogEvents calls run one after another, whoever asks (a write, the idle timer). */
  private pushing: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(private readonly options: CloudWatchAuditLogOptions) {
    this.builder = new TranscriptBuilder(() => options.clock.now());
    this.stream = options.streamName;
    this.lastPush = options.clock.now().getTime();
    this.retry = { clock: options.clock, maxAttempts: options.maxAttempts, signal: options.signal, cancelBudgetMs: options.cancelBudgetMs, random: options.random };
    this.deadline = new CancelDeadline(this.retry);
  }

  get location(): AuditLocation {
    return {
      ...cloudWatchLocation(this.options, this.stream, this.range),
      ...(this.failure && this.options.fallbackPath ? { localCopy: this.options.fallbackPath } : {}),
      ...(this.chainHead ? { chainHead: this.chainHead } : {}),
    };
  }

  get fallbackFile(): string | undefined {
    return this.failure ? this.options.fallbackPath : undefined;
  }

  get streamName(): string | undefined {
    return this.stream;
  }

  async runStarted(identity: RunIdentity, info: RunStartedInfo): Promise<void> {
    this.stream ??= auditStreamName(identity);
    this.range = { start: this.options.clock.now().getTime() };
    const lines = this.builder.runStarted(identity, info);
    await this.rememberTarget();
    await this.keepLocally(lines);
    try {
      await this.call('CreateLogStream', () => withRetry((abortSignal) => this.createStream(abortSignal), this.retry, this.deadline));
      await this.enqueue(lines);
      await this.flush();
    } catch (error) {
      // Nothing runs after a failed start. The post step must not upload this lone run.started later: it would
      // read as a run that started and never finished, and block every retry.
      if (this.options.fallbackPath) await unlink(pendingTargetPath(this.options.fallbackPath)).catch(() => undefined);
      throw error;
    }
  }

  private async createStream(abortSignal: AbortSignal): Promise<void> {
    try {
      await this.options.client.send(new CreateLogStreamCommand({ logGroupName: this.options.logGroup, logStreamName: this.stream }), { abortSignal });
    } catch (error) {
      // Already there: an earlier attempt of this call succeeded, or the stream was pre-created.
      if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
    }
  }

  // Writes buffer; the orchestrator's flush() makes them durable (the AuditLog port's rule).
  async targetResolved(target: ResolvedTarget): Promise<void> {
    await this.write(this.builder.targetResolved(target));
  }

  async stepStarted(info: StepStartedInfo): Promise<void> {
    await this.write(this.builder.stepStarted(info));
    this.startIdleFlush();
  }

  async stepOutput(index: number, stream: OutputStream, chunk: Uint8Array): Promise<void> {
    await this.write(this.builder.stepOutput(index, stream, chunk));
    if (this.options.clock.now().getTime() - this.lastPush >= this.flushIntervalMs) await this.flush();
  }

  async stepFinished(info: StepFinishedInfo): Promise<void> {
    this.stopIdleFlush();
    await this.write(this.builder.stepFinished(info));
  }

  async runFinished(info: RunFinishedInfo): Promise<void> {
    this.stopIdleFlush();
    const lines = this.builder.runFinished(info);
    this.chainHead = this.builder.head();
    this.range = { start: this.range?.start ?? this.options.clock.now().getTime(), end: this.options.clock.now().getTime() };
    await this.write(lines);
    this.finished = true;
  }

  /** Pushes everything buffered so far; calls queue up behind each other so batches stay in order. */
  flush(): Promise<void> {
    const run = this.pushing.then(() => this.pushBuffered()).then(() => this.dropLocalCopyOnceDone());
    this.pushing = run.catch(() => undefined);
    return run;
  }

  /** After the flush that made run.finished durable, the local copy has nothing CloudWatch lacks. */
  private async dropLocalCopyOnceDone(): Promise<void> {
    if (!this.finished || this.failure || this.buffer.length > 0 || !this.options.fallbackPath) return;
    await Promise.all([this.options.fallbackPath, pendingTargetPath(this.options.fallbackPath)].map((p) => unlink(p).catch(() => undefined)));
  }

  private get flushIntervalMs(): number {
    return this.options.flushIntervalMs ?? 2000;
  }

  private async pushBuffered(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buffer.length === 0) return;
    const events = this.buffer.take();
    await this.call('PutLogEvents', () => putBatch({ client: this.options.client, logGroup: this.options.logGroup, stream: this.stream! }, events, this.retry, this.deadline));
    this.lastPush = this.options.clock.now().getTime();
    this.options.onPut?.(events.length, events.reduce((sum, e) => sum + e.bytes, 0));
  }

  /** A silent step still reaches CloudWatch: what is buffered goes out once nothing was pushed for flushIntervalMs. */
  private startIdleFlush(): void {
    this.stopIdleFlush();
    this.idleTimer = setInterval(() => {
      const idle = this.options.clock.now().getTime() - this.lastPush >= this.flushIntervalMs;
      if (idle && this.buffer.length > 0 && !this.failure) this.flush().catch(() => undefined); // the next write reports it
    }, this.flushIntervalMs);
    this.idleTimer.unref();
  }

  private stopIdleFlush(): void {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = undefined;
  }

  private async write(lines: string[]): Promise<void> {
    await this.keepLocally(lines);
    if (this.failure) throw this.failure;
    await this.enqueue(lines);
  }

  private async enqueue(lines: string[]): Promise<void> {
    for (const line of lines) {
      for (const message of splitLine(line)) {
        const timestamp = this.options.clock.now().getTime();
        if (this.buffer.wouldOverflow(message, timestamp)) await this.flush(); // bounded memory: at most one batch
        this.buffer.add(message, timestamp);
      }
    }
  }

  private async keepLocally(lines: string[]): Promise<void> {
    if (!this.options.fallbackPath || lines.length === 0) return;
    try {
      await appendFile(this.options.fallbackPath, lines.join('\n') + '\n', { mode: 0o600 });
    } catch (error) {
      throw new AuditUnavailableError(`Cannot write the local copy of the audit transcript ${this.options.fallbackPath}: ${errorText(error)}. Check the runner's temp directory (RUNNER_TEMP).`, { cause: error });
    }
  }

  /** Next to the fallback file: where its lines belong, so the post step can upload what CloudWatch lacks. */
  private async rememberTarget(): Promise<void> {
    if (!this.options.fallbackPath) return;
    const target: PendingTarget = { logGroup: this.options.logGroup, region: this.options.region, stream: this.stream! };
    try {
      await mkdir(dirname(this.options.fallbackPath), { recursive: true });
      await writeFile(pendingTargetPath(this.options.fallbackPath), JSON.stringify(target), { mode: 0o600 });
    } catch (error) {
      throw new AuditUnavailableError(`Cannot prepare the local copy of the audit transcript ${this.options.fallbackPath}: ${errorText(error)}. Check the runner's temp directory (RUNNER_TEMP).`, { cause: error });
    }
  }

  /** Any failure of a (retried) call becomes the sink's AuditUnavailableError, and the local copy is kept. */
  private async call(action: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      throw this.fail(this.explain(action, error), error);
    }
  }

  private explain(action: string, error: unknown): string {
    const where = `log group ${this.options.logGroup}, stream ${this.stream} (region ${this.options.region})`;
    if (error instanceof EventsRejected) return `CloudWatch Logs ${where}: ${error.reason}`;
    if (error instanceof RetryGaveUp && error.cancelled)
      return `CloudWatch Logs did not complete ${action} for ${where} within the ${this.retry.cancelBudgetMs ?? CLOUDWATCH_CANCEL_BUDGET_MS} ms allowed after cancellation: ${errorText(error.lastError)}.`;
    if (error instanceof RetryGaveUp) return `CloudWatch Logs kept failing ${action} for ${where} after ${error.attempts} attempts: ${errorText(error.lastError)}.`;
    return describePermanentAwsError(error, this.options.logGroup, this.options.region, action);
  }

  private fail(reason: string, cause: unknown): AuditUnavailableError {
    const kept = this.options.fallbackPath ? ` The transcript so far is kept in ${this.options.fallbackPath}; the post step uploads what is missing once CloudWatch accepts it.` : '';
    this.failure ??= new AuditUnavailableError(reason + kept, { cause });
    this.stopIdleFlush();
    return this.failure;
  }
}
