// Time is injected so windows, polling and backoff are tested without waiting.
export interface Clock {
  now(): Date;
  /** Waits `ms` (any length: longer than one timer can hold is fine); rejects with the reason when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest single timer Node keeps: past 2^31-1 ms setTimeout fires after 1 ms instead. */
export const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      // Longer waits are chained timers of at most MAX_TIMER_MS each; NaN and negative delays wait 0 ms.
      let left = Number.isNaN(ms) ? 0 : Math.max(0, ms);
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const arm = () => {
        const chunk = Math.min(left, MAX_TIMER_MS);
        left -= chunk;
        timer = setTimeout(() => {
          if (left > 0) return arm();
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, chunk);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    }),
};
