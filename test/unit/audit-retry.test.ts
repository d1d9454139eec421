// The one retry layer of the CloudWatch calls: jittered exponential backoff, permanent errors not retried,
// and the shrunken budget once cancellation starts.
import { describe, expect, it } from 'vitest';
import { backoffMs, RetryGaveUp, withRetry } from '../../src/audit/retry.js';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { createCloudWatchLedger } from '../../src/adapters/aws/cloudwatch-ledger.js';
import { systemClock } from '../../src/ports/clock.js';
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

  it('cuts an attempt already in flight when a cancellation comes, to the budget left', async () => {
    const controller = new AbortController();
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    // A hung connection: answers only when its signal aborts (the attempt timeout is 30 s by default).
    const hung = (signal: AbortSignal) => {
      started();
      return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    };
    const gaveUp = withRetry(hung, { clock: systemClock, signal: controller.signal, cancelBudgetMs: 50 });
    await inFlight;
    controller.abort(new Error('cancelled (SIGINT)'));
    await expect(gaveUp).rejects.toMatchObject({ name: 'RetryGaveUp', cancelled: true });
  }, 5_000); // hang guard: without the bound the attempt waits its 30 s

  it('ends a backoff when a cancellation comes, so the next attempt runs within the budget', async () => {
    const controller = new AbortController();
    // A backoff that would never end by itself: only its signal can wake it.
    const clock = { now: () => new Date(), sleep: (_ms: number, signal?: AbortSignal) => new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })) };
    let calls = 0;
    const call = async () => {
      calls += 1;
      if (calls === 1) {
        setImmediate(() => controller.abort(new Error('cancelled (SIGINT)')));
        throw throttled();
      }
      return 'closed';
    };
    expect(await withRetry(call, { clock, signal: controller.signal, cancelBudgetMs: 1_000 })).toBe('closed');
    expect(calls).toBe(2);
  }, 5_000); // hang guard: without the wake-up the backoff never ends

  it('bounds a ledger read in flight by the same budget once the job is cancelled', async () => {
    const controller = new AbortController();
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    // DescribeLogStreams on a connection that never answers (each attempt would otherwise wait 30 s).
    const send = (_command: unknown, options: { abortSignal: AbortSignal }) => {
      started();
      return new Promise<never>((_, reject) => options.abortSignal.addEventListener('abort', () => reject(options.abortSignal.reason), { once: true }));
    };
    const ledger = createCloudWatchLedger({ client: { send } as unknown as CloudWatchLogsClient, logGroup: '/opsgate/audit', region: 'us-east-1', signal: controller.signal, cancelBudgetMs: 50 });
    const reading = ledger.lookup({ repository: 'acme/ops', pullRequest: 7, runbookPath: 'runbooks/a.yml', runbookDigest: 'sha256:ab' });
    await inFlight;
    controller.abort(new Error('cancelled (SIGINT)'));
    await expect(reading).rejects.toThrow(/Cannot read the run ledger .*gave up after 1 attempt/s);
  }, 5_000); // hang guard: unbounded, the read takes 4 attempts of 30 s
});
