/**
 * Per-release request counts and latencies in a ring of time buckets: what
 * canary and blue-green analysis measure. Fed once per proxied request.
 */
import { systemClock, type Clock } from "../clock.js";
import { LatencyHistogram } from "./latency-histogram.js";

/** Default width of one time bucket (ms): windows are measured in whole buckets. */
export const DEFAULT_BUCKET_MS = 1000;
/** Default history kept per release (ms); longer windows are cut to it. */
export const DEFAULT_RETAIN_MS = 15 * 60_000;

/** What one release served over a window. */
export interface WindowStats {
  requests: number;
  /** 5xx answers (the router reports a failed upstream as 502). */
  errors: number;
  /** errors / requests, 0..1; 0 when there were no requests. */
  errorRate: number;
  /** Latency percentiles in ms (about 2% precision); null when there were no requests. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

const CLASSES: readonly StatusClass[] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const ERROR_CLASS = 4;

export interface TrafficRecorderOptions {
  clock?: Clock;
  /** Width of one time bucket, ms (default 1000). */
  bucketMs?: number;
  /** History kept per release, ms (default 15 minutes). */
  retainMs?: number;
}

/** The index in CLASSES of a status code; anything outside 100-599 is clamped to 1xx or 5xx. */
function classOf(status: number): number {
  const c = Math.floor(status / 100) - 1;
  return c < 0 ? 0 : c > ERROR_CLASS ? ERROR_CLASS : c;
}

/** One time bucket of one release. */
class Slot {
  /** The bucket number (time / bucketMs) this slot holds, -1 when never used. */
  epoch = -1;
  readonly byClass = new Float64Array(CLASSES.length);
  readonly latency = new LatencyHistogram();

  reset(epoch: number): void {
    this.epoch = epoch;
    this.byClass.fill(0);
    this.latency.clear();
  }
}

/** All buckets of one release, plus its totals since the first request. */
class Ring {
  readonly slots: Slot[];
  readonly totals = new Float64Array(CLASSES.length);

  constructor(size: number) {
    this.slots = Array.from({ length: size }, () => new Slot());
  }
}

/**
 * Records every proxied request by release and answers sliding-window
 * questions: requests, 5xx rate and latency percentiles over the last N ms.
 * `record` is O(1) and allocation-free once a release has been seen.
 *
 * @example
 * const recorder = new TrafficRecorder();
 * router = new Router({ listen, onResponse: (s) => recorder.record(releaseOf(s.target), s.status, s.durationMs) });
 * recorder.window(2, 30_000); // { requests: 512, errors: 3, errorRate: 0.00586, p50: 14.1, p95: 48.9, p99: 97.2 }
 */
export class TrafficRecorder {
  readonly #clock: Clock;
  readonly #bucketMs: number;
  readonly #size: number;
  readonly #rings = new Map<number, Ring>();
  /** Reused by window(): the merged latencies of the window's buckets. */
  readonly #scratch = new LatencyHistogram();

  constructor(options: TrafficRecorderOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#bucketMs = options.bucketMs ?? DEFAULT_BUCKET_MS;
    const retainMs = options.retainMs ?? DEFAULT_RETAIN_MS;
    if (!(this.#bucketMs > 0)) throw new RangeError(`bucketMs must be positive, got ${this.#bucketMs}`);
    if (!(retainMs >= this.#bucketMs)) throw new RangeError(`retainMs (${retainMs}) must be at least bucketMs (${this.#bucketMs})`);
    // One more slot than the retention needs: the current bucket is partial.
    this.#size = Math.ceil(retainMs / this.#bucketMs) + 1;
  }

  /**
   * Count one answered request. The hot path: O(1), no allocation after the
   * release's first request.
   *
   * @example
   * recorder.record(2, 503, 12.4);
   */
  record(releaseId: number, status: number, durationMs: number): void {
    let ring = this.#rings.get(releaseId);
    if (ring === undefined) {
      ring = new Ring(this.#size);
      this.#rings.set(releaseId, ring);
    }
    const epoch = Math.floor(this.#clock.now() / this.#bucketMs);
    const slot = ring.slots[this.#index(epoch)];
    if (slot === undefined) return;
    if (slot.epoch !== epoch) slot.reset(epoch);
    const c = classOf(status);
    slot.byClass[c] = (slot.byClass[c] ?? 0) + 1;
    slot.latency.add(durationMs);
    ring.totals[c] = (ring.totals[c] ?? 0) + 1;
  }

  /**
   * Stats of `releaseId` over the last `windowMs`, in whole buckets: the
   * window covers at least `windowMs` and at most one bucket more (its oldest
   * bucket may start before `now - windowMs`). Windows longer than the
   * retention are cut to it. An unknown release has zero requests.
   *
   * @example
   * const { requests, errorRate, p99 } = recorder.window(2, 30_000);
   */
  window(releaseId: number, windowMs: number): WindowStats {
    const ring = this.#rings.get(releaseId);
    if (ring === undefined) return { requests: 0, errors: 0, errorRate: 0, p50: null, p95: null, p99: null };
    const now = this.#clock.now();
    const newest = Math.floor(now / this.#bucketMs);
    const oldest = Math.max(newest - this.#size + 1, Math.floor((now - windowMs) / this.#bucketMs));
    const latency = this.#scratch;
    latency.clear();
    let requests = 0;
    let errors = 0;
    for (let epoch = oldest; epoch <= newest; epoch++) {
      const slot = ring.slots[this.#index(epoch)];
      if (slot === undefined || slot.epoch !== epoch) continue;
      for (const n of slot.byClass) requests += n;
      errors += slot.byClass[ERROR_CLASS] ?? 0;
      latency.merge(slot.latency);
    }
    return {
      requests,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      p50: latency.quantile(0.5),
      p95: latency.quantile(0.95),
      p99: latency.quantile(0.99),
    };
  }

  /**
   * Everything `releaseId` answered since its first request (not windowed).
   *
   * @example
   * recorder.totals(2); // { requests: 1200, byClass: { "1xx": 0, "2xx": 1180, "3xx": 0, "4xx": 12, "5xx": 8 } }
   */
  totals(releaseId: number): { requests: number; byClass: Record<StatusClass, number> } {
    const totals = this.#rings.get(releaseId)?.totals;
    const byClass = { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
    let requests = 0;
    CLASSES.forEach((name, i) => {
      const n = totals?.[i] ?? 0;
      byClass[name] = n;
      requests += n;
    });
    return { requests, byClass };
  }

  /**
   * Drop everything recorded for a release (once it is retired).
   *
   * @example
   * recorder.forget(1);
   */
  forget(releaseId: number): void {
    this.#rings.delete(releaseId);
  }

  #index(epoch: number): number {
    const i = epoch % this.#size;
    return i < 0 ? i + this.#size : i;
  }
}
