/**
 * A running analysis: every `interval`, judge the canary's last `window` and
 * run the extra checks; count failed and inconclusive measurements against
 * their limits (Argo Rollouts semantics).
 */
import { systemClock, type Clock, type Timer } from "../clock.js";
import type { AnalysisConfig } from "../config/types.js";
import { evaluateMetrics, type MetricVerdict, type Verdict } from "./evaluate.js";
import type { TrafficRecorder } from "./traffic-recorder.js";

/** The result of one extra check (an HTTP request or a command). */
export interface CheckOutcome {
  name: string;
  ok: boolean;
  message: string;
}

/** One measurement: the metric verdict merged with the checks, and the running counts. */
export interface AnalysisTick extends MetricVerdict {
  /** 1 for the first measurement. */
  n: number;
  /** Failed measurements so far (this one included). */
  failures: number;
  /** Inconclusive measurements so far (since the last resetInconclusive). */
  inconclusives: number;
  checks: CheckOutcome[];
}

/** How a run ends: too many failed, or too many inconclusive measurements. */
export type AnalysisOutcome = "failed" | "inconclusive";

export interface AnalysisRunOptions {
  config: AnalysisConfig;
  recorder: TrafficRecorder;
  canaryRelease: number;
  /** The release to compare with (`compareToStable`); null when there is none. */
  stableRelease: number | null;
  /** Extra checks run with every measurement; any failing one fails it. Must settle (enforce your own timeouts). */
  runChecks?: () => Promise<CheckOutcome[]>;
  clock?: Clock;
  /** Hears every measurement. An exception thrown here is ignored. */
  onTick: (tick: AnalysisTick) => void;
}

/**
 * Measures every `config.interval` (the first one `interval` after start),
 * each over the trailing `config.window`. Measurements never overlap: one
 * starts `interval` after the previous one started, or as soon as it ends
 * when it took longer. A run fails when its failed measurements EXCEED
 * `failureLimit` (0: the first failure fails it), and is inconclusive when
 * its inconclusive ones exceed `inconclusiveLimit`; counts are totals, not
 * streaks. Once `outcome` settles the run stops measuring.
 *
 * @example
 * // background analysis for the whole canary
 * const run = new AnalysisRun({ config, recorder, canaryRelease: 2, stableRelease: 1, onTick: (t) => progress(t) });
 * run.start();
 * const outcome = await run.outcome; // "failed" → abort the canary; "inconclusive" → pause it
 *
 * @example
 * // a one-shot `analysis` step: measure until one measurement passes
 * const result = await new AnalysisRun({ ...options }).waitForPass(); // "passed" | "failed" | "inconclusive"
 */
export class AnalysisRun {
  readonly #o: AnalysisRunOptions;
  readonly #clock: Clock;
  #n = 0;
  #failures = 0;
  #inconclusives = 0;
  #last: AnalysisTick | null = null;
  /** Started and not stopped by the caller (a settled run is wanted but not measuring). */
  #wanted = false;
  #timer: Timer | undefined;
  /** Bumped whenever measuring stops, so a measurement in flight across it is dropped. */
  #generation = 0;
  #settled: AnalysisOutcome | null = null;
  #outcome!: Promise<AnalysisOutcome>;
  #settle!: (outcome: AnalysisOutcome) => void;
  #passWaiters: ((result: "passed" | AnalysisOutcome) => void)[] = [];

  constructor(options: AnalysisRunOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#renewOutcome();
  }

  /** Settles when failures > failureLimit ("failed") or inconclusives > inconclusiveLimit ("inconclusive"); never settles otherwise. */
  get outcome(): Promise<AnalysisOutcome> {
    return this.#outcome;
  }

  /**
   * Begin measuring. No-op when already running or settled.
   *
   * @example
   * run.start();
   */
  start(): void {
    if (this.#wanted) return;
    this.#wanted = true;
    if (this.#settled === null) this.#schedule(this.#o.config.interval);
  }

  /**
   * Stop measuring; a measurement in flight is dropped. A pending `waitForPass` stays pending.
   *
   * @example
   * run.stop();
   */
  stop(): void {
    this.#wanted = false;
    this.#halt();
  }

  /** The last measurement, or null before the first. */
  last(): AnalysisTick | null {
    return this.#last;
  }

  /**
   * Zero the inconclusive count, after a human resumed a paused rollout.
   * If the run had ended "inconclusive", `outcome` becomes a new pending
   * promise and measuring resumes (unless the run was stopped).
   *
   * @example
   * if ((await run.outcome) === "inconclusive") { await promoted(); run.resetInconclusive(); }
   */
  resetInconclusive(): void {
    this.#inconclusives = 0;
    if (this.#settled !== "inconclusive") return;
    this.#settled = null;
    this.#renewOutcome();
    if (this.#wanted) this.#schedule(this.#o.config.interval);
  }

  /**
   * For a one-shot step: starts the run if needed and resolves "passed" at
   * the first passing measurement (then stops the run), or with the outcome
   * if it settles first.
   *
   * @example
   * const result = await run.waitForPass();
   * if (result !== "passed") abort(result);
   */
  waitForPass(): Promise<"passed" | AnalysisOutcome> {
    if (this.#settled !== null) return Promise.resolve(this.#settled);
    const waiting = new Promise<"passed" | AnalysisOutcome>((resolve) => this.#passWaiters.push(resolve));
    this.start();
    return waiting;
  }

  #renewOutcome(): void {
    this.#outcome = new Promise((resolve) => (this.#settle = resolve));
  }

  #halt(): void {
    this.#generation++;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delay: number): void {
    const generation = this.#generation;
    this.#timer = this.#clock.setTimeout(() => void this.#measure(generation), delay);
    this.#timer.unref?.();
  }

  async #measure(generation: number): Promise<void> {
    this.#timer = undefined;
    const startedAt = this.#clock.now();
    const { config, recorder, canaryRelease, stableRelease } = this.#o;
    const metrics = evaluateMetrics(
      config,
      recorder.window(canaryRelease, config.window),
      stableRelease === null ? null : recorder.window(stableRelease, config.window),
    );
    const checks = await this.#checks();
    if (generation !== this.#generation) return;

    const checksFailed = checks.some((c) => !c.ok);
    const verdict: Verdict = checksFailed ? "fail" : metrics.verdict;
    if (verdict === "fail") this.#failures++;
    if (verdict === "inconclusive") this.#inconclusives++;
    const tick: AnalysisTick = {
      ...metrics,
      verdict,
      reasons: [
        ...metrics.reasons,
        ...checks.map((c) => `check ${c.name} ${c.ok ? "passed" : "failed"}${c.message ? `: ${c.message}` : ""}`),
      ],
      n: ++this.#n,
      failures: this.#failures,
      inconclusives: this.#inconclusives,
      checks,
    };
    this.#last = tick;
    try {
      this.#o.onTick(tick);
    } catch {
      // A listener must never stop the analysis.
    }
    if (generation !== this.#generation) return;

    if (this.#failures > config.failureLimit) this.#end("failed");
    else if (this.#inconclusives > config.inconclusiveLimit) this.#end("inconclusive");
    else if (verdict === "pass" && this.#passWaiters.length > 0) {
      this.stop();
      this.#resolveWaiters("passed");
    } else this.#schedule(Math.max(0, startedAt + config.interval - this.#clock.now()));
  }

  async #checks(): Promise<CheckOutcome[]> {
    const run = this.#o.runChecks;
    if (run === undefined) return [];
    try {
      return await run();
    } catch (err) {
      return [{ name: "checks", ok: false, message: err instanceof Error ? err.message : String(err) }];
    }
  }

  #end(outcome: AnalysisOutcome): void {
    this.#halt();
    this.#settled = outcome;
    this.#settle(outcome);
    this.#resolveWaiters(outcome);
  }

  #resolveWaiters(result: "passed" | AnalysisOutcome): void {
    const waiters = this.#passWaiters;
    this.#passWaiters = [];
    for (const resolve of waiters) resolve(result);
  }
}
