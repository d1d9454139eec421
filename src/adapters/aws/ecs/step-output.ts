// Forwards one step's output to the awaited output listener (the audit log) in order, and counts what was
// received and what was consumed: received bytes are the offsets a re-attach resumes from, consumed bytes set
// the flow-control grant, so at most one window of output is ever held in memory however slow the audit log is.
import type { OutputListener, OutputStream } from '../../../ports/executor.js';

export const DEFAULT_WINDOW_BYTES = 2 * 1024 * 1024;

export class StepOutput {
  readonly received: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  private consumedBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  private failed: { error: unknown } | undefined;
  private readonly consumedListeners = new Set<() => void>();

  constructor(
    private readonly listener: OutputListener,
    readonly windowBytes = DEFAULT_WINDOW_BYTES,
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {}

  get consumed(): number {
    return this.consumedBytes;
  }

  /** The total the runner may send: one window beyond what the listener has taken. */
  get grant(): number {
    return this.consumedBytes + this.windowBytes;
  }

  get failure(): { error: unknown } | undefined {
    return this.failed;
  }

  push(stream: OutputStream, bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.received[stream] += bytes.length;
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        await this.listener(stream, bytes);
        this.consumedBytes += bytes.length;
        for (const listener of this.consumedListeners) listener();
      } catch (error) {
        this.failed = { error };
        this.onFailure(error); // stop the step: nothing may run unrecorded
      }
    });
  }

  onConsumed(listener: () => void): () => void {
    this.consumedListeners.add(listener);
    return () => this.consumedListeners.delete(listener);
  }

  /** Resolves when everything pushed so far went through the listener (or it failed). */
  settled(): Promise<void> {
    return this.chain;
  }
}
