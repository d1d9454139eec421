// The streams of one ledger prefix in CloudWatch Logs: listing them (all pages) and reading one as an attempt.
// Shared by the ledger lookup and the claim store.
import { DescribeLogStreamsCommand, type DescribeLogStreamsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import type { LedgerEntry } from '../../ports/audit.js';
import type { Clock } from '../../ports/clock.js';
import { readAttempt, type AttemptSource, type ExpectedIdentity } from '../../audit/ledger-read.js';
import { claimGeneration, isRunStreamOf } from '../../audit/stream-name.js';
import type { CloudWatchLedgerOptions } from './cloudwatch-ledger.js';
import { cloudWatchLocation } from './cloudwatch-location.js';
import { readLastMessage, readStreamMessages, type Attempt } from './cloudwatch-read.js';

export interface LedgerContext {
  options: CloudWatchLedgerOptions;
  attempt: Attempt;
  clock: Clock;
}

export interface ListedStream {
  name: string;
  created: number;
}

/** One stream read as an attempt; undefined when its run.started names another identity. */
export function readStreamAttempt(ctx: LedgerContext, stream: string, expected: ExpectedIdentity): Promise<LedgerEntry | undefined> {
  const { client, logGroup } = ctx.options;
  const source: AttemptSource = {
    where: `stream ${stream} of log group ${logGroup}`,
    messages: (pageSize) => readStreamMessages(client, logGroup, stream, ctx.attempt, pageSize),
    lastMessage: () => readLastMessage(client, logGroup, stream, ctx.attempt),
  };
  return readAttempt(source, expected, (range) => cloudWatchLocation(ctx.options, stream, range));
}

/** The run stream of one attempt, found by its run id at the end of the name. */
export async function runStreamOf(ctx: LedgerContext, prefix: string, runId: string): Promise<string | undefined> {
  return (await listStreams(ctx, prefix)).find((s) => claimGeneration(prefix, s.name) === undefined && isRunStreamOf(prefix, s.name, runId))?.name;
}

/** Every stream whose name starts with `prefix`, oldest first, over all pages. */
export async function listStreams(ctx: LedgerContext, prefix: string): Promise<ListedStream[]> {
  const streams: ListedStream[] = [];
  let nextToken: string | undefined;
  do {
    const page: DescribeLogStreamsCommandOutput = await ctx.attempt((abortSignal) =>
      ctx.options.client.send(new DescribeLogStreamsCommand({ logGroupName: ctx.options.logGroup, logStreamNamePrefix: prefix, nextToken }), { abortSignal }),
    );
    for (const s of page.logStreams ?? []) if (s.logStreamName) streams.push({ name: s.logStreamName, created: s.creationTime ?? 0 });
    nextToken = page.nextToken === nextToken ? undefined : page.nextToken; // a repeated token would loop forever
  } while (nextToken);
  return streams.sort((a, b) => a.created - b.created);
}
