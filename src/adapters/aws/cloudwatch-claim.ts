// The run slot's claim generations as CloudWatch streams "<ledger prefix>claim#<g>": CreateLogStream is the
// atomic step (ResourceAlreadyExistsException means another attempt got that generation first), and the
// stream's first event records the claimant's run id.
import { CreateLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { RunIdentity } from '../../ports/audit.js';
import { claimRecordOf, type ClaimGeneration, type ClaimRecord, type ClaimStore } from '../../audit/claim.js';
import { CancelDeadline, type RetryOptions } from '../../audit/retry.js';
import { claimGeneration, claimStreamName, claimStreamPrefix, ledgerStreamPrefix } from '../../audit/stream-name.js';
import { listStreams, readStreamAttempt, runStreamOf, type LedgerContext } from './cloudwatch-streams.js';
import { putBatch } from './cloudwatch-put.js';
import { readStreamMessages } from './cloudwatch-read.js';

export function cloudWatchClaimStore(ctx: LedgerContext, identity: RunIdentity): ClaimStore {
  const { client, logGroup } = ctx.options;
  const prefix = ledgerStreamPrefix(identity);
  const expected = { repository: identity.repository, pullRequest: identity.pullRequest, runbookPath: identity.runbookPath, runbookDigest: identity.runbookDigest };
  const retry: RetryOptions = { clock: ctx.clock, maxAttempts: ctx.options.maxAttempts ?? 4, signal: ctx.options.signal, cancelBudgetMs: ctx.options.cancelBudgetMs };

  return {
    async newest(): Promise<ClaimGeneration | undefined> {
      let newest: { generation: number; name: string; created: number } | undefined;
      for (const stream of await listStreams(ctx, claimStreamPrefix(prefix))) {
        const generation = claimGeneration(prefix, stream.name);
        if (generation !== undefined && generation > (newest?.generation ?? 0)) newest = { generation, name: stream.name, created: stream.created };
      }
      if (!newest) return undefined;
      const record = await firstRecord(ctx, newest.name);
      return { generation: newest.generation, where: `CloudWatch Logs ${logGroup}, stream ${newest.name}`, createdMs: newest.created, ...(record ? { record } : {}) };
    },

    async create(generation: number, record: ClaimRecord): Promise<boolean> {
      const stream = claimStreamName(prefix, generation);
      try {
        await ctx.attempt((abortSignal) => client.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: stream }), { abortSignal }));
      } catch (error) {
        if ((error as Error).name === 'ResourceAlreadyExistsException') return false;
        throw error;
      }
      const event = { timestamp: record.time, message: JSON.stringify(record), bytes: 0 };
      await putBatch({ client, logGroup, stream }, [event], retry, new CancelDeadline(retry));
      return true;
    },

    async holderEntry(runId: string) {
      const stream = await runStreamOf(ctx, prefix, runId);
      const entry = stream === undefined ? undefined : await readStreamAttempt(ctx, stream, expected);
      return entry?.runId === undefined ? undefined : entry;
    },
  };
}

async function firstRecord(ctx: LedgerContext, stream: string): Promise<ClaimRecord | undefined> {
  for await (const message of readStreamMessages(ctx.options.client, ctx.options.logGroup, stream, ctx.attempt, 1)) {
    try {
      return claimRecordOf(JSON.parse(message));
    } catch {
      return undefined;
    }
  }
  return undefined;
}
