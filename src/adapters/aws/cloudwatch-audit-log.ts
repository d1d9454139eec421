// The audit log over CloudWatch Logs: one stream per run attempt, events batched within PutLogEvents limits,
// transient errors retried with injected backoff, permanent refusal → AuditUnavailableError. Every line is also
// appended to a local fallback file (when a path is given) so the transcript so far survives a CloudWatch outage.
import { appendFile, unlink } from 'node:fs/promises';
import { CreateLogStreamCommand, PutLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { AuditUnavailableError, type AuditLocation, type AuditLog, type RunFinishedInfo, type RunIdentity, type RunStartedInfo, type StepFinishedInfo, type StepStartedInfo } from '../../ports/audit.js';
import type { Clock } from '../../ports/clock.js';
import type { OutputStream, ResolvedTarget } from '../../ports/executor.js';
import { BatchBuffer } from '../../audit/batch.js';
import { describePermanentAwsError, isTransientAwsError } from '../../audit/errors.js';
import { splitLine } from '../../audit/events.js';
import { auditStreamName } from '../../audit/stream-name.js';
import { TranscriptBuilder } from '../../audit/transcript.js';
import { cloudWatchStreamLinks } from '../../render/console-links.js';

export interface CloudWatchAuditLogOptions {
  client: CloudWatchLogsClient;
  logGroup: string;
  region: string;
  clock: Clock;
  /** Fixed stream name; otherwise derived from the identity given to runStarted. */
  streamName?: string;
  /** Local copy of every line; kept (and reported) when CloudWatch fails, removed after a clean run. */
  fallbackPath?: string;
  /** Push buffered output at least this often while a step streams (default 2 s). */
  flushIntervalMs?: number;
  /** Attempts per call including the first (default 8). */
  maxAttempts?: number;
  /** Partition for console links (aws, aws-cn, aws-us-gov); default aws. */
  partition?: string;
  /** Observes each successful PutLogEvents call (bench, tests). */
  onPut?: (events: number, bytes: number) => void;
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
  private builder: TranscriptBuilder;
  private readonly buffer = new BatchBuffer();
  private stream: string | undefined;
  private failure: AuditUnavailableError | undefined;
  private lastPush: number;
  private currentLocation: AuditLocation;

  constructor(private readonly options: CloudWatchAuditLogOptions) {
    this.builder = new TranscriptBuilder(() => options.clock.now());
    this.stream = options.streamName;
    this.lastPush = options.clock.now().getTime();
    this.currentLocation = { kind: 'cloudwatch', description: `CloudWatch Logs ${options.logGroup} (${options.region})` };
  }

  get location(): AuditLocation {
    return this.currentLocation;
  }

  get fallbackFile(): string | undefined {
    return this.failure ? this.options.fallbackPath : undefined;
  }

  get streamName(): string | undefined {
    return this.stream;
  }

  async runStarted(identity: RunIdentity, info: RunStartedInfo): Promise<void> {
    this.stream ??= auditStreamName(identity);
    const links = cloudWatchStreamLinks({ region: this.options.region, partition: this.options.partition, logGroup: this.options.logGroup, logStream: this.stream });
    this.currentLocation = {
      kind: 'cloudwatch',
      description: `CloudWatch Logs ${this.options.logGroup}, stream ${this.stream} (${this.options.region})`,
      consoleUrl: links.streamUrl,
      insightsUrl: links.insightsUrl,
    };
    const lines = this.builder.runStarted(identity, info);
    await this.keepLocally(lines);
    await this.withRetry('CreateLogStream', async () => {
      try {
        await this.options.client.send(new CreateLogStreamCommand({ logGroupName: this.options.logGroup, logStreamName: this.stream }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
      }
    });
    await this.enqueue(lines);
    await this.flush();
  }

  async targetResolved(target: ResolvedTarget): Promise<void> {
    await this.write(this.builder.targetResolved(target));
    await this.flush();
  }

  async stepStarted(info: StepStartedInfo): Promise<void> {
    await this.write(this.builder.stepStarted(info));
  }

  async stepOutput(index: number, stream: OutputStream, chunk: Uint8Array): Promise<void> {
    await this.write(this.builder.stepOutput(index, stream, chunk));
    if (this.options.clock.now().getTime() - this.lastPush >= (this.options.flushIntervalMs ?? 2000)) await this.flush();
  }

  async stepFinished(info: StepFinishedInfo): Promise<void> {
    await this.write(this.builder.stepFinished(info));
    await this.flush();
  }

  async runFinished(info: RunFinishedInfo): Promise<void> {
    await this.write(this.builder.runFinished(info));
    await this.flush();
    if (this.options.fallbackPath) await unlink(this.options.fallbackPath).catch(() => undefined);
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buffer.length === 0) return;
    const events = this.buffer.take();
    await this.withRetry('PutLogEvents', async () => {
      await this.options.client.send(
        new PutLogEventsCommand({
          logGroupName: this.options.logGroup,
          logStreamName: this.stream,
          logEvents: events.map(({ timestamp, message }) => ({ timestamp, message })),
        }),
      );
    });
    this.lastPush = this.options.clock.now().getTime();
    this.options.onPut?.(events.length, events.reduce((sum, e) => sum + e.bytes, 0));
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
    await appendFile(this.options.fallbackPath, lines.join('\n') + '\n', { mode: 0o600 });
  }

  /**
   * Retries transient failures with exponential backoff. A call whose response was lost after CloudWatch accepted
   * it is unavoidably duplicated by the retry; verify drops exact duplicates by sequence number.
   */
  private async withRetry(action: string, call: () => Promise<void>): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (attempt < maxAttempts && isTransientAwsError(error)) {
          await this.options.clock.sleep(Math.min(20_000, 200 * 2 ** (attempt - 1)));
          continue;
        }
        const reason = isTransientAwsError(error)
          ? `CloudWatch Logs kept failing ${action} for log group ${this.options.logGroup} (region ${this.options.region}) after ${attempt} attempts: ${(error as Error).name}: ${(error as Error).message}.`
          : describePermanentAwsError(error, this.options.logGroup, this.options.region, action);
        const kept = this.options.fallbackPath ? ` The transcript so far is kept in ${this.options.fallbackPath}.` : '';
        this.failure = new AuditUnavailableError(reason + kept, { cause: error });
        throw this.failure;
      }
    }
  }
}
