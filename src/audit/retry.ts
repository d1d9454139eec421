// Retries one CloudWatch Logs call: transient failures (throttling, 5xx, dropped connections, an attempt that
// timed out) back off exponentially with jitter. The SDK client is built with maxAttempts 1, so this is the only
// retry layer. Once the job is being cancelled the budget shrinks to what fits the runner's kill window.
import type { Clock } from '../ports/clock.js';
import { errorText } from '../run/error-text.js';
import { isTransientAwsError } from './errors.js';

export interface RetryOptions {
  clock: Clock;
  /** Attempts including the first (default 8). */
  maxAttempts?: number;
  /** Per attempt, so a hung connection cannot stall the run (default 30 s). */
  attemptTimeoutMs?: number;
  /** Aborted when the job is being cancelled. */
  signal?: AbortSignal;
  /** Time for all calls after cancellation starts (default 4 s, so the job exits within 5 s of SIGINT). */
  cancelBudgetMs?: number;
  /** [0, 1); injected so tests are repeatable. */
  random?: () => number;
}

export const BASE_DELAY_MS = 200;
/** Even past the cancellation budget, each call gets one short attempt: the closing events matter most. */
const LAST_CHANCE_MS = 500;
export const MAX_DELAY_MS = 20_000;

/** "Equal jitter": half the exponential delay fixed, half random, so retrying runners spread out. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

export class RetryGaveUp extends Error {
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
    readonly cancelled: boolean,
  ) {
    super(`gave up after ${attempts} attempt(s)`, { cause: lastError });
    this.name = 'RetryGaveUp';
  }
}

/** The text of an error, looking through RetryGaveUp to what the service said last. */
export function retryErrorText(error: unknown): string {
  return error instanceof RetryGaveUp ? `${errorText(error.lastError)} (gave up after ${error.attempts} attempt(s))` : errorText(error);
}

/** A deadline that starts when the signal aborts: cancellation leaves a fixed budget for the closing calls. */
export class CancelDeadline {
  private abortedAt: number | undefined;

  constructor(private readonly options: RetryOptions) {
    const { signal, clock } = options;
    if (signal?.aborted) this.abortedAt = clock.now().getTime();
    else signal?.addEventListener('abort', () => (this.abortedAt = clock.now().getTime()), { once: true });
  }

  /** Milliseconds left once cancelling; undefined while the job runs normally. */
  remainingMs(): number | undefined {
    if (this.abortedAt === undefined) return undefined;
    return this.abortedAt + (this.options.cancelBudgetMs ?? 4_000) - this.options.clock.now().getTime();
  }
}

/**
 * Runs `call` until it succeeds, a permanent error, or the attempts or the cancellation budget run out.
 * Permanent errors are rethrown as they are; giving up on transient ones throws RetryGaveUp.
 */
export async function withRetry<T>(call: (signal: AbortSignal) => Promise<T>, options: RetryOptions, deadline = new CancelDeadline(options)): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  for (let attempt = 1; ; attempt += 1) {
    const remaining = deadline.remainingMs();
    const timeout = Math.min(options.attemptTimeoutMs ?? 30_000, remaining === undefined ? Infinity : Math.max(remaining, LAST_CHANCE_MS));
    try {
      return await call(AbortSignal.timeout(timeout));
    } catch (error) {
      if (!isTransientAwsError(error) && !isAttemptTimeout(error)) throw error;
      const left = deadline.remainingMs();
      const delay = backoffMs(attempt, options.random);
      if (attempt >= maxAttempts || (left !== undefined && left <= delay)) throw new RetryGaveUp(attempt, error, left !== undefined);
      await options.clock.sleep(delay);
    }
  }
}

function isAttemptTimeout(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  return name === 'AbortError' || name === 'TimeoutError';
}
