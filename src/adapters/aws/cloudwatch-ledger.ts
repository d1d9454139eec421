// The run ledger over CloudWatch Logs: finds the streams of earlier attempts by their well-known prefix and reads
// how each ended (first and last event; the whole stream only when needed), and claims the run slot through
// cloudwatch-claim.ts. Fails closed: any error reading the group is thrown, never treated as "never ran".
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Ledger, LedgerEntry, RunIdentity, RunSlot } from '../../ports/audit.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import { claimRunSlot } from '../../audit/claim.js';
import { combineLedgerEntries } from '../../audit/ledger-state.js';
import { CancelDeadline, retryErrorText, withRetry, type RetryOptions } from '../../audit/retry.js';
import { claimGeneration, ledgerStreamPrefix } from '../../audit/stream-name.js';
import { cloudWatchClaimStore } from './cloudwatch-claim.js';
import { listStreams, readStreamAttempt, type LedgerContext } from './cloudwatch-streams.js';

export interface CloudWatchLedgerOptions {
  /** Built with maxAttempts: 1; the ledger retries each call itself. */
  client: CloudWatchLogsClient;
  logGroup: string;
  region: string;
  partition?: string;
  clock?: Clock;
  /** Attempts per call (default 4). */
  maxAttempts?: number;
  /** Aborted when the job is cancelled: from then on the reads and the claim fit in cancelBudgetMs (see retry.ts). */
  signal?: AbortSignal;
  cancelBudgetMs?: number;
}

export function createCloudWatchLedger(options: CloudWatchLedgerOptions): Ledger {
  const clock = options.clock ?? systemClock;
  const retry: RetryOptions = { clock, maxAttempts: options.maxAttempts ?? 4, signal: options.signal, cancelBudgetMs: options.cancelBudgetMs };
  const deadline = new CancelDeadline(retry); // one budget for every call after the cancellation, not one each
  const ctx: LedgerContext = { options, clock, attempt: (call) => withRetry(call, retry, deadline) };
  return {
    async lookup(slot): Promise<LedgerEntry> {
      try {
        return await lookupAttempts(ctx, slot);
      } catch (error) {
        throw new Error(
          `Cannot read the run ledger in CloudWatch Logs ${options.logGroup} (${options.region}): ${retryErrorText(error)}. ` +
            'The job role needs logs:DescribeLogStreams and logs:GetLogEvents on the audit log group.',
          { cause: error },
        );
      }
    },
    async claim(identity: RunIdentity) {
      try {
        return await claimRunSlot(cloudWatchClaimStore(ctx, identity), identity, clock);
      } catch (error) {
        throw new Error(
          `Cannot claim the run slot in CloudWatch Logs ${options.logGroup} (${options.region}): ${retryErrorText(error)}. ` +
            'The job role needs logs:CreateLogStream, logs:PutLogEvents, logs:DescribeLogStreams and logs:GetLogEvents on the audit log group.',
          { cause: error },
        );
      }
    },
  };
}

async function lookupAttempts(ctx: LedgerContext, expected: RunSlot): Promise<LedgerEntry> {
  const prefix = ledgerStreamPrefix(expected);
  const entries: LedgerEntry[] = [];
  for (const stream of await listStreams(ctx, prefix)) {
    if (claimGeneration(prefix, stream.name) !== undefined) continue;
    const entry = await readStreamAttempt(ctx, stream.name, expected);
    if (entry) entries.push(entry);
  }
  return combineLedgerEntries(entries);
}
