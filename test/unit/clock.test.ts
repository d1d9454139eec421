// The system clock's sleep: any delay, however long (Node's setTimeout fires after 1 ms past 2^31-1 ms).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, systemClock } from '../../src/ports/clock.js';

afterEach(() => void vi.useRealTimers());

describe('systemClock.sleep', () => {
  it('waits longer than one timer can hold, by chaining timers', async () => {
    vi.useFakeTimers(); // the fake timers overflow like Node's: a delay past 2^31-1 fires after 1 ms
    let woke = false;
    const sleeping = systemClock.sleep(MAX_TIMER_MS + 30_000).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS - 1_000);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('rejects with the reason when aborted, also during a later timer of the chain', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const sleeping = systemClock.sleep(2 * MAX_TIMER_MS, controller.signal);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 5);
    controller.abort(new Error('cancelled (SIGINT)'));
    await expect(sleeping).rejects.toThrow('cancelled (SIGINT)');
    await expect(systemClock.sleep(10, controller.signal)).rejects.toThrow('cancelled (SIGINT)');
  });
});
