import type { Clock, Timer } from "../../src/clock.js";

interface FakeTimer extends Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets pending promise chains run (a macrotask turn). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A manual clock: time moves only in `advance()`, which runs due timers in
 * order (by due time, then creation) and lets promise chains settle after each.
 *
 * @example
 * const clock = new FakeClock();
 * const run = new AnalysisRun({ ..., clock });
 * run.start();
 * await clock.advance(5000); // the first measurement ran
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Set<FakeTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, unref: () => timer };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.#timers.delete(timer as FakeTimer);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = this.setTimeout(done, ms);
      function done() {
        signal?.removeEventListener("abort", abort);
        resolve();
      }
      const abort = () => {
        this.clearTimeout(timer);
        done();
      };
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Advance time by `ms`, firing due timers in order and letting promise chains settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.#timers.delete(next);
      this.#now = next.at;
      next.fn();
      await settle();
    }
    this.#now = target;
  }
}
