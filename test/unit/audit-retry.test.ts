// The one retry layer of the CloudWatch calls: jittered exponential backoff, permanent errors not retried,
// and the shrunken budget once cancellation starts.
import { describe, expect, it } from 'vitest';
import { backoffMs, RetryGaveUp, withRetry } from '../../src/audit/retry.js';
import { steppingClock } from '../support/audit-fixtures.js';

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
const denied = () => Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
/** A call that always fails with `make()`, counting its attempts. */
function failing(make: () => Error): { call: () => Promise<never>; calls: number } {
  const counter = {
    calls: 0,
    call: async (): Promise<never> => {
      counter.calls += 1;
      throw make();
    },
  };
  return counter;
}

describe('retry', () => {
  it('backs off exponentially with equal jitter, capped at 20 s', () => {
    expect([1, 2, 3].map((a) => backoffMs(a, () => 0))).toEqual([100, 200, 400]);
    expect([1, 2, 3].map((a) => backoffMs(a, () => 0.999))).toEqual([200, 400, 800]);
    expect(backoffMs(30, () => 0.5)).toBe(15_000);
  });

  it('retries transient errors up to maxAttempts and rethrows permanent ones at once', async () => {
    const clock = steppingClock();
    const transient = failing(throttled);
    await expect(withRetry(transient.call, { clock, maxAttempts: 4 })).rejects.toMatchObject({ attempts: 4 });
    expect(transient.calls).toBe(4);
    expect(clock.sleeps).toHaveLength(3);
    const permanent = failing(denied);
    await expect(withRetry(permanent.call, { clock, maxAttempts: 4 })).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(permanent.calls).toBe(1);
  });

  it('after cancellation, stops before the budget is spent, but always makes the first attempt', async () => {
    const clock = steppingClock();
    const controller = new AbortController();
    controller.abort();
    const transient = failing(throttled);
    const gaveUp = withRetry(transient.call, { clock, maxAttempts: 50, signal: controller.signal, cancelBudgetMs: 1_000 });
    await expect(gaveUp).rejects.toBeInstanceOf(RetryGaveUp);
    await expect(gaveUp).rejects.toMatchObject({ cancelled: true });
    expect(transient.calls).toBeGreaterThanOrEqual(1);
    expect(transient.calls).toBeLessThan(50);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(1_000);
    expect(await withRetry(async () => 'ok', { clock, signal: controller.signal, cancelBudgetMs: 0 })).toBe('ok');
  });
});
