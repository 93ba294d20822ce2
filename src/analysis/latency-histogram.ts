/**
 * A fixed, log-scale latency histogram: cheap enough to keep one per second
 * per release, precise enough (about 2% either way) to judge p50/p95/p99.
 */

/** Lowest latency with its own bucket (ms); anything faster lands in the underflow bucket. */
export const HISTOGRAM_MIN_MS = 0.05;
/** Highest latency with its own bucket (ms); anything slower lands in the overflow bucket. */
export const HISTOGRAM_MAX_MS = 120_000;
/** Each bucket's upper bound is this many times its lower bound (4% wide). */
export const HISTOGRAM_GROWTH = 1.04;

const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);
/** Log-scale buckets between MIN and MAX; bucket i (1-based) holds [MIN·G^(i-1), MIN·G^i). */
const LOG_BUCKETS = Math.ceil(Math.log(HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS) / LOG_GROWTH);
const OVERFLOW = LOG_BUCKETS + 1;
/** Underflow + log buckets + overflow. */
export const HISTOGRAM_BUCKETS = LOG_BUCKETS + 2;

/** The value reported for each bucket: its geometric middle (at most ~2% off any value in it). */
const REPRESENTATIVE = new Float64Array(HISTOGRAM_BUCKETS);
REPRESENTATIVE[0] = HISTOGRAM_MIN_MS;
for (let i = 1; i <= LOG_BUCKETS; i++) REPRESENTATIVE[i] = HISTOGRAM_MIN_MS * Math.pow(HISTOGRAM_GROWTH, i - 0.5);
REPRESENTATIVE[OVERFLOW] = HISTOGRAM_MAX_MS;

/** The bucket of a latency; NaN and negatives count as underflow. */
function bucketOf(ms: number): number {
  if (!(ms >= HISTOGRAM_MIN_MS)) return 0;
  const i = 1 + Math.floor(Math.log(ms / HISTOGRAM_MIN_MS) / LOG_GROWTH);
  return i > OVERFLOW ? OVERFLOW : i;
}

/**
 * Counts latencies in fixed log-scale buckets from 0.05 ms to 120 s, 4% wide.
 * `add` does not allocate. Quantiles are the geometric middle of the bucket
 * holding the rank, clamped to the smallest and largest value seen (so one
 * sample, the minimum and the maximum are exact).
 *
 * @example
 * const h = new LatencyHistogram();
 * for (const ms of [12, 15, 18, 250]) h.add(ms);
 * h.quantile(0.5); // ≈ 15
 * h.quantile(1); // 250
 */
export class LatencyHistogram {
  readonly #counts = new Uint32Array(HISTOGRAM_BUCKETS);
  #count = 0;
  #min = Infinity;
  #max = -Infinity;

  /** Number of latencies added. */
  get count(): number {
    return this.#count;
  }

  /** Smallest latency added, or null when empty. */
  get min(): number | null {
    return this.#count === 0 ? null : this.#min;
  }

  /** Largest latency added, or null when empty. */
  get max(): number | null {
    return this.#count === 0 ? null : this.#max;
  }

  /**
   * Count one latency in ms. Allocation-free.
   *
   * @example
   * h.add(performance.now() - started);
   */
  add(ms: number): void {
    const i = bucketOf(ms);
    this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    this.#count++;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  /**
   * Add every latency counted by `other` into this histogram.
   *
   * @example
   * const total = new LatencyHistogram();
   * for (const second of seconds) total.merge(second);
   */
  merge(other: LatencyHistogram): void {
    if (other.#count === 0) return;
    const mine = this.#counts;
    const theirs = other.#counts;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) mine[i] = (mine[i] ?? 0) + (theirs[i] ?? 0);
    this.#count += other.#count;
    if (other.#min < this.#min) this.#min = other.#min;
    if (other.#max > this.#max) this.#max = other.#max;
  }

  /**
   * The latency at quantile `q` (0..1, nearest rank), or null when empty.
   *
   * @example
   * h.quantile(0.99); // p99 in ms
   */
  quantile(q: number): number | null {
    if (this.#count === 0) return null;
    if (q <= 0) return this.#min;
    if (q >= 1) return this.#max;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.#counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, REPRESENTATIVE[i] ?? 0));
    }
    return this.#max;
  }

  /** Forget everything, keeping the buckets (no allocation). */
  clear(): void {
    if (this.#count === 0) return;
    this.#counts.fill(0);
    this.#count = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
  }
}
