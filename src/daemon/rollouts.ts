import { existsSync } from "node:fs";
import type { Config, StrategyType } from "../config/types.js";
import { SlipwayError } from "../errors.js";
import { within } from "../clock.js";
import { resourceError, resourceFault } from "../resource-error.js";
import type { Release, RolloutKind } from "../ledger/types.js";
import type { ControlState } from "../rollout/control.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import type { Step, Workload } from "../rollout/workload.js";
import { Journal } from "./journal.js";
import type { DeployLock } from "./lock.js";
import type { StatePaths } from "./paths.js";
import { ReleaseIntake, requirePlatformSwitch, requireStrategyConfig, type DeployRequest } from "./release-intake.js";
import type { ReleaseImages } from "./release-images.js";
import { releaseConfig } from "./release-runtime.js";
import { prune } from "./retention.js";
import { ref, RolloutTransaction, type ActiveRollout, type RolloutResult, type RolloutServices } from "./rollout-transaction.js";
import type { StandbyState } from "./standby.js";
import { hook } from "./strategy-runtime.js";
import type { Workloads } from "./workloads.js";

export type { DeployRequest } from "./release-intake.js";
export type { ActiveRollout, RolloutResult } from "./rollout-transaction.js";

export interface RollbackRequest {
  to?: number;
  holder: string;
  waitLock?: number;
}

export interface RolloutsOptions extends RolloutServices {
  paths: StatePaths;
  /** Picks the workload (fleet or Swarm) a release runs on. */
  workloads: Workloads;
  lock: DeployLock;
  images: ReleaseImages;
}

/** How often an end of rollout that a full disk refused is tried again. */
const RECORD_RETRY_EVERY = 5_000;

/**
 * Deploys and rollbacks, one at a time under the deploy lock: release intake
 * (release-intake.ts), each rollout a transaction that commits or undoes
 * itself (rollout-transaction.ts), the blue-green switch back, retention
 * (retention.ts) and the human commands (promote, abort, pause, resume).
 * The new release gets healthy instances before it takes traffic, and every
 * failure path ends with the last good release serving.
 */
export class Rollouts {
  /** Ends of rollouts the ledger could not record (disk full), by rollout id: retried before the next operation. */
  private readonly unrecordedEnds = new Map<number, () => void>();
  private recordTimer: NodeJS.Timeout | null = null;
  /** Aborted once, when the daemon stops: a running rollout ends as interrupted. */
  private readonly stopping = new AbortController();
  active: ActiveRollout | null = null;
  /** How the active rollout ends: its result, or its error (what `promote` and `resume` follow). */
  private outcome: Promise<RolloutResult> | null = null;
  /** Journals of this daemon's rollouts that may still have webhook posts in flight. */
  private readonly journals = new Set<Journal>();
  private readonly intake: ReleaseIntake;

  constructor(private readonly o: RolloutsOptions) {
    this.intake = new ReleaseIntake(o);
  }

  /** The release on standby after a blue-green switch, and until when; null when none. */
  get standby(): StandbyState | null {
    return this.o.workloads.serving()?.standby ?? null;
  }

  async deploy(req: DeployRequest): Promise<RolloutResult> {
    const config = req.config;
    const strategy = req.strategy ?? config.strategy.type;
    requirePlatformSwitch(this.o.workloads, this.o.ledger.currentRelease()?.config ?? null, config);
    requireStrategyConfig(config, strategy);
    return this.withLock(req.holder, `deploy of ${config.name}`, req.waitLock, config, async () => {
      const release = await this.intake.create(req);
      return this.run("deploy", release, config, req.holder, strategy);
    });
  }

  /** Deploys the latest release again after it failed or was aborted (no config edits needed). */
  async retry(req: { holder: string; strategy?: StrategyType; waitLock?: number }): Promise<RolloutResult> {
    return this.withLock(req.holder, "retry", req.waitLock, null, async () => {
      const latest = this.o.ledger.releases()[0];
      if (!latest || (latest.status !== "failed" && latest.status !== "aborted")) {
        throw new SlipwayError("INVALID_STATE", "nothing to retry: the latest release did not fail or get aborted", {
          hint: "slipway deploy starts a new release",
        });
      }
      if (!latest.snapshot || !existsSync(latest.snapshot)) {
        throw new SlipwayError("NOT_FOUND", `release ${latest.id} has no snapshot left`, { hint: "run slipway deploy" });
      }
      const strategy = req.strategy ?? latest.config.strategy.type;
      requireStrategyConfig(latest.config, strategy);
      await this.intake.prepareShared(latest.id, latest.config, latest);
      this.o.ledger.setReleaseStatus(latest.id, "pending");
      return this.run("deploy", { ...latest, status: "pending" }, latest.config, req.holder, strategy);
    });
  }

  async rollback(req: RollbackRequest): Promise<RolloutResult> {
    if (this.active) {
      throw new SlipwayError(
        "LOCK_HELD",
        `rollout ${this.active.id} (${this.active.strategy} to release ${this.active.release.id}) is in progress`,
        {
          hint: "slipway abort stops it and sends traffic back to the stable release",
        },
      );
    }
    return this.withLock(req.holder, "rollback", req.waitLock, null, async () => {
      const { ledger } = this.o;
      const current = ledger.currentRelease();
      const target = req.to !== undefined ? ledger.release(req.to) : ledger.previousGoodRelease();
      if (!target) {
        throw req.to !== undefined
          ? new SlipwayError("NOT_FOUND", `release ${req.to} does not exist`, { hint: "see slipway releases" })
          : new SlipwayError("NOT_FOUND", "no earlier successful release to roll back to", { hint: "see slipway releases" });
      }
      if (current && target.id === current.id) {
        throw new SlipwayError("USAGE", `release ${target.id} (${target.version}) is already the current release`, {
          hint: "pass --to ID with another release (see slipway releases)",
        });
      }
      const workload = this.o.workloads.for(releaseConfig(target));
      if (current && workload.standbyReady(target.id) >= target.config.app.replicas)
        return this.switchBack(workload, target, current, req.holder);
      if (!target.snapshot || !existsSync(target.snapshot)) {
        throw new SlipwayError("NOT_FOUND", `release ${target.id} has no snapshot left (pruned by retain)`, {
          hint: "raise retain in slipway.yaml to keep more releases runnable",
        });
      }
      await this.intake.prepareShared(target.id, releaseConfig(target), target);
      return this.run("rollback", target, releaseConfig(target), req.holder, "rolling");
    });
  }

  /** `slipway promote [--full]`, `abort`, `pause`, `resume`: act on the rollout in progress. */
  control(action: "promote" | "abort" | "pause" | "resume", opts: { full?: boolean; holder: string }): ControlState & { rollout: number } {
    const active = this.active;
    if (!active) {
      throw new SlipwayError("INVALID_STATE", `no rollout in progress: nothing to ${action}`, { hint: "see slipway status" });
    }
    const c = active.control;
    const progressive = active.strategy !== "rolling";
    if (action === "abort") {
      c.fail(new RolloutFailure(`aborted by ${opts.holder}`, null, "aborted"));
    } else if (!progressive) {
      throw new SlipwayError("INVALID_STATE", `rollout ${active.id} is a rolling rollout: ${action} applies to canary and blue-green`, {
        hint: "slipway abort stops it",
      });
    } else if (action === "promote") {
      c.promote(Boolean(opts.full));
    } else if (action === "pause") {
      if (c.state.phase === "paused")
        throw new SlipwayError("INVALID_STATE", `rollout ${active.id} is already paused`, { hint: "slipway resume continues it" });
      if (!c.pausable)
        throw new SlipwayError("INVALID_STATE", `rollout ${active.id} is ${c.state.phase}: too late to pause`, {
          hint: "see slipway status",
        });
      c.pause(`paused by ${opts.holder}`);
    } else {
      if (c.state.phase !== "paused")
        throw new SlipwayError("INVALID_STATE", `rollout ${active.id} is not paused`, { hint: "see slipway status" });
      c.resume();
    }
    this.o.ledger.record({
      type: "control",
      rolloutId: active.id,
      releaseId: active.release.id,
      message: `${action}${opts.full ? " --full" : ""} by ${opts.holder}`,
      data: { action, full: Boolean(opts.full) },
    });
    return { ...c.state, rollout: active.id };
  }

  /** Brings the current release back to its full size (daemon restart). */
  async recover(): Promise<void> {
    const current = this.o.ledger.currentRelease();
    if (!current) return;
    const config = releaseConfig(current);
    const rollout = this.o.ledger.startRollout({
      kind: "recover",
      releaseId: current.id,
      fromReleaseId: current.id,
      strategy: "rolling",
      holder: "slipway daemon",
    });
    const step: Step = {
      signal: this.stopping.signal,
      checkpoint: () => Promise.resolve(),
      note: (message) => this.o.ledger.record({ type: "rollout", rolloutId: rollout.id, releaseId: current.id, message }),
    };
    try {
      await this.o.prepareRouter(config);
      await this.o.workloads.for(config).recover(current, config, step);
      this.o.ledger.endRollout(rollout.id, "succeeded");
    } catch (err) {
      this.o.ledger.endRollout(rollout.id, "failed", (err as Error).message);
      this.o.ledger.record({
        type: "rollout",
        rolloutId: rollout.id,
        releaseId: current.id,
        message: `recovery failed: ${(err as Error).message}`,
      });
    }
  }

  /**
   * Waits, at most `ms`, for the webhook posts still in flight (daemon
   * shutdown: a notification sent just before `slipway down` still arrives).
   */
  async flushNotifications(ms: number): Promise<void> {
    await within(this.o.clock, ms, Promise.all([...this.journals].map((j) => j.flush())));
  }

  /** Tracks a new rollout's journal; those of earlier rollouts with nothing in flight are done (one rollout at a time). */
  private journal(journal: Journal): Journal {
    for (const j of this.journals) if (j.idle) this.journals.delete(j);
    this.journals.add(journal);
    return journal;
  }

  /** Interrupts the running rollout (daemon shutdown); the current release stays as it is. */
  abort(): void {
    this.stopping.abort();
    this.active?.control.fail(new RolloutFailure("interrupted: the daemon is stopping", null, "interrupted"));
  }

  /** Whether rollout `id`, still "running" in the ledger, has in fact ended (the end could not be recorded yet). */
  hasEnded(id: number): boolean {
    return this.unrecordedEnds.has(id);
  }

  /** Keeps trying to record a rollout's end that a full disk refused, every few seconds and before the next operation. */
  private deferRecord(rolloutId: number, record: () => void): void {
    this.unrecordedEnds.set(rolloutId, record);
    if (this.recordTimer) return;
    this.recordTimer = setInterval(() => {
      try {
        this.recordUnrecordedEnds();
      } catch (err) {
        console.error(`cannot record the end of a rollout: ${(err as Error).message}`);
      }
      if (this.unrecordedEnds.size === 0 && this.recordTimer) {
        clearInterval(this.recordTimer);
        this.recordTimer = null;
      }
    }, RECORD_RETRY_EVERY);
    this.recordTimer.unref();
  }

  private recordUnrecordedEnds(): void {
    for (const [id, recordEnd] of this.unrecordedEnds) {
      try {
        recordEnd();
        this.unrecordedEnds.delete(id);
      } catch (err) {
        if (!resourceFault(err, this.o.paths.dir)) throw err;
      }
    }
  }

  /**
   * Runs `fn` under the deploy lock, then the platform's own (a Lease on
   * Kubernetes: `Workload.claim`) for `config`, or the app's latest release's
   * config (retry, rollback). Both are taken before anything is recorded.
   */
  private async withLock<T>(
    holder: string,
    what: string,
    waitLock: number | undefined,
    config: Config | null,
    fn: () => Promise<T>,
  ): Promise<T> {
    const release = await this.o.lock.acquire(holder, what, waitLock ?? 0);
    try {
      const latest = this.o.ledger.currentRelease() ?? this.o.ledger.releases()[0];
      const claimFor = config ?? (latest ? releaseConfig(latest) : null);
      const unclaim = claimFor ? await this.o.workloads.for(claimFor).claim(claimFor, holder) : null;
      try {
        this.recordUnrecordedEnds();
        return await fn();
      } finally {
        await unclaim?.();
      }
    } finally {
      release();
    }
  }

  private async run(kind: RolloutKind, target: Release, config: Config, holder: string, strategy: StrategyType): Promise<RolloutResult> {
    const workload = this.o.workloads.for(config);
    const tx = new RolloutTransaction(
      {
        ledger: this.o.ledger,
        clock: this.o.clock,
        recorder: this.o.recorder,
        stateDir: this.o.paths.dir,
        prepareRouter: this.o.prepareRouter,
        publicUrl: this.o.publicUrl,
        openListener: this.o.openListener,
        ...(this.o.onStateChange && { onStateChange: this.o.onStateChange }),
        stopping: this.stopping.signal,
        deferRecord: (id, record) => this.deferRecord(id, record),
        prune: (retain) => prune({ ...this.o, running: () => this.o.workloads.runningReleases() }, retain),
        onDone: () => {
          if (this.active === tx.active) this.active = null;
          this.o.onStateChange?.();
        },
      },
      { kind, target, config, holder, strategy, workload, track: (j) => this.journal(j) },
    );
    this.active = tx.active;
    const outcome = tx.run();
    this.outcome = outcome;
    return outcome;
  }

  /** How the rollout in progress ends (its result, or its error); null when none runs. */
  ending(): Promise<RolloutResult> | null {
    return this.active ? this.outcome : null;
  }

  /** Rollback to a release whose instances still run (blue-green standby): traffic moves, no process starts. */
  private switchBack(workload: Workload, target: Release, current: Release, holder: string): RolloutResult {
    const { ledger, clock } = this.o;
    const started = clock.now();
    const rollout = ledger.startRollout({ kind: "rollback", releaseId: target.id, fromReleaseId: current.id, strategy: "switch", holder });
    const journal = this.journal(new Journal(ledger, { id: rollout.id, strategy: "switch", target, previous: current }, target.config));
    workload.switchTo(target);
    try {
      ledger.transaction(() => {
        ledger.activate(target.id);
        ledger.endRollout(rollout.id, "succeeded");
      });
    } catch (err) {
      // The ledger still names the current release (disk full): traffic goes back to it, which nothing stopped,
      // and the standby holds on. The rollout's end is recorded once space frees.
      workload.switchTo(current);
      if (!resourceFault(err, this.o.paths.dir)) throw err;
      this.deferRecord(rollout.id, () => ledger.endRollout(rollout.id, "failed", (err as Error).message));
      throw resourceError(err, this.o.paths.dir, [`release ${current.id} (${current.version}) still serves`]) ?? err;
    }
    // Only now, with the switch recorded: the standby is current, and the release we left drains and stops (in the background).
    workload.commit(target);
    void workload.retire(current, `rolled back to release ${target.id}`);
    const durationMs = clock.now() - started;
    journal.event(
      "rollout.rolled-back",
      `rolled back to release ${target.id} (${target.version}) by switching traffic in ${durationMs}ms; release ${current.id} drains and stops`,
    );
    void hook({ target, stable: current, strategy: "switch", config: target.config, journal }, "postRollback");
    const ready = workload.standbyReady(target.id);
    return {
      rolloutId: rollout.id,
      release: ref(target),
      previous: ref(current),
      strategy: "switch",
      durationMs,
      via: "switch",
      instances: { ready, replicas: target.config.app.replicas },
    };
  }
}
