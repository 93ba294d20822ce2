import type { AnalysisTick } from "../analysis/analysis-run.js";
import type { TrafficRecorder } from "../analysis/traffic-recorder.js";
import type { Clock } from "../clock.js";
import type { Config, StrategyType } from "../config/types.js";
import { SlipwayError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Release, RolloutKind } from "../ledger/types.js";
import { resourceError, resourceFault } from "../resource-error.js";
import { runBlueGreen } from "../rollout/blue-green.js";
import { runCanary } from "../rollout/canary.js";
import { RolloutControl } from "../rollout/control.js";
import { FAILURE_OUTCOMES } from "../rollout/failure-outcome.js";
import { readyCount } from "../rollout/release-health.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import type { ReadyCount, Step, Workload } from "../rollout/workload.js";
import { Journal } from "./journal.js";
import type { OpenListener } from "./router-link.js";
import { hook, strategyRuntime } from "./strategy-runtime.js";

/** Lines of the failing instance's log shown with a failed rollout. */
const LOG_TAIL_LINES = 15;

export interface RolloutResult {
  rolloutId: number;
  release: { id: number; version: string };
  previous: { id: number; version: string } | null;
  strategy: string;
  durationMs: number;
  /** How a rollback moved traffic: "switch" (standby instances, no process start) or "rolling". */
  via?: "switch" | "rolling";
  /** Instances of the release ready when the rollout ended: always all of them (`ready` = `replicas`). */
  instances: { ready: number; replicas: number };
}

/** The rollout in progress, as status and the promote/abort/pause/resume commands see it. */
export interface ActiveRollout {
  id: number;
  kind: RolloutKind;
  strategy: string;
  release: { id: number; version: string };
  previous: { id: number; version: string } | null;
  control: RolloutControl;
  analysis: { label: string; tick: AnalysisTick } | null;
  /** Settles when the rollout has ended, however it ended. */
  done: Promise<void>;
}

/** What every rollout uses of the daemon (Rollouts' options include these). */
export interface RolloutServices {
  ledger: Ledger;
  clock: Clock;
  recorder: TrafficRecorder;
  /** Makes sure the router listens and routes as `config` says. */
  prepareRouter: (config: Config) => Promise<void>;
  publicUrl: () => string;
  /** Opens a listener of the router process (the blue-green preview). */
  openListener: OpenListener;
  /** Told when the rollout state changes (metrics). */
  onStateChange?: () => void;
}

/** What a transaction needs of the daemon. */
export interface TransactionContext extends RolloutServices {
  /** The state directory (a full disk there is told apart from other faults). */
  stateDir: string;
  /** Aborted when the daemon stops: undo does not restore then, it is interrupted too. */
  stopping: AbortSignal;
  /** Records later an end the ledger refused (disk full). */
  deferRecord: (rolloutId: number, record: () => void) => void;
  /** Retention, after a commit. */
  prune: (retain: number) => Promise<void>;
  /** Told once the rollout is done (committed or undone), before its post hooks run. */
  onDone: () => void;
}

export interface TransactionRequest {
  kind: RolloutKind;
  target: Release;
  config: Config;
  holder: string;
  strategy: StrategyType;
  workload: Workload;
  /** Tracks the journal (webhooks in flight at shutdown). */
  track: (journal: Journal) => Journal;
}

/**
 * One deploy or rollback as a transaction, its phases explicit
 * (src/rollout/control.ts): preparing → progressing / paused / promoting →
 * committing | rolling back → done. `run` either commits (the ledger makes
 * the target current once every instance of it is ready) or undoes (traffic
 * back to the previous release, the target's instances gone, the outcome
 * from FAILURE_OUTCOMES) and throws.
 */
export class RolloutTransaction {
  readonly active: ActiveRollout;
  private readonly control: RolloutControl;
  private readonly journal: Journal;
  private readonly previous: Release | null;
  private readonly strategy: StrategyType;
  private readonly rolloutId: number;
  private readonly started: number;
  private ended = () => {};

  constructor(
    private readonly c: TransactionContext,
    private readonly r: TransactionRequest,
  ) {
    const { ledger, clock } = c;
    const { kind, target, holder } = r;
    this.started = clock.now();
    this.previous = ledger.currentRelease() ?? null;
    // A canary needs something to compare with: the very first release goes out rolling.
    this.strategy = r.strategy === "canary" && !this.previous ? "rolling" : r.strategy;
    const rollout = ledger.startRollout({
      kind,
      releaseId: target.id,
      fromReleaseId: this.previous?.id ?? null,
      strategy: this.strategy,
      holder,
    });
    this.rolloutId = rollout.id;
    this.journal = r.track(new Journal(ledger, { id: rollout.id, strategy: this.strategy, target, previous: this.previous }, r.config));
    this.control = new RolloutControl(clock, () => c.onStateChange?.());
    this.active = {
      id: rollout.id,
      kind,
      strategy: this.strategy,
      release: ref(target),
      previous: this.previous ? ref(this.previous) : null,
      control: this.control,
      analysis: null,
      done: new Promise<void>((resolve) => (this.ended = resolve)),
    };
  }

  /** Runs the rollout to its end: the result of a commit, or the undone rollout's error. */
  async run(): Promise<RolloutResult> {
    const { control } = this;
    const onStop = () => control.fail(new RolloutFailure("interrupted: the daemon is stopping", null, "interrupted"));
    this.c.stopping.addEventListener("abort", onStop, { once: true });
    if (this.c.stopping.aborted) onStop();
    const { kind, target, holder } = this.r;
    const previous = this.previous;
    this.journal.event(
      "rollout.started",
      `${kind} to release ${target.id} (${target.version}) started by ${holder} (${this.strategy})${previous ? `, replacing release ${previous.id} (${previous.version})` : ""}`,
    );
    if (this.r.strategy !== this.strategy) {
      this.journal.line("rollout", `no stable release to compare with: the first release goes out ${this.strategy}`);
    }
    try {
      let ready: ReadyCount;
      try {
        ready = await this.progress();
      } catch (err) {
        return await this.undo(control.ended ?? err);
      }
      return await this.commit(ready);
    } finally {
      this.c.stopping.removeEventListener("abort", onStop);
      this.done();
    }
  }

  /** The rollout is over: status and the control commands stop seeing it, and abort's wait ends. */
  private done(): void {
    if (this.control.state.phase === "done") return;
    this.control.enter("done");
    this.c.onDone();
    this.ended();
  }

  /** Preparing, then the strategy's steps, then the wait for every instance of the target (committing). */
  private async progress(): Promise<ReadyCount> {
    const { control, journal } = this;
    const { target, config, workload } = this.r;
    const step: Step = { signal: control.signal, checkpoint: () => control.checkpoint(), note: (m) => journal.line("rollout", m) };
    await this.c.prepareRouter(config);
    const pre = await hook(this.hookRun(), "preDeploy");
    if (!pre.ok) throw new RolloutFailure(`preDeploy hook failed (exit ${pre.exitCode}): ${pre.output.slice(-3).join(" | ")}`);
    await control.checkpoint();
    if (this.strategy === "rolling") {
      control.enter("progressing");
      await workload.rollOut(target, config, step);
    } else {
      const ctx = strategyRuntime({
        workload,
        clock: this.c.clock,
        control,
        journal,
        recorder: this.c.recorder,
        target,
        stable: this.previous,
        config,
        strategy: this.strategy,
        publicUrl: this.c.publicUrl(),
        openListener: this.c.openListener,
        step,
        onAnalysis: (tick, label) => (this.active.analysis = { label, tick }),
      });
      await (this.strategy === "canary" ? runCanary(ctx) : runBlueGreen(ctx));
    }
    await control.checkpoint();
    control.enter("committing");
    return workload.awaitHealthy(target, config, step);
  }

  /** Every instance of the target is ready: the ledger makes it current, then postDeploy/postRollback and retention. */
  private async commit(ready: ReadyCount): Promise<RolloutResult> {
    const { ledger } = this.c;
    const { kind, target, config, workload } = this.r;
    const activate = () =>
      ledger.transaction(() => {
        ledger.activate(target.id);
        ledger.endRollout(this.rolloutId, "succeeded");
      });
    workload.commit(target);
    try {
      activate();
    } catch (err) {
      if (!resourceFault(err, this.c.stateDir)) throw err;
      // Disk full at the very end: the new release serves (the old one is gone by now in a rolling
      // deploy, and starting it again would need the disk too), so it keeps serving; its activation is
      // recorded as soon as space frees. A daemon killed before then comes back to the recorded release.
      this.c.deferRecord(this.rolloutId, activate);
      const fault = resourceError(err, this.c.stateDir, [
        `release ${target.id} (${target.version}) serves, but the ledger could not record it yet: it will be, once space is freed`,
      ]);
      throw fault ?? err;
    }
    this.done();
    this.journal.event("rollout.succeeded", `release ${target.id} (${target.version}) is live: ${readyCount(ready)}`);
    await hook(this.hookRun(), kind === "rollback" ? "postRollback" : "postDeploy");
    await this.c.prune(config.retain);
    return {
      rolloutId: this.rolloutId,
      release: ref(target),
      previous: this.previous ? ref(this.previous) : null,
      strategy: this.strategy,
      durationMs: this.c.clock.now() - this.started,
      instances: ready,
    };
  }

  /**
   * A failed, aborted or interrupted rollout: traffic back to the previous
   * release at once (a switch when its instances run), the new instances
   * retired, the previous release brought back to full size, and a clear
   * error; what is restored and recorded comes from FAILURE_OUTCOMES.
   */
  private async undo(err: unknown): Promise<never> {
    const { ledger } = this.c;
    const { target, workload } = this.r;
    const { journal, previous, rolloutId } = this;
    this.control.enter("rolling-back", { weight: null });
    const reason = err instanceof Error ? err.message : String(err);
    const kind = err instanceof RolloutFailure ? err.kind : "failed";
    const outcome = FAILURE_OUTCOMES[kind];
    const instanceId = err instanceof RolloutFailure ? err.instanceId : null;
    const logTail = instanceId ? await workload.tail(instanceId, LOG_TAIL_LINES).catch(() => []) : [];
    journal.event(outcome.event, `rollout ${kind}: ${reason}`, { logTail });

    const undone = await workload.abandon(target, previous, {
      reason: `rollout ${kind}`,
      restore: outcome.restore,
      signal: this.c.stopping,
      note: (m) => journal.line("rollout", m),
    });
    const note = undone.error
      ? `restoring release ${previous!.id} also failed: ${undone.error}`
      : previous && undone.restored
        ? `release ${previous.id} (${previous.version}) still serves`
        : kind === "interrupted"
          ? "the daemon is stopping; the current release is unchanged"
          : "nothing was serving before";
    const recordEnd = () =>
      ledger.transaction(() => {
        if (ledger.release(target.id)?.status === "pending") ledger.setReleaseStatus(target.id, outcome.releaseStatus, reason);
        ledger.endRollout(rolloutId, outcome.rolloutStatus, reason);
      });
    try {
      recordEnd();
    } catch (again) {
      // Disk full: retried before the next operation (a next daemon would mark the rollout interrupted).
      if (!resourceFault(again, this.c.stateDir)) throw again;
      this.c.deferRecord(rolloutId, recordEnd);
      journal.line("rollout", `could not record the end of rollout ${rolloutId} yet: ${(again as Error).message}`);
    }
    this.done();
    journal.event("rollout.rolled-back", `rolled back: ${note}`);
    // The same names as every hook of the rollout: SLIPWAY_RELEASE the release it tried, SLIPWAY_PREVIOUS_RELEASE the one serving again.
    if (previous && outcome.postRollback) await hook(this.hookRun(), "postRollback");
    const details = [note];
    const tail = logTail.filter((l) => l.trim() !== "");
    if (instanceId && tail.length) details.push(`last log lines of ${instanceId}:`, ...tail.map((l) => `  ${l}`));
    const fault = resourceError(err, this.c.stateDir, details);
    if (fault) throw fault;
    throw new SlipwayError("ROLLOUT_FAILED", `release ${target.id} (${target.version}) ${outcome.verb}: ${reason}`, {
      hint: err instanceof RolloutFailure && err.hint ? err.hint : instanceId ? `see slipway logs --release ${target.id}` : outcome.hint,
      details,
      cause: err,
    });
  }

  private hookRun() {
    return { target: this.r.target, stable: this.previous, strategy: this.strategy, config: this.r.config, journal: this.journal };
  }
}

export function ref(r: Release): { id: number; version: string } {
  return { id: r.id, version: r.version };
}
