// Reads the output streams SSM writes to CloudWatch Logs (CommandID/InstanceID/aws-runShellScript/stdout|stderr):
// while the command runs (what the agent has uploaded: it uploads every 30 s or 200 KB) and to the end afterwards.
// One cursor (nextForwardToken) per stream, so the live and the final read never emit the same text twice.
import { DescribeLogStreamsCommand, GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { OutputStream } from '../../ports/executor.js';
import { errorText } from '../../run/error-text.js';

export function outputStreamName(commandId: string, instanceId: string, stream: OutputStream): string {
  return `${commandId}/${instanceId}/aws-runShellScript/${stream}`;
}

export type EmitOutput = (instanceId: string, stream: OutputStream, text: string) => Promise<void>;

export interface DrainedOutput {
  chunks: Array<[OutputStream, string]>;
  /** Streams that exist (read now or earlier); the agent creates one only when there is output. */
  streamsFound: number;
  /** Why reading stopped early. */
  error?: unknown;
}

interface Cursor {
  token?: string;
  exists: boolean;
  /** Characters emitted from this stream so far. */
  chars: number;
  lastIngestion?: number;
}

export class CommandOutputStreams {
  private readonly cursors = new Map<string, Cursor>();
  /** Why live reading stopped; the final read reports its own errors per instance. */
  liveError: string | undefined;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    readonly group: string,
    private readonly commandId: string,
  ) {}

  /** Emits what was uploaded since the last call, for every instance of the command or only one. */
  async readLive(emit: EmitOutput, instanceId?: string): Promise<void> {
    if (this.liveError) return;
    try {
      for (const found of await this.listStreams(instanceId)) {
        const cursor = this.cursor(found.name);
        // Only streams that received data since the last read (the final read catches anything skipped).
        if (found.lastIngestion !== undefined && found.lastIngestion === cursor.lastIngestion) continue;
        cursor.lastIngestion = found.lastIngestion;
        const text = await this.readNew(found.name, cursor);
        if (text !== '') await emit(found.instanceId, found.stream, text);
      }
    } catch (error) {
      // The group appears with the first upload; anything else stops live reading (not the final read).
      if ((error as { name?: string }).name !== 'ResourceNotFoundException') this.liveError = errorText(error);
    }
  }

  /**
   * Reads one instance's streams to the end. A missing stream is an empty one. On an error, what was read
   * before it is still returned, so the caller can emit it and take the rest from SSM's copy.
   */
  async drain(instanceId: string): Promise<DrainedOutput> {
    const drained: DrainedOutput = { chunks: [], streamsFound: 0 };
    for (const stream of ['stdout', 'stderr'] as const) {
      const name = outputStreamName(this.commandId, instanceId, stream);
      const cursor = this.cursor(name);
      try {
        const text = await this.readNew(name, cursor);
        if (text !== '') drained.chunks.push([stream, text]);
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceNotFoundException') return { ...drained, error };
      }
      if (cursor.exists) drained.streamsFound += 1;
    }
    return drained;
  }

  /** Characters of this instance's stream already emitted (so a fallback copy can skip them). */
  emittedChars(instanceId: string, stream: OutputStream): number {
    return this.cursors.get(outputStreamName(this.commandId, instanceId, stream))?.chars ?? 0;
  }

  private cursor(name: string): Cursor {
    let cursor = this.cursors.get(name);
    if (!cursor) this.cursors.set(name, (cursor = { exists: false, chars: 0 }));
    return cursor;
  }

  /** Pages forward from the cursor until the token stops changing (the end of the stream for now). */
  private async readNew(name: string, cursor: Cursor): Promise<string> {
    let text = '';
    for (;;) {
      const page = await this.logs.send(
        new GetLogEventsCommand({ logGroupName: this.group, logStreamName: name, startFromHead: true, ...(cursor.token ? { nextToken: cursor.token } : {}) }),
      );
      cursor.exists = true;
      for (const event of page.events ?? []) text += event.message ?? '';
      if (!page.nextForwardToken || page.nextForwardToken === cursor.token) break;
      cursor.token = page.nextForwardToken;
    }
    cursor.chars += text.length;
    return text;
  }

  private async listStreams(instanceId?: string): Promise<Array<{ name: string; instanceId: string; stream: OutputStream; lastIngestion?: number }>> {
    const prefix = instanceId ? `${this.commandId}/${instanceId}/` : `${this.commandId}/`;
    const out: Array<{ name: string; instanceId: string; stream: OutputStream; lastIngestion?: number }> = [];
    let token: string | undefined;
    do {
      const page = await this.logs.send(new DescribeLogStreamsCommand({ logGroupName: this.group, logStreamNamePrefix: prefix, nextToken: token }));
      for (const s of page.logStreams ?? []) {
        const [, instance, , stream] = (s.logStreamName ?? '').split('/');
        if (instance && (stream === 'stdout' || stream === 'stderr')) {
          out.push({ name: s.logStreamName!, instanceId: instance, stream, lastIngestion: s.lastIngestionTime });
        }
      }
      token = page.nextToken;
    } while (token);
    return out;
  }
}
