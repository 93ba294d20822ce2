import type { ProbeSpec } from "../config/types.js";
import { systemClock, type Clock, type Timer } from "../clock.js";
import type { CheckResult } from "./check.js";

/** A probe's verdict: `unknown` until a threshold has been crossed once. */
export type ProbeState = "unknown" | "healthy" | "unhealthy";

/** Emitted when a threshold is crossed and the state changes. */
export interface ProbeTransition {
  from: ProbeState;
  to: ProbeState;
  /** The message of the check that crossed the threshold. */
  message: string;
}

export interface ProberOptions {
  spec: ProbeSpec;
  /** Runs one check; must settle within about `timeoutMs`. A rejection counts as a failure. */
  check: (timeoutMs: number) => Promise<CheckResult>;
  clock?: Clock;
}

/**
 * Extra time the prober gives a check past its timeout before counting it
 * failed itself; `runCheck` enforces the timeout, this only guards against hangs.
 */
export const CHECK_GRACE_MS = 500;

/** HTTP answers that say the probed path is not served at all (rather than "not healthy yet"). */
export const PATH_NOT_SERVED: ReadonlySet<number> = new Set([404, 405]);

/**
 * Runs one ProbeSpec periodically with Kubernetes threshold semantics: the
 * first check after `initialDelay`, then one every `interval` (measured from the
 * start of the previous check, never overlapping). `successThreshold`
 * consecutive successes make it healthy, `failureThreshold` consecutive
 * failures unhealthy; listeners hear only those transitions.
 *
 * @example
 * const prober = new Prober({ spec, check: (t) => runCheck(spec.check, target, t), clock });
 * prober.onTransition(({ to, message }) => console.log(to, message));
 * prober.start();
 */
export class Prober {
  readonly spec: ProbeSpec;
  #check: ProberOptions["check"];
  #clock: Clock;
  #listeners = new Set<(transition: ProbeTransition) => void>();
  #state: ProbeState = "unknown";
  #successes = 0;
  #failures = 0;
  #lastMessage = "";
  #unserved = 0;
  #checkListeners = new Set<(result: CheckResult) => void>();
  #timer: Timer | undefined;
  /** Bumped by start/stop so a check in flight across a stop is ignored. */
  #run = 0;
  #active = false;

  constructor(options: ProberOptions) {
    this.spec = options.spec;
    this.#check = options.check;
    this.#clock = options.clock ?? systemClock;
  }

  get state(): ProbeState {
    return this.#state;
  }

  /** Consecutive successful checks (reset by a failure). */
  get successes(): number {
    return this.#successes;
  }

  /** Consecutive failed checks (reset by a success). */
  get failures(): number {
    return this.#failures;
  }

  /** Consecutive checks answered 404 or 405 (PATH_NOT_SERVED), reset by any other result. */
  get unserved(): number {
    return this.#unserved;
  }

  /** Message of the most recent check, "" before the first. */
  get lastMessage(): string {
    return this.#lastMessage;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Listen for state transitions. Listeners must not throw. Returns an unsubscribe function. */
  onTransition(listener: (transition: ProbeTransition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Listen for every check's result, heard after the counts (and any transition) are updated,
   * and only while the prober is running. Listeners must not throw. Returns an unsubscribe function.
   */
  onCheck(listener: (result: CheckResult) => void): () => void {
    this.#checkListeners.add(listener);
    return () => this.#checkListeners.delete(listener);
  }

  /** Begin probing: the first check runs after `delay` (default: the spec's initialDelay). No-op if already running. */
  start(delay: number = this.spec.initialDelay): void {
    if (this.#active) return;
    this.#active = true;
    this.#run++;
    this.#schedule(delay, this.#run);
  }

  /** Stop probing; a check in flight is left to finish and its result ignored. */
  stop(): void {
    this.#active = false;
    this.#run++;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delay: number, run: number): void {
    this.#timer = this.#clock.setTimeout(() => void this.#tick(run), delay);
    this.#timer.unref?.();
  }

  async #tick(run: number): Promise<void> {
    this.#timer = undefined;
    const startedAt = this.#clock.now();
    const result = await this.#guardedCheck();
    if (run !== this.#run) return;
    this.#record(result);
    if (run !== this.#run) return;
    for (const listener of [...this.#checkListeners]) if (run === this.#run) listener(result);
    if (run !== this.#run) return;
    this.#schedule(Math.max(0, startedAt + this.spec.interval - this.#clock.now()), run);
  }

  #guardedCheck(): Promise<CheckResult> {
    const { timeout } = this.spec;
    return new Promise((resolve) => {
      const guard = this.#clock.setTimeout(
        () => resolve({ ok: false, message: `check did not finish within ${timeout}ms` }),
        timeout + CHECK_GRACE_MS,
      );
      guard.unref?.();
      const settle = (result: CheckResult) => {
        this.#clock.clearTimeout(guard);
        resolve(result);
      };
      this.#check(timeout).then(settle, (err: unknown) => settle({ ok: false, message: err instanceof Error ? err.message : String(err) }));
    });
  }

  #record(result: CheckResult): void {
    this.#lastMessage = result.message;
    this.#unserved = result.status !== undefined && PATH_NOT_SERVED.has(result.status) ? this.#unserved + 1 : 0;
    if (result.ok) {
      this.#successes++;
      this.#failures = 0;
      if (this.#state !== "healthy" && this.#successes >= this.spec.successThreshold) {
        this.#transition("healthy", result.message);
      }
    } else {
      this.#failures++;
      this.#successes = 0;
      if (this.#state !== "unhealthy" && this.#failures >= this.spec.failureThreshold) {
        this.#transition("unhealthy", result.message);
      }
    }
  }

  #transition(to: ProbeState, message: string): void {
    const from = this.#state;
    this.#state = to;
    for (const listener of [...this.#listeners]) listener({ from, to, message });
  }
}
