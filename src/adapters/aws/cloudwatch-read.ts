// Reads an audit stream back from CloudWatch Logs, oldest first, one page at a time.
import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';

/** Yields messages in stored order; stops when the forward token repeats (the documented end of a stream). */
export async function* readStreamMessages(client: CloudWatchLogsClient, logGroup: string, logStream: string): AsyncGenerator<string> {
  let token: string | undefined;
  for (;;) {
    const page = await client.send(new GetLogEventsCommand({ logGroupName: logGroup, logStreamName: logStream, startFromHead: true, nextToken: token }));
    for (const event of page.events ?? []) if (event.message !== undefined) yield event.message;
    if (!page.nextForwardToken || page.nextForwardToken === token) return;
    token = page.nextForwardToken;
  }
}
