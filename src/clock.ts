/**
 * Time is injected: strategies, probes and the supervisor take a Clock so their
 * logic can be tested without sleeping. `systemClock` is the real one.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Timer {
  unref?(): unknown;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener("abort", done);
        clearTimeout(t);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** Waits for `promise`, at most `ms` on `clock`: true when it settled in time, false at the bound. The timer is cleared either way. */
export async function within(clock: Clock, ms: number, promise: Promise<unknown>): Promise<boolean> {
  const bound = new AbortController();
  try {
    return await Promise.race([promise.then(() => true), clock.sleep(ms, bound.signal).then(() => false)]);
  } finally {
    bound.abort();
  }
}
