// Retries one CloudWatch Logs call: transient failures (throttling, 5xx, dropped connections, an attempt that
// timed out) back off exponentially with jitter. The SDK client is built with maxAttempts 1, so this is the only
// retry layer. Once the job is being cancelled everything (the attempt in flight, the backoff, later attempts)
// fits in the cancellation budget of src/run/cancel-budget.ts.
import type { Clock } from '../ports/clock.js';
import { CLOUDWATCH_CANCEL_BUDGET_MS } from '../run/cancel-budget.js';
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
  /** Time for all calls after cancellation starts, counted from the abort (default CLOUDWATCH_CANCEL_BUDGET_MS). */
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
  private readonly spent = new AbortController();

  constructor(private readonly options: RetryOptions) {
    const { signal } = options;
    if (signal?.aborted) this.start();
    else signal?.addEventListener('abort', () => this.start(), { once: true });
  }

  private get budgetMs(): number {
    return this.options.cancelBudgetMs ?? CLOUDWATCH_CANCEL_BUDGET_MS;
  }

  private start(): void {
    this.abortedAt = this.options.clock.now().getTime();
    // Real time, unref'd: it bounds real waits and must not keep a finished process alive.
    const timer = setTimeout(() => this.spent.abort(new DOMException(`the ${this.budgetMs} ms left after cancellation are spent`, 'TimeoutError')), this.budgetMs);
    timer.unref();
  }

  /** Aborts once the budget after a cancellation is spent; never while the job runs normally. */
  get spentSignal(): AbortSignal {
    return this.spent.signal;
  }

  /** Milliseconds left once cancelling; undefined while the job runs normally. */
  remainingMs(): number | undefined {
    if (this.abortedAt === undefined) return undefined;
    return this.abortedAt + this.budgetMs - this.options.clock.now().getTime();
  }
}

/**
 * Runs `call` until it succeeds, a permanent error, or the attempts or the cancellation budget run out.
 * Permanent errors are rethrown as they are; giving up on transient ones throws RetryGaveUp.
 */
export async function withRetry<T>(call: (signal: AbortSignal) => Promise<T>, options: RetryOptions, deadline = new CancelDeadline(options)): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call(attemptSignal(options, deadline));
    } catch (error) {
      if (!isTransientAwsError(error) && !isAttemptTimeout(error)) throw error;
      const left = deadline.remainingMs();
      const delay = backoffMs(attempt, options.random);
      if (attempt >= maxAttempts || (left !== undefined && left <= delay)) throw new RetryGaveUp(attempt, error, left !== undefined);
      await backoff(options, deadline, delay);
    }
  }
}

/**
 * One attempt's timeout. Started while cancelling: what is left of the budget (or one last short try). Started
 * before: its own timeout, cut to the budget if a cancellation comes while it is in flight.
 */
function attemptSignal(options: RetryOptions, deadline: CancelDeadline): AbortSignal {
  const attemptMs = options.attemptTimeoutMs ?? 30_000;
  const remaining = deadline.remainingMs();
  if (remaining !== undefined) return AbortSignal.timeout(Math.min(attemptMs, Math.max(remaining, LAST_CHANCE_MS)));
  return AbortSignal.any([AbortSignal.timeout(attemptMs), deadline.spentSignal]);
}

/**
 * The backoff before the next attempt. A cancellation that comes during it ends it at once, so the next attempt
 * gets what is left of the budget; once cancelling it never outlasts the budget.
 */
async function backoff(options: RetryOptions, deadline: CancelDeadline, delay: number): Promise<void> {
  const wake = deadline.remainingMs() === undefined && options.signal ? AbortSignal.any([options.signal, deadline.spentSignal]) : deadline.spentSignal;
  try {
    await options.clock.sleep(delay, wake);
  } catch (error) {
    if (!wake.aborted) throw error;
  }
}

function isAttemptTimeout(error: unknown): boolean {
  const name = (error as { name?: string })?.name ?? '';
  return name === 'AbortError' || name === 'TimeoutError';
}
