// Why and when a running step must be stopped: the run was cancelled, the step ran past its timeout, or its
// output could not be recorded. The first reason wins; listeners (the live session) act on it at once. The
// runner's confirmation that the stop took effect is kept here too, across sessions.
import type { Clock } from '../../../ports/clock.js';

export type StopReason = 'cancelled' | 'timed-out' | 'output-failed';

export interface StopConfirmation {
  code: number;
  /** SIGINT, SIGKILL, not-started, or empty when the step had already finished. */
  how: string;
}

export class StopControl {
  private why: StopReason | undefined;
  private at = 0;
  private confirmation: StopConfirmation | undefined;
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

  /** The runner's word that the step stopped (its exit status), possibly before all its output arrived. */
  get confirmed(): StopConfirmation | undefined {
    return this.confirmation;
  }

  confirm(confirmation: StopConfirmation): void {
    this.confirmation ??= confirmation;
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
