// One PutLogEvents batch, retried, with the partial acceptance CloudWatch reports in rejectedLogEventsInfo
// turned into a failure: a batch is either stored whole or the run stops (nothing is lost silently).
import { PutLogEventsCommand, type CloudWatchLogsClient, type RejectedLogEventsInfo } from '@aws-sdk/client-cloudwatch-logs';
import type { PendingEvent } from '../../audit/batch.js';
import { withRetry, type CancelDeadline, type RetryOptions } from '../../audit/retry.js';

export interface PutTarget {
  client: CloudWatchLogsClient;
  logGroup: string;
  stream: string;
}

/** Thrown when CloudWatch answered but kept some events out; `reason` is the user-facing explanation. */
export class EventsRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'EventsRejected';
  }
}

export async function putBatch(target: PutTarget, events: PendingEvent[], retry: RetryOptions, deadline: CancelDeadline): Promise<void> {
  const response = await withRetry(
    (abortSignal) =>
      target.client.send(
        new PutLogEventsCommand({ logGroupName: target.logGroup, logStreamName: target.stream, logEvents: events.map(({ timestamp, message }) => ({ timestamp, message })) }),
        { abortSignal },
      ),
    retry,
    deadline,
  );
  const rejected = describeRejected(response.rejectedLogEventsInfo, events.length);
  if (rejected) {
    const sent = new Date(events[0]!.timestamp).toISOString();
    throw new EventsRejected(
      `CloudWatch Logs kept events out of stream ${target.stream}: runner clock skew: ${rejected}. The first event was stamped ${sent} by the runner's clock; ` +
        'CloudWatch takes events at most 2 h ahead of its own clock and no older than 14 days or the retention period. Fix the runner clock (NTP) and run again.',
    );
  }
}

/** "3 events rejected as too new", per the documented indexes (too new from a start index; too old/expired up to an end index). */
export function describeRejected(info: RejectedLogEventsInfo | undefined, count: number): string | undefined {
  if (!info) return undefined;
  const parts: string[] = [];
  if (info.tooNewLogEventStartIndex !== undefined) parts.push(`${Math.max(1, count - info.tooNewLogEventStartIndex)} events rejected as too new`);
  if (info.tooOldLogEventEndIndex !== undefined) parts.push(`${Math.max(1, info.tooOldLogEventEndIndex)} events rejected as too old`);
  if (info.expiredLogEventEndIndex !== undefined) parts.push(`${Math.max(1, info.expiredLogEventEndIndex)} events rejected as expired`);
  return parts.length ? parts.join(', ') : undefined;
}
