import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { AnalysisTick } from "../analysis/analysis-run.js";
import type { TrafficRecorder } from "../analysis/traffic-recorder.js";
import type { Clock } from "../clock.js";
import type { Config, StrategyType } from "../config/types.js";
import { SlipwayError } from "../errors.js";
import { resourceError, resourceFault } from "../resource-error.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Release, RolloutKind } from "../ledger/types.js";
import type { Platform } from "../platform/platform.js";
import { fileLikeWithoutSource, relinkReplaced, seedShared } from "../release/shared.js";
import { pruneReleaseDirs, snapshotRelease } from "../release/snapshot.js";
import { resolveVersion } from "../release/version.js";
import { runBlueGreen } from "../rollout/blue-green.js";
import { runCanary } from "../rollout/canary.js";
import { RolloutControl, type ControlState } from "../rollout/control.js";
import { converge } from "../rollout/rolling.js";
import { awaitReleaseHealthy, readyCount } from "../rollout/release-health.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import type { Fleet, Instance } from "./fleet.js";
import { Journal } from "./journal.js";
import type { DeployLock } from "./lock.js";
import { snapshotDir, type StatePaths } from "./paths.js";
import { Standby, type StandbyState } from "./standby.js";
import { releaseIdsOnDisk } from "./state-on-disk.js";
import { instanceSpec, releaseConfig } from "./release-runtime.js";
import type { OpenListener } from "./router-link.js";
import { hook, strategyRuntime } from "./strategy-runtime.js";
import type { ReleaseImages } from "./release-images.js";
import type { SwarmRuntime } from "./swarm-runtime.js";

/**
 * What `slipway deploy` sends. The CLI validates slipway.yaml (zod) and sends
 * the normalized config with the text; the daemon does not load the schema.
 */
export interface DeployRequest {
  config: Config;
  configText: string;
  configFile: string;
  environment?: string;
  version?: string;
  env?: Record<string, string>;
  strategy?: StrategyType;
  holder: string;
  waitLock?: number;
  /** Registry credentials from the CLI's environment: used for this deploy, never stored. */
  registryAuth?: { username: string; password: string };
}

export interface RollbackRequest {
  to?: number;
  holder: string;
  waitLock?: number;
}

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

export interface RolloutsOptions {
  paths: StatePaths;
  ledger: Ledger;
  fleet: Fleet;
  platform: Platform;
  clock: Clock;
  lock: DeployLock;
  recorder: TrafficRecorder;
  images: ReleaseImages;
  swarm: SwarmRuntime;
  /** Makes sure the router listens and routes as `config` says. */
  prepareRouter: (config: Config) => Promise<void>;
  publicUrl: () => string;
  /** Opens a listener of the router process (the blue-green preview). */
  openListener: OpenListener;
  /** Told when the rollout state changes (metrics). */
  onStateChange?: () => void;
}

/** The rollout `undo` ends: its journal, the release it tried, the one that was current, how it ran. */
interface UndoneRollout {
  journal: Journal;
  rolloutId: number;
  target: Release;
  previous: Release | null;
  strategy: string;
  config: Config;
}

/** Lines of the failing instance's log shown with a failed rollout. */
const LOG_TAIL_LINES = 15;

/**
 * Deploys and rollbacks as transactions: the new release gets healthy
 * instances before it takes traffic, and every failure path ends with the
 * last good release serving. Runs the rolling, canary and blue-green
 * strategies and takes the human commands (promote, abort, pause, resume).
 */
/** How often an end of rollout that a full disk refused is tried again. */
const RECORD_RETRY_EVERY = 5_000;

export class Rollouts {
  private readonly seq = new Map<number, number>();
  /** Ends of rollouts the ledger could not record (disk full), by rollout id: retried before the next operation. */
  private readonly unrecordedEnds = new Map<number, () => void>();
  private recordTimer: NodeJS.Timeout | null = null;
  /** Aborted once, when the daemon stops: a running rollout ends as interrupted. */
  private readonly stopping = new AbortController();
  active: ActiveRollout | null = null;
  /** Journals of this daemon's rollouts that may still have webhook posts in flight. */
  private readonly journals = new Set<Journal>();
  /** The blue-green standby (scaleDownDelay), its deadline kept in the ledger. */
  private readonly standbys: Standby;

  constructor(private readonly o: RolloutsOptions) {
    this.standbys = new Standby({
      ledger: o.ledger,
      clock: o.clock,
      scaleDown: (releaseId) => {
        for (const i of o.fleet.ofRelease(releaseId)) void o.fleet.retire(i, "scaleDownDelay passed");
      },
    });
  }

  /** The release on standby after a blue-green switch, and until when; null when none. */
  get standby(): StandbyState | null {
    return this.standbys.state;
  }

  async deploy(req: DeployRequest): Promise<RolloutResult> {
    const config = req.config;
    const strategy = req.strategy ?? config.strategy.type;
    requirePlatformSwitch(this.o.ledger.currentRelease()?.config ?? null, config);
    requireStrategyConfig(config, strategy);
    const env = { ...config.app.env, ...(req.env ?? {}) };
    return this.withLock(req.holder, `deploy of ${config.name}`, req.waitLock, async () => {
      const { ledger, paths, clock } = this.o;
      const version = await resolveVersion(req.version, config.app.cwd, clock.now());
      await this.requireSharedSources(config);
      // Never reuse the id of a snapshot or log directory left on disk (snapshotRelease empties its target).
      ledger.skipReleaseIdsThrough(Math.max(0, ...releaseIdsOnDisk(paths)));
      const created = ledger.createRelease({
        version,
        configText: req.configText,
        config,
        configFile: req.configFile,
        environment: req.environment ?? null,
        env,
        snapshot: "",
      });
      const dir = snapshotDir(paths, created.id);
      const previous = ledger.releases().find((r) => r.id !== created.id && r.snapshot !== "")?.snapshot;
      try {
        await this.prepareShared(created.id, config);
        await snapshotRelease(config.app.cwd, dir, {
          previous,
          ...(linksShared(config) && { shared: { dir: paths.shared, paths: config.app.shared } }),
        });
      } catch (err) {
        const fault = resourceError(err, paths.dir);
        if (fault) await rm(dir, { recursive: true, force: true }); // a partial snapshot only takes space
        ledger.setReleaseStatus(created.id, "failed", `snapshot failed: ${(err as Error).message}`);
        throw (
          fault ??
          new SlipwayError("PLATFORM", `could not snapshot ${config.app.cwd}: ${(err as Error).message}`, {
            hint: "check app.cwd and .slipwayignore",
            cause: err,
          })
        );
      }
      ledger.setSnapshot(created.id, dir);
      ledger.record({
        type: "release",
        releaseId: created.id,
        message: `release ${created.id} (${version}) created from ${config.app.cwd}`,
      });
      try {
        await this.o.images.prepare(ledger.release(created.id)!, config, req.registryAuth);
      } catch (err) {
        ledger.setReleaseStatus(created.id, "failed", (err as Error).message);
        throw err;
      }
      return this.run("deploy", ledger.release(created.id)!, config, req.holder, strategy);
    });
  }

  /** Deploys the latest release again after it failed or was aborted (no config edits needed). */
  async retry(req: { holder: string; strategy?: StrategyType; waitLock?: number }): Promise<RolloutResult> {
    return this.withLock(req.holder, "retry", req.waitLock, async () => {
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
      await this.prepareShared(latest.id, latest.config, latest);
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
    return this.withLock(req.holder, "rollback", req.waitLock, async () => {
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
      const standby = this.o.fleet.ofRelease(target.id).filter((i) => i.state === "ready");
      if (current && standby.length >= target.config.app.replicas) return this.switchBack(target, current, req.holder);
      if (!target.snapshot || !existsSync(target.snapshot)) {
        throw new SlipwayError("NOT_FOUND", `release ${target.id} has no snapshot left (pruned by retain)`, {
          hint: "raise retain in slipway.yaml to keep more releases runnable",
        });
      }
      await this.prepareShared(target.id, releaseConfig(target), target);
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
    });
    return { ...c.state, rollout: active.id };
  }

  /** Brings the current release back to its full size (daemon restart). */
  async recover(): Promise<void> {
    const current = this.o.ledger.currentRelease();
    if (!current) return;
    const config = releaseConfig(current);
    if (config.platform === "swarm") {
      // Swarm kept the tasks running: follow them again (or recreate the service after slipway down).
      await this.o.prepareRouter(config);
      await this.o.swarm
        .ensure(current, config, (m) => this.o.ledger.record({ type: "swarm", releaseId: current.id, message: m }))
        .catch((err: unknown) =>
          this.o.ledger.record({ type: "rollout", releaseId: current.id, message: `recovery failed: ${(err as Error).message}` }),
        );
      return;
    }
    // A blue-green standby the previous daemon kept: recovery adopted its instances while its deadline holds.
    let standby = this.standbys.restore();
    if (standby && !this.o.fleet.ofRelease(standby.release).length) {
      this.standbys.clear();
      standby = null;
    }
    const rollout = this.o.ledger.startRollout({
      kind: "recover",
      releaseId: current.id,
      fromReleaseId: current.id,
      strategy: "rolling",
      holder: "slipway daemon",
    });
    try {
      await this.o.prepareRouter(config);
      await this.converge(current, config, undefined, standby ? [standby.release] : []);
      this.o.fleet.supervise(current.id);
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
    const bound = new AbortController();
    await Promise.race([Promise.all([...this.journals].map((j) => j.flush())), this.o.clock.sleep(ms, bound.signal)]);
    bound.abort();
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

  private async withLock<T>(holder: string, what: string, waitLock: number | undefined, fn: () => Promise<T>): Promise<T> {
    const release = await this.o.lock.acquire(holder, what, waitLock ?? 0);
    try {
      this.recordUnrecordedEnds();
      return await fn();
    } finally {
      release();
    }
  }

  private async run(kind: RolloutKind, target: Release, config: Config, holder: string, requested: StrategyType): Promise<RolloutResult> {
    const { ledger, clock, fleet } = this.o;
    const started = clock.now();
    const previous = ledger.currentRelease() ?? null;
    // A canary needs something to compare with: the very first release goes out rolling.
    const strategy: StrategyType = requested === "canary" && !previous ? "rolling" : requested;
    const rollout = ledger.startRollout({ kind, releaseId: target.id, fromReleaseId: previous?.id ?? null, strategy, holder });
    const journal = this.journal(new Journal(ledger, { id: rollout.id, strategy, target, previous }, config));
    const control = new RolloutControl(clock, () => this.o.onStateChange?.());
    let ended = () => {};
    const done = new Promise<void>((resolve) => (ended = resolve));
    this.active = {
      id: rollout.id,
      kind,
      strategy,
      release: ref(target),
      previous: previous ? ref(previous) : null,
      control,
      analysis: null,
      done,
    };
    const stopListening = () => this.stopping.signal.removeEventListener("abort", onStop);
    const onStop = () => control.fail(new RolloutFailure("interrupted: the daemon is stopping", null, "interrupted"));
    this.stopping.signal.addEventListener("abort", onStop, { once: true });
    journal.event(
      "rollout.started",
      `${kind} to release ${target.id} (${target.version}) started by ${holder} (${strategy})${previous ? `, replacing release ${previous.id} (${previous.version})` : ""}`,
    );
    if (requested !== strategy) journal.line("rollout", `no stable release to compare with: the first release goes out ${strategy}`);
    // Swarm's deploy returns once every task is ready; the fleet's release is checked by the last step below.
    let ready = { ready: config.app.replicas, replicas: config.app.replicas };
    try {
      await this.o.prepareRouter(config);
      const pre = await hook({ target, stable: previous, strategy, config, journal }, "preDeploy");
      if (!pre.ok) throw new RolloutFailure(`preDeploy hook failed (exit ${pre.exitCode}): ${pre.output.slice(-3).join(" | ")}`);
      if (config.platform === "swarm" && strategy === "rolling") {
        control.set({ phase: "progressing" });
        await this.o.swarm.deploy(target, config, (m) => journal.line("swarm", m), control.signal);
      } else if (strategy === "rolling") {
        control.set({ phase: "progressing" });
        await this.converge(target, config, control.signal);
      } else {
        const ctx = strategyRuntime({
          fleet,
          clock,
          control,
          journal,
          recorder: this.o.recorder,
          target,
          stable: previous,
          config,
          strategy,
          publicUrl: this.o.publicUrl(),
          openListener: this.o.openListener,
          launch: (opts) => this.launch(target, config, opts),
          keepStandby: (release, ms) => this.standbys.keep(release, ms),
          onAnalysis: (tick, label) => {
            if (this.active) this.active.analysis = { label, tick };
          },
          ...(config.platform === "swarm" && { swarm: this.o.swarm }),
        });
        await (strategy === "canary" ? runCanary(ctx) : runBlueGreen(ctx));
      }
      if (config.platform !== "swarm") ready = await this.awaitHealthy(target, config, control, journal);
    } catch (err) {
      await this.undo({ journal, rolloutId: rollout.id, target, previous, strategy, config }, control.ended ?? err);
    } finally {
      stopListening();
      this.active = null;
      fleet.setSplit(null);
      this.o.onStateChange?.();
      ended();
    }
    const activate = () =>
      ledger.transaction(() => {
        ledger.activate(target.id);
        ledger.endRollout(rollout.id, "succeeded");
      });
    try {
      activate();
    } catch (err) {
      if (!resourceFault(err, this.o.paths.dir)) throw err;
      // Disk full at the very end: the new release serves (the old one is gone by now in a rolling
      // deploy, and starting it again would need the disk too), so it keeps serving; its activation is
      // recorded as soon as space frees. A daemon killed before then comes back to the recorded release.
      this.o.fleet.supervise(target.id);
      this.deferRecord(rollout.id, activate);
      const fault = resourceError(err, this.o.paths.dir, [
        `release ${target.id} (${target.version}) serves, but the ledger could not record it yet: it will be, once space is freed`,
      ]);
      throw fault ?? err;
    }
    this.o.fleet.supervise(target.id);
    journal.event("rollout.succeeded", `release ${target.id} (${target.version}) is live: ${readyCount(ready)}`);
    await hook({ target, stable: previous, strategy, config, journal }, kind === "rollback" ? "postRollback" : "postDeploy");
    await this.prune(config.retain);
    return {
      rolloutId: rollout.id,
      release: ref(target),
      previous: previous ? ref(previous) : null,
      strategy,
      durationMs: clock.now() - started,
      instances: ready,
    };
  }

  /**
   * The last step of a rollout: it succeeds only when every instance of the
   * release it leaves serving is ready. The target's instances are
   * supervised by now, so one that failed after the traffic moved is being
   * restarted; the rollout waits for it up to progressDeadline, then fails
   * (degraded) and is undone like any failure.
   */
  private async awaitHealthy(target: Release, config: Config, control: RolloutControl, journal: Journal) {
    control.set({ phase: "finishing" });
    this.o.fleet.supervise(target.id);
    return awaitReleaseHealthy({
      fleet: this.o.fleet,
      clock: this.o.clock,
      releaseId: target.id,
      replicas: config.app.replicas,
      deadline: config.progressDeadline,
      signal: control.signal,
      onWait: (message) => journal.line("rollout", message),
    });
  }

  /**
   * A failed or aborted rollout: traffic back to the previous release at once
   * (a switch when its instances run), the new instances retired, the previous
   * release brought back to full size, and a clear error.
   */
  private async undo(rollout: UndoneRollout, err: unknown): Promise<never> {
    const { journal, rolloutId, target, previous } = rollout;
    const { ledger, fleet, platform } = this.o;
    const reason = err instanceof Error ? err.message : String(err);
    const kind = err instanceof RolloutFailure ? err.kind : "failed";
    const instanceId = err instanceof RolloutFailure ? err.instanceId : null;
    const logTail = instanceId ? await platform.tail(instanceId, LOG_TAIL_LINES).catch(() => []) : [];
    journal.event(kind === "aborted" ? "rollout.aborted" : "rollout.failed", `rollout ${kind === "failed" ? "failed" : kind}: ${reason}`, {
      logTail,
    });

    const previousReady = previous ? fleet.ofRelease(previous.id).filter((i) => i.state === "ready") : [];
    if (previous && previousReady.length) fleet.switchTo(previous.id);
    else fleet.setSplit(null);
    await Promise.all(fleet.ofRelease(target.id).map((i) => fleet.retire(i, `rollout ${kind}`)));

    let note = kind === "interrupted" ? "the daemon is stopping; the current release is unchanged" : "nothing was serving before";
    if (target.config.platform === "swarm") {
      // A canary service goes; a failed update Swarm rolled back itself (failure_action: rollback).
      await this.o.swarm.endCanary();
      note = previous ? `release ${previous.id} (${previous.version}) still serves` : note;
    } else if (previous && previous.id !== target.id && kind !== "interrupted") {
      try {
        await this.converge(previous, releaseConfig(previous));
        this.o.fleet.supervise(previous.id);
        note = `release ${previous.id} (${previous.version}) still serves`;
      } catch (again) {
        note = `restoring release ${previous.id} also failed: ${(again as Error).message}`;
      }
    }
    const status = kind === "aborted" ? "aborted" : kind === "interrupted" ? "interrupted" : "rolled-back";
    const recordEnd = () =>
      ledger.transaction(() => {
        if (ledger.release(target.id)?.status === "pending")
          ledger.setReleaseStatus(target.id, kind === "aborted" ? "aborted" : "failed", reason);
        ledger.endRollout(rolloutId, status, reason);
      });
    try {
      recordEnd();
    } catch (again) {
      // Disk full: retried before the next operation (a next daemon would mark the rollout interrupted).
      if (!resourceFault(again, this.o.paths.dir)) throw again;
      this.deferRecord(rolloutId, recordEnd);
      journal.line("rollout", `could not record the end of rollout ${rolloutId} yet: ${(again as Error).message}`);
    }
    journal.event("rollout.rolled-back", `rolled back: ${note}`);
    if (previous && kind !== "interrupted") {
      // The same names as every hook of the rollout: SLIPWAY_RELEASE the release it tried, SLIPWAY_PREVIOUS_RELEASE the one serving again.
      await hook({ target, stable: previous, strategy: rollout.strategy, config: rollout.config, journal }, "postRollback");
    }
    const details = [note];
    const tail = logTail.filter((l) => l.trim() !== "");
    if (instanceId && tail.length) details.push(`last log lines of ${instanceId}:`, ...tail.map((l) => `  ${l}`));
    const fault = resourceError(err, this.o.paths.dir, details);
    if (fault) throw fault;
    const verb = kind === "aborted" ? "was aborted" : kind === "interrupted" ? "was interrupted" : "failed";
    throw new SlipwayError("ROLLOUT_FAILED", `release ${target.id} (${target.version}) ${verb}: ${reason}`, {
      hint:
        err instanceof RolloutFailure && err.hint
          ? err.hint
          : instanceId
            ? `see slipway logs --release ${target.id}`
            : kind === "aborted"
              ? "slipway retry deploys it again"
              : "see slipway status",
      details,
      cause: err,
    });
  }

  /** Rollback to a release whose instances still run (blue-green standby): traffic moves, no process starts. */
  private async switchBack(target: Release, current: Release, holder: string): Promise<RolloutResult> {
    const { ledger, fleet, clock } = this.o;
    const started = clock.now();
    const rollout = ledger.startRollout({ kind: "rollback", releaseId: target.id, fromReleaseId: current.id, strategy: "switch", holder });
    const journal = this.journal(new Journal(ledger, { id: rollout.id, strategy: "switch", target, previous: current }, target.config));
    this.standbys.clear();
    fleet.switchTo(target.id);
    ledger.transaction(() => {
      ledger.activate(target.id);
      ledger.endRollout(rollout.id, "succeeded");
    });
    this.o.fleet.supervise(target.id);
    const durationMs = clock.now() - started;
    journal.event(
      "rollout.rolled-back",
      `rolled back to release ${target.id} (${target.version}) by switching traffic in ${durationMs}ms; release ${current.id} drains and stops`,
    );
    // The release we left drains and stops in the background; the command returns now.
    void Promise.all(fleet.ofRelease(current.id).map((i) => fleet.retire(i, `rolled back to release ${target.id}`)));
    void hook({ target, stable: current, strategy: "switch", config: target.config, journal }, "postRollback");
    const ready = fleet.ofRelease(target.id).filter((i) => i.state === "ready").length;
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

  private async converge(release: Release, config: Config, signal?: AbortSignal, keep: readonly number[] = []): Promise<void> {
    await converge({
      fleet: this.o.fleet,
      clock: this.o.clock,
      releaseId: release.id,
      replicas: config.app.replicas,
      rolling: config.strategy.rolling,
      progressDeadline: config.progressDeadline,
      launch: () => this.launch(release, config),
      signal: signal ?? this.stopping.signal,
      keep,
    });
  }

  launch(release: Release, config: Config, opts = { inRotation: true, restart: false }): Promise<Instance> {
    const next = (this.seq.get(release.id) ?? this.o.ledger.instanceCount(release.id)) + 1;
    this.seq.set(release.id, next);
    // The release's own log limits (the platform's defaults come from the release current when the daemon started).
    return this.o.fleet.launch({ ...instanceSpec(release, config, next), logs: config.logs }, config.health, opts);
  }

  /**
   * Process platform: makes sure `.slipway/shared/` holds each of the
   * release's shared paths (seeded from the app the first time a path is
   * shared, never overwritten; see release/shared.ts), so its snapshot's
   * links point somewhere. Before that, links an app replaced with a file
   * (a save by rename) are put back: in the serving release its copy is the
   * newest data and becomes the shared one; in `runs` (an older snapshot a
   * rollback or retry starts again) its copy is stale and is set aside.
   */
  private async prepareShared(releaseId: number, config: Config, runs?: Release): Promise<void> {
    const { ledger, paths, clock } = this.o;
    const current = ledger.currentRelease();
    const relink = async (release: Release | null | undefined, adopt: boolean): Promise<void> => {
      if (!release?.snapshot || !linksShared(release.config) || !existsSync(release.snapshot)) return;
      const stamp = `release-${release.id}-${clock.now()}`;
      for (const r of await relinkReplaced(release.snapshot, paths.shared, release.config.app.shared, {
        adopt,
        asideDir: paths.sharedReplaced,
        stamp,
      })) {
        const what =
          r.outcome === "adopted"
            ? `its copy, the newest data, is the shared one now (the previous shared copy is in ${relative(paths.root, r.asideAt)})`
            : `its stale copy was moved to ${relative(paths.root, r.asideAt)}`;
        ledger.record({
          type: "release",
          releaseId,
          message: `warning: shared ${r.path}: release ${release.id} had replaced its link with a file (the app saves it by renaming a new file over it, so those writes were not shared); ${what} and the link is back. Share the directory that holds it instead (app.shared: [data] with the file in data/)`,
        });
      }
    };
    await relink(current, true);
    if (runs && runs.id !== current?.id) await relink(runs, false);
    if (current && current.config.platform === "process") {
      for (const path of current.config.app.shared.filter((p) => !config.app.shared.includes(p))) {
        if (!existsSync(join(paths.shared, path))) continue;
        ledger.record({
          type: "release",
          releaseId,
          message: `warning: shared ${path}: not in app.shared any more; its data stays in ${relative(paths.root, join(paths.shared, path))}, and release ${releaseId} uses the app's own copy`,
        });
      }
    }
    if (!linksShared(config)) return;
    for (const [path, outcome] of await seedShared(config.app.cwd, paths.shared, config.app.shared)) {
      if (outcome === "kept") continue;
      const how =
        outcome === "seeded"
          ? `seeded from ${join(config.app.cwd, path)}`
          : "created as an empty directory (nothing at that path in the app)";
      ledger.record({ type: "release", releaseId, message: `shared ${path}: ${how}` });
    }
  }

  /** Refuses, before a release exists, a shared path named like a file that nothing can seed (it would become a directory). */
  private async requireSharedSources(config: Config): Promise<void> {
    if (!linksShared(config)) return;
    const [path, ...more] = await fileLikeWithoutSource(config.app.cwd, this.o.paths.shared, config.app.shared);
    if (path === undefined) return;
    const dir = dirname(path);
    throw new SlipwayError(
      "CONFIG_INVALID",
      `app.shared: ${path} is not in ${config.app.cwd}${more.length > 0 ? ` (nor ${more.join(", ")})` : ""}, and a shared file cannot start empty: Slipway would make a directory there`,
      {
        hint:
          dir === "."
            ? `create it before the first deploy (touch ${path}), or share a directory the app creates it in (app.shared: [data], the app writing data/${path})`
            : `create it before the first deploy (touch ${path}), or share its directory (app.shared: [${dir}])`,
      },
    );
  }

  private async prune(retain: number): Promise<void> {
    const { ledger, paths } = this.o;
    const releases = ledger.releases();
    const keep = new Set(
      releases
        .filter((r) => r.status !== "failed" && r.status !== "aborted")
        .slice(0, retain)
        .map((r) => r.id),
    );
    // Directories of releases the ledger does not know (it was restored from an older backup) are not its to delete.
    const known = new Set(releases.map((r) => r.id));
    for (const id of releaseIdsOnDisk(paths)) if (!known.has(id)) keep.add(id);
    const current = ledger.currentReleaseId();
    if (current !== null) keep.add(current);
    for (const i of this.o.fleet.list()) keep.add(i.releaseId);
    for (const id of await pruneReleaseDirs(paths.releases, (id) => keep.has(id))) ledger.setSnapshot(id, "");
    const serving = ledger.currentRelease();
    if (serving) void this.o.images.prune(serving.config, keep).catch(() => undefined);
    // Logs go with the snapshots, but failed releases in between keep theirs (they explain the failure).
    const oldest = Math.min(...keep);
    await pruneReleaseDirs(paths.logs, (id) => id >= oldest || keep.has(id));
  }
}

/** Shared paths become links into .slipway/shared/ on the process platform; containers mount volumes instead. */
function linksShared(config: Config): boolean {
  return config.platform === "process" && config.app.shared.length > 0;
}

function ref(r: Release): { id: number; version: string } {
  return { id: r.id, version: r.version };
}

/** Moving between swarm and the other platforms needs slipway down first. */
function requirePlatformSwitch(current: Config | null, next: Config): void {
  if (current && (current.platform === "swarm") !== (next.platform === "swarm")) {
    throw new SlipwayError("USAGE", `moving from platform ${current.platform} to ${next.platform} needs a fresh start`, {
      hint: "run slipway down, then slipway deploy",
    });
  }
}

function requireStrategyConfig(config: Config, strategy: StrategyType): void {
  if (strategy === "canary" && !config.strategy.canary?.steps.length) {
    throw new SlipwayError("USAGE", "--strategy canary needs strategy.canary with at least one step in slipway.yaml", {
      hint: "see docs/config.md#strategy",
    });
  }
  if (strategy === "blue-green" && !config.strategy.blueGreen) {
    throw new SlipwayError("USAGE", "--strategy blue-green needs strategy.blueGreen.previewListen in slipway.yaml", {
      hint: "see docs/config.md#strategy",
    });
  }
}
