// The run ledger over CloudWatch Logs: finds the streams of earlier attempts by their well-known prefix and reads
// how each ended. Fails closed: any error reading the group is thrown, never treated as "never ran".
import { DescribeLogStreamsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Ledger, LedgerEntry } from '../../ports/audit.js';
import { ledgerEntryFromEvents } from '../../audit/ledger-state.js';
import { ledgerStreamPrefix } from '../../audit/stream-name.js';
import { sha256Hex } from '../../audit/events.js';
import { cloudWatchStreamLinks } from '../../render/console-links.js';
import { readStreamMessages } from './cloudwatch-read.js';

export interface CloudWatchLedgerOptions {
  client: CloudWatchLogsClient;
  logGroup: string;
  region: string;
  partition?: string;
}

export function createCloudWatchLedger(options: CloudWatchLedgerOptions): Ledger {
  return {
    async lookup(repository, pullRequest, runbookDigest): Promise<LedgerEntry> {
      const prefix = ledgerStreamPrefix(repository, pullRequest, runbookDigest);
      const entries: LedgerEntry[] = [];
      try {
        for (const stream of await listStreams(options, prefix)) {
          const events = await readControlEvents(options.client, options.logGroup, stream);
          const links = cloudWatchStreamLinks({ region: options.region, partition: options.partition, logGroup: options.logGroup, logStream: stream });
          entries.push(
            ledgerEntryFromEvents(events, {
              kind: 'cloudwatch',
              description: `CloudWatch Logs ${options.logGroup}, stream ${stream} (${options.region})`,
              consoleUrl: links.streamUrl,
              insightsUrl: links.insightsUrl,
            }),
          );
        }
      } catch (error) {
        throw new Error(
          `Cannot read the run ledger in CloudWatch Logs ${options.logGroup} (${options.region}): ${(error as Error).name}: ${(error as Error).message}. ` +
            'The job role needs logs:DescribeLogStreams and logs:GetLogEvents on the audit log group.',
          { cause: error },
        );
      }
      return entries.find((e) => e.state === 'completed') ?? entries.at(-1) ?? { state: 'never-ran' };
    },
  };
}

async function listStreams(options: CloudWatchLedgerOptions, prefix: string): Promise<string[]> {
  const names: { name: string; created: number }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await options.client.send(new DescribeLogStreamsCommand({ logGroupName: options.logGroup, logStreamNamePrefix: prefix, nextToken }));
    for (const s of page.logStreams ?? []) if (s.logStreamName) names.push({ name: s.logStreamName, created: s.creationTime ?? 0 });
    nextToken = page.nextToken;
  } while (nextToken);
  return names.sort((a, b) => a.created - b.created).map((s) => s.name);
}

/** All events except step.output, with split parts reassembled. */
async function readControlEvents(client: CloudWatchLogsClient, logGroup: string, stream: string): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  let parts: string[] = [];
  for await (const message of readStreamMessages(client, logGroup, stream)) {
    const event = JSON.parse(message) as Record<string, unknown>;
    if (event.type === 'part') {
      if (event.i === 0) parts = [];
      parts.push(String(event.text));
      if (parts.length === event.n) {
        const line = parts.join('');
        if (sha256Hex(line) === event.of) events.push(JSON.parse(line) as Record<string, unknown>);
        parts = [];
      }
    } else if (event.type !== 'step.output') events.push(event);
  }
  return events;
}
