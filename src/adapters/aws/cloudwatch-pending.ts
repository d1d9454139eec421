// Finishes what a killed or cut-off main step could not: the sink keeps every line in a local file under the
// runner's temp directory (with a small sidecar naming its log group and stream), and the `post:` step uploads
// the lines whose seq CloudWatch does not have yet, in order, then removes the file.
import { readdir, unlink, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateLogStreamCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from '../../ports/clock.js';
import { BatchBuffer } from '../../audit/batch.js';
import { parseAuditMessage, sha256Hex, splitLine } from '../../audit/events.js';
import { CancelDeadline, withRetry, type RetryOptions } from '../../audit/retry.js';
import { StoredLineReader } from '../../audit/stored-lines.js';
import { errorText } from '../../run/error-text.js';
import { readTranscriptFile } from '../local/transcript-file.js';
import { putBatch, type PutTarget } from './cloudwatch-put.js';
import { readStoredEvents } from './cloudwatch-read.js';

export interface PendingTarget {
  logGroup: string;
  region: string;
  stream: string;
}

/** The directory of one job's local transcripts; the post step of the same job finds it from the same run id. */
export function pendingTranscriptDir(tempDir: string, runId: string): string {
  return join(tempDir, `opsgate-audit-${runId.replace(/[^A-Za-z0-9._-]+/g, '_')}`);
}

export function fallbackPathFor(tempDir: string, runId: string, runbookPath: string): string {
  return join(pendingTranscriptDir(tempDir, runId), `${runbookPath.replace(/[^A-Za-z0-9._-]+/g, '_')}.jsonl`);
}

export function pendingTargetPath(fallbackPath: string): string {
  return `${fallbackPath}.target.json`;
}

interface StoredState {
  /** Highest seq CloudWatch holds; -1 when it holds nothing. */
  lastSeq: number;
  lastSha256: string | undefined;
  lastTimestamp: number;
  /** Seqs below lastSeq that are not there: uploading later lines could not mend those. */
  gaps: number;
}

async function storedState(target: PutTarget, retry: RetryOptions): Promise<StoredState> {
  const state: StoredState = { lastSeq: -1, lastSha256: undefined, lastTimestamp: 0, gaps: 0 };
  const reader = new StoredLineReader();
  const attempt = <T>(call: (signal: AbortSignal | undefined) => Promise<T>) => withRetry(call, retry);
  try {
    for await (const { message, timestamp } of readStoredEvents(target.client, target.logGroup, target.stream, attempt)) {
      state.lastTimestamp = Math.max(state.lastTimestamp, timestamp);
      const stored = reader.add(message, 'stored event');
      if (!stored || typeof stored.event.seq !== 'number' || stored.event.seq <= state.lastSeq) continue;
      state.gaps += stored.event.seq - state.lastSeq - 1;
      state.lastSeq = stored.event.seq;
      state.lastSha256 = stored.sha256;
    }
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await withRetry((abortSignal) => target.client.send(new CreateLogStreamCommand({ logGroupName: target.logGroup, logStreamName: target.stream }), { abortSignal }), retry);
  }
  return state;
}

/** Uploads the lines of `file` that the stream lacks. Returns how many lines went up. */
export async function uploadMissingLines(target: PutTarget, file: string, clock: Clock): Promise<number> {
  const retry: RetryOptions = { clock, maxAttempts: 5 };
  const deadline = new CancelDeadline(retry);
  const stored = await storedState(target, retry);
  if (stored.gaps > 0) throw new Error(`stream ${target.stream} is missing ${stored.gaps} event(s) in the middle; appending later lines would not mend it. Check it with \`opsgate audit verify\`.`);
  const buffer = new BatchBuffer();
  const flush = async (): Promise<void> => {
    if (buffer.length > 0) await putBatch(target, buffer.take(), retry, deadline);
  };
  let uploaded = 0;
  let n = 0;
  for await (const line of readTranscriptFile(file)) {
    const event = parseAuditMessage(line, `${file}:${++n}`);
    const seq = event.seq as number;
    if (seq === stored.lastSeq && stored.lastSha256 !== undefined && sha256Hex(line) !== stored.lastSha256)
      throw new Error(`${file}:${n} (seq ${seq}) differs from the copy in stream ${target.stream}; not uploading a diverging transcript.`);
    if (seq <= stored.lastSeq) continue;
    // The original time keeps the order; never before what is stored (CloudWatch sorts by timestamp).
    const timestamp = Math.max(Date.parse(String(event.time)) || 0, stored.lastTimestamp);
    for (const message of splitLine(line)) {
      if (buffer.wouldOverflow(message, timestamp)) await flush();
      buffer.add(message, timestamp);
    }
    uploaded += 1;
  }
  await flush();
  return uploaded;
}

/**
 * The post step's part: every local transcript this job left behind is completed in CloudWatch and removed.
 * Failures are reported, never thrown: the files stay for the next look.
 */
export async function uploadPendingTranscripts(
  dir: string,
  clientFor: (region: string) => CloudWatchLogsClient,
  report: { info(message: string): void; warning(message: string): void },
  clock: Clock,
): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  // Only transcripts with their sidecar: the sink removes it when the run never started (nothing to complete).
  for (const name of names.filter((n) => n.endsWith('.jsonl') && names.includes(`${n}.target.json`))) {
    const file = join(dir, name);
    try {
      const target = JSON.parse(await readFile(pendingTargetPath(file), 'utf8')) as PendingTarget;
      const uploaded = await uploadMissingLines({ client: clientFor(target.region), logGroup: target.logGroup, stream: target.stream }, file, clock);
      await Promise.all([file, pendingTargetPath(file)].map((p) => unlink(p).catch(() => undefined)));
      report.info(`opsgate: uploaded ${uploaded} audit event(s) the main step could not send to CloudWatch Logs ${target.logGroup}, stream ${target.stream}.`);
    } catch (error) {
      report.warning(`opsgate: could not complete the audit transcript from ${file} in CloudWatch Logs: ${errorText(error)} The file is kept on this runner.`);
    }
  }
}
