// Reads an audit stream back from CloudWatch Logs: all of it oldest first, one page at a time, or just its last
// event. Each call goes through `attempt`, so the ledger can retry it (its client makes one attempt per call).
import { GetLogEventsCommand, type CloudWatchLogsClient, type GetLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';

/** Runs one SDK call, possibly several times; the signal bounds one attempt. */
export type Attempt = <T>(call: (signal: AbortSignal | undefined) => Promise<T>) => Promise<T>;
export const once: Attempt = (call) => call(undefined);

export interface StoredMessage {
  message: string;
  timestamp: number;
}

/** Yields messages in stored order; stops when the forward token repeats (the documented end of a stream). */
export async function* readStoredEvents(client: CloudWatchLogsClient, logGroup: string, logStream: string, attempt: Attempt = once, pageSize?: number): AsyncGenerator<StoredMessage> {
  let token: string | undefined;
  for (;;) {
    const page: GetLogEventsCommandOutput = await attempt((abortSignal) =>
      client.send(new GetLogEventsCommand({ logGroupName: logGroup, logStreamName: logStream, startFromHead: true, nextToken: token, limit: pageSize }), { abortSignal }),
    );
    for (const event of page.events ?? []) if (event.message !== undefined) yield { message: event.message, timestamp: event.timestamp ?? 0 };
    if (!page.nextForwardToken || page.nextForwardToken === token) return;
    token = page.nextForwardToken;
  }
}

export async function* readStreamMessages(client: CloudWatchLogsClient, logGroup: string, logStream: string, attempt: Attempt = once, pageSize?: number): AsyncGenerator<string> {
  for await (const event of readStoredEvents(client, logGroup, logStream, attempt, pageSize)) yield event.message;
}

/** The newest message of a stream (one small call), or undefined when the stream is empty. */
export async function readLastMessage(client: CloudWatchLogsClient, logGroup: string, logStream: string, attempt: Attempt = once): Promise<string | undefined> {
  const page = await attempt((abortSignal) => client.send(new GetLogEventsCommand({ logGroupName: logGroup, logStreamName: logStream, startFromHead: false, limit: 1 }), { abortSignal }));
  return page.events?.at(-1)?.message;
}
