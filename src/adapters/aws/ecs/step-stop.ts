// Why and when a running step must be stopped: the run was cancelled, the step ran past its timeout, or its
// output could not be recorded. The first reason wins; listeners (the live session) act on it at once.
import type { Clock } from '../../../ports/clock.js';

export type StopReason = 'cancelled' | 'timed-out' | 'output-failed';

export class StopControl {
  private why: StopReason | undefined;
  private at = 0;
  private readonly listeners = new Set<(reason: StopReason) => void>();
  private readonly timer = new AbortController();

  constructor(
    private readonly clock: Clock,
    timeoutMs: number,
    signal: AbortSignal,
  ) {
    clock.sleep(timeoutMs, this.timer.signal).then(
      () => this.request('timed-out'),
      () => undefined,
    );
    if (signal.aborted) this.request('cancelled');
    else signal.addEventListener('abort', () => this.request('cancelled'), { once: true });
  }

  get reason(): StopReason | undefined {
    return this.why;
  }

  /** Milliseconds since the stop was requested (0 when it was not). */
  elapsedMs(): number {
    return this.why ? this.clock.now().getTime() - this.at : 0;
  }

  request(reason: StopReason): void {
    if (this.why) return;
    this.why = reason;
    this.at = this.clock.now().getTime();
    for (const listener of this.listeners) listener(reason);
  }

  onRequest(listener: (reason: StopReason) => void): () => void {
    this.listeners.add(listener);
    if (this.why) listener(this.why);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.timer.abort();
    this.listeners.clear();
  }
}
