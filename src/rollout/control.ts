import type { Clock } from "../clock.js";
import { RolloutFailure } from "./rollout-failure.js";

/** Where a progressive rollout stands; shown by `slipway status`. */
export type RolloutPhase = "starting" | "progressing" | "paused" | "promoting" | "post-promotion" | "finishing";

export interface ControlState {
  phase: RolloutPhase;
  step: { index: number; total: number; description: string } | null;
  weight: number | null;
  pausedReason: string | null;
  previewUrl: string | null;
}

/**
 * The human side of a running rollout: pause/resume, promote (next step or
 * --full), abort. Strategies call `checkpoint()` between steps and wait
 * through `sleep()` / `pauseUntilPromoted()`, which all end at once on abort.
 */
export class RolloutControl {
  readonly state: ControlState = { phase: "starting", step: null, weight: null, pausedReason: null, previewUrl: null };
  /** Set by `promote --full`: skip the remaining steps. */
  full = false;
  private readonly aborter = new AbortController();
  private failure: RolloutFailure | null = null;
  private readonly waiters = new Set<() => void>();
  private promoted = false;

  constructor(
    private readonly clock: Clock,
    private readonly onChange: (state: ControlState) => void = () => {},
  ) {}

  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /** The failure or abort that ended the rollout, if any. */
  get ended(): RolloutFailure | null {
    return this.failure;
  }

  set(patch: Partial<ControlState>): void {
    Object.assign(this.state, patch);
    this.onChange(this.state);
  }

  /** Ends the rollout at the next wait or checkpoint with this failure. */
  fail(failure: RolloutFailure): void {
    if (this.failure) return;
    this.failure = failure;
    this.aborter.abort();
    this.wakeUp();
  }

  /** Throws the abort/failure if there is one, then waits while paused. */
  async checkpoint(): Promise<void> {
    this.throwIfEnded();
    while (this.state.phase === "paused" && !this.failure) await this.waitForWake();
    this.throwIfEnded();
  }

  /** Pauses for a human (`slipway resume` or `slipway promote` continues). */
  pause(reason: string): void {
    if (this.state.phase === "paused") return;
    this.set({ phase: "paused", pausedReason: reason });
    this.wakeUp();
  }

  resume(): void {
    this.set({ phase: "progressing", pausedReason: null });
    this.wakeUp();
  }

  /** Next step (ends a pause or a timed wait), or every remaining step with `full`. */
  promote(full: boolean): void {
    this.full ||= full;
    this.promoted = true;
    if (this.state.phase === "paused") this.set({ phase: "progressing", pausedReason: null });
    this.wakeUp();
  }

  /** Waits `ms`; `promote` cuts it short, abort ends it with the failure. A pause stretches it. */
  async sleep(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    this.promoted = false;
    while (!this.promoted && !this.full) {
      this.throwIfEnded();
      if (this.state.phase === "paused" && !this.failure) {
        await this.waitForWake();
        continue;
      }
      const left = until - this.clock.now();
      if (left <= 0) return;
      await this.waitForWake(left);
    }
  }

  /** Pauses until `slipway promote` (or resume). */
  async pauseUntilPromoted(reason: string): Promise<void> {
    if (this.full) return;
    this.pause(reason);
    await this.checkpoint();
  }

  private throwIfEnded(): void {
    if (this.failure) throw this.failure;
  }

  private waitForWake(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: ReturnType<Clock["setTimeout"]> | null = null;
      const done = () => {
        if (timer) this.clock.clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      if (ms !== undefined) timer = this.clock.setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private wakeUp(): void {
    for (const w of [...this.waiters]) w();
  }
}
