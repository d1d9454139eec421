// When to ask SSM again. Intervals grow with the time already waited, so a 300 ms command is seen within about
// a second and an hour-long one costs a handful of calls. Pure, apart from the injected sleep.
import { SSM_CANCEL_WAIT_MS } from '../../run/cancel-budget.js';

export interface PollSchedule {
  firstMs: number;
  factor: number;
  capMs: number;
}

/**
 * The first poll at 0.5 s: right after SendCommand SSM mostly answers InvocationDoesNotExist anyway, and a
 * 300 ms command is still reported within about a second. Then ×2.5 (0.5, 1.75, 4.9, 12.7, 32 s, …).
 */
export const DEFAULT_POLL_SCHEDULE: PollSchedule = { firstMs: 500, factor: 2.5, capMs: 60_000 };

/**
 * After cancellation: poll this often, for at most this long; the orchestrator's wait for a cancelled step must
 * still leave time to list the instances and read output (src/run/cancel-budget.ts).
 */
export const CANCEL_POLL_MS = 250;
export const CANCEL_WAIT_MS = SSM_CANCEL_WAIT_MS;

/** How long SSM may take to show an invocation it has just accepted (eventual consistency). */
export const DEFAULT_CONSISTENCY_WINDOW_MS = 30_000;

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Delays first, first·factor, first·factor², … up to the cap. */
export function* pollDelays(schedule: PollSchedule): Generator<number, never> {
  let delay = schedule.firstMs;
  for (;;) {
    yield delay;
    delay = Math.min(schedule.capMs, delay * schedule.factor);
  }
}

/** Sleeps; an abort ends the sleep early instead of throwing (the caller then cancels the command). */
export async function pause(sleep: Sleep, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    await sleep(ms, signal);
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
}
