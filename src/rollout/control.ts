import type { Clock } from "../clock.js";
import { RolloutFailure } from "./rollout-failure.js";

/**
 * Where a rollout stands; shown by `slipway status` and the
 * `slipway_rollout_phase` metric. A rollout is a transaction: it prepares
 * (router, preDeploy hook), progresses (new instances, canary steps, green
 * and its preview), may pause for a human, promotes (canary to full size, the
 * blue-green switch, then post-promotion analysis), and ends by committing
 * (every instance of the new release ready, then the ledger makes it current)
 * or by rolling back (traffic to the previous release, new instances gone);
 * then it is done.
 */
export type RolloutPhase = "preparing" | "progressing" | "paused" | "promoting" | "post-promotion" | "committing" | "rolling-back" | "done";

/** The phases each phase may move to (a rollout can roll back from anywhere before it is done). */
export const PHASE_TRANSITIONS: Readonly<Record<RolloutPhase, readonly RolloutPhase[]>> = {
  preparing: ["progressing", "paused", "rolling-back"],
  progressing: ["paused", "promoting", "committing", "rolling-back"],
  paused: ["preparing", "progressing", "promoting", "post-promotion", "rolling-back"],
  promoting: ["paused", "post-promotion", "committing", "rolling-back"],
  "post-promotion": ["paused", "committing", "rolling-back"],
  committing: ["done", "rolling-back"],
  "rolling-back": ["done"],
  done: [],
};

/** Phases a human (or an inconclusive analysis) may pause. */
const PAUSABLE: ReadonlySet<RolloutPhase> = new Set(["preparing", "progressing", "promoting", "post-promotion"]);

export interface ControlState {
  /** Changed only through `enter` (and pause/resume/promote), along PHASE_TRANSITIONS. */
  readonly phase: RolloutPhase;
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
  readonly state: ControlState = { phase: "preparing", step: null, weight: null, pausedReason: null, previewUrl: null };
  /** The phase a pause interrupted: resume and promote go back to it. */
  private pausedFrom: RolloutPhase = "progressing";
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

  /** Updates what status shows of the step, weight and preview (not the phase: see `enter`). */
  set(patch: Partial<Omit<ControlState, "phase">>): void {
    Object.assign(this.state, patch);
    this.onChange(this.state);
  }

  /**
   * Moves to `phase`; a move PHASE_TRANSITIONS does not allow is a bug and
   * throws. During a pause, a step's phase (not rolling back) is where resume
   * goes: the pause holds until a human ends it.
   */
  enter(phase: RolloutPhase, patch: Partial<Omit<ControlState, "phase">> = {}): void {
    const paused = this.state.phase === "paused" && phase !== "paused" && phase !== "rolling-back" && phase !== "done";
    const from = paused ? this.pausedFrom : this.state.phase;
    if (from !== phase && !PHASE_TRANSITIONS[from].includes(phase)) throw new Error(`rollout phase ${from} -> ${phase} is not allowed`);
    if (paused) this.pausedFrom = phase;
    Object.assign(this.state, patch, paused ? {} : { phase });
    this.onChange(this.state);
  }

  /** Whether `pause` applies now (not while committing, rolling back or done). */
  get pausable(): boolean {
    return PAUSABLE.has(this.state.phase);
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
    if (!this.pausable) return;
    this.pausedFrom = this.state.phase;
    this.enter("paused", { pausedReason: reason });
    this.wakeUp();
  }

  resume(): void {
    this.leavePause();
    this.wakeUp();
  }

  /** Next step (ends a pause or a timed wait), or every remaining step with `full`. */
  promote(full: boolean): void {
    this.full ||= full;
    this.promoted = true;
    this.leavePause();
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

  private leavePause(): void {
    if (this.state.phase !== "paused") return;
    Object.assign(this.state, { phase: this.pausedFrom, pausedReason: null });
    this.onChange(this.state);
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
