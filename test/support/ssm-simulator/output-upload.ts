// Uploads one invocation's output to CloudWatch Logs the way the SSM agent does: streams
// CommandID/InstanceID/aws-runShellScript/stdout|stderr, created with the first data, flushed every interval
// (the agent: 30 s) or when a buffer passes 200 KB, and once more when the process ends.
import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';

type Stream = 'stdout' | 'stderr';

const FLUSH_BYTES = 200 * 1024;
const EVENT_CHARS = 16_000;
/** Bytes per PutLogEvents call, under CloudWatch's 1,048,576 (which counts 26 bytes per event). */
const PUT_BYTES = 1_000_000;

export class OutputUploader {
  private readonly buffers: Record<Stream, string> = { stdout: '', stderr: '' };
  private readonly created = new Set<Stream>();
  private groupReady: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  readonly errors: string[] = [];

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly group: string,
    private readonly streamPrefix: string,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.flushAll(), intervalMs);
    this.timer.unref();
  }

  append(stream: Stream, text: string): void {
    this.buffers[stream] += text;
    if (Buffer.byteLength(this.buffers[stream]) >= FLUSH_BYTES) this.flush(stream);
  }

  /** Flushes what is left and waits for every upload. */
  async finish(): Promise<void> {
    clearInterval(this.timer);
    this.flushAll();
    await this.chain;
  }

  private flushAll(): void {
    this.flush('stdout');
    this.flush('stderr');
  }

  private flush(stream: Stream): void {
    const text = this.buffers[stream];
    if (text === '') return;
    this.buffers[stream] = '';
    this.chain = this.chain.then(() => this.put(stream, text)).catch((error: unknown) => void this.errors.push(String(error)));
  }

  private async put(stream: Stream, text: string): Promise<void> {
    this.groupReady ??= this.logs.send(new CreateLogGroupCommand({ logGroupName: this.group })).then(
      () => undefined,
      (error: { name?: string }) => {
        if (error.name !== 'ResourceAlreadyExistsException') throw error;
      },
    );
    await this.groupReady;
    const name = `${this.streamPrefix}/${stream}`;
    if (!this.created.has(stream)) {
      await this.logs.send(new CreateLogStreamCommand({ logGroupName: this.group, logStreamName: name }));
      this.created.add(stream);
    }
    for (const logEvents of batchesOf(eventsOf(text))) {
      await this.logs.send(new PutLogEventsCommand({ logGroupName: this.group, logStreamName: name, logEvents }));
    }
  }
}

/** Events of at most EVENT_CHARS UTF-16 units, never splitting a surrogate pair. */
function eventsOf(text: string): Array<{ timestamp: number; message: string }> {
  const events: Array<{ timestamp: number; message: string }> = [];
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + EVENT_CHARS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    events.push({ timestamp: Date.now(), message: text.slice(i, end) });
    i = end;
  }
  return events;
}

/** Puts within CloudWatch's byte limit, counted in UTF-8 bytes plus 26 per event. */
function batchesOf<T extends { message: string }>(events: T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const event of events) {
    const cost = Buffer.byteLength(event.message, 'utf8') + 26;
    if (current.length > 0 && (bytes + cost > PUT_BYTES || current.length === 10_000)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(event);
    bytes += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
