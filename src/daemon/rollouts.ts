import { existsSync } from "node:fs";
import type { Clock } from "../clock.js";
import type { Config, StrategyType } from "../config/types.js";
import { SlipwayError } from "../errors.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Release, RolloutKind } from "../ledger/types.js";
import type { Platform } from "../platform/platform.js";
import { pruneReleaseDirs, snapshotRelease } from "../release/snapshot.js";
import { resolveVersion } from "../release/version.js";
import { converge } from "../rollout/rolling.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import type { Fleet, Instance } from "./fleet.js";
import type { DeployLock } from "./lock.js";
import { snapshotDir, type StatePaths } from "./paths.js";
import { instanceSpec, releaseConfig } from "./release-runtime.js";

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
  durationMs: number;
}

export interface RolloutsOptions {
  paths: StatePaths;
  ledger: Ledger;
  fleet: Fleet;
  platform: Platform;
  clock: Clock;
  lock: DeployLock;
  /** Makes sure the router listens where `config` says. */
  prepareRouter: (config: Config) => Promise<void>;
}

/** Lines of the failing instance's log shown with a failed rollout. */
const LOG_TAIL_LINES = 15;

/**
 * Deploys and rollbacks as transactions: the new release gets healthy
 * instances before it takes traffic, and every failure path ends with the
 * last good release serving.
 */
export class Rollouts {
  private readonly seq = new Map<number, number>();
  /** Aborted once, when the daemon stops: a running rollout ends as interrupted. */
  private readonly stopping = new AbortController();

  constructor(private readonly o: RolloutsOptions) {}

  async deploy(req: DeployRequest): Promise<RolloutResult> {
    const config = req.config;
    const strategy = req.strategy ?? config.strategy.type;
    if (strategy !== "rolling") {
      throw new SlipwayError("USAGE", `strategy "${strategy}" is not available yet`, { hint: "use strategy.type: rolling" });
    }
    const env = { ...config.app.env, ...(req.env ?? {}) };
    const release = await this.withLock(req.holder, `deploy of ${config.name}`, req.waitLock, async () => {
      const { ledger, paths, clock } = this.o;
      const version = resolveVersion(req.version, config.app.cwd, clock.now());
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
      try {
        snapshotRelease(config.app.cwd, dir);
      } catch (err) {
        ledger.setReleaseStatus(created.id, "failed", `snapshot failed: ${(err as Error).message}`);
        throw new SlipwayError("PLATFORM", `could not snapshot ${config.app.cwd}: ${(err as Error).message}`, {
          hint: "check app.cwd and .slipwayignore",
          cause: err,
        });
      }
      ledger.setSnapshot(created.id, dir);
      ledger.record({
        type: "release",
        releaseId: created.id,
        message: `release ${created.id} (${version}) created from ${config.app.cwd}`,
      });
      return this.run("deploy", ledger.release(created.id)!, config, req.holder);
    });
    return release;
  }

  async rollback(req: RollbackRequest): Promise<RolloutResult> {
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
      if (!target.snapshot || !existsSync(target.snapshot)) {
        throw new SlipwayError("NOT_FOUND", `release ${target.id} has no snapshot left (pruned by retain)`, {
          hint: "raise retain in slipway.yaml to keep more releases runnable",
        });
      }
      return this.run("rollback", target, releaseConfig(target), req.holder);
    });
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
    try {
      await this.converge(current, config);
      this.supervise(current.id);
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

  /** Interrupts the running rollout (daemon shutdown); the current release stays as it is. */
  abort(): void {
    this.stopping.abort();
  }

  private async withLock<T>(holder: string, what: string, waitLock: number | undefined, fn: () => Promise<T>): Promise<T> {
    const release = await this.o.lock.acquire(holder, what, waitLock ?? 0);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private async run(kind: RolloutKind, target: Release, config: Config, holder: string): Promise<RolloutResult> {
    const { ledger, clock } = this.o;
    const started = clock.now();
    const previous = ledger.currentRelease() ?? null;
    const rollout = ledger.startRollout({ kind, releaseId: target.id, fromReleaseId: previous?.id ?? null, strategy: "rolling", holder });
    ledger.record({
      type: "rollout",
      rolloutId: rollout.id,
      releaseId: target.id,
      message: `${kind} to release ${target.id} (${target.version}) started by ${holder}${previous ? `, replacing release ${previous.id} (${previous.version})` : ""}`,
    });
    await this.o.prepareRouter(config);
    try {
      await this.converge(target, config);
    } catch (err) {
      await this.undo(rollout.id, target, previous, err);
    }
    ledger.transaction(() => {
      ledger.activate(target.id);
      ledger.endRollout(rollout.id, "succeeded");
    });
    this.supervise(target.id);
    ledger.record({
      type: "rollout",
      rolloutId: rollout.id,
      releaseId: target.id,
      message: `release ${target.id} (${target.version}) is live`,
    });
    this.prune(config.retain);
    return {
      rolloutId: rollout.id,
      release: { id: target.id, version: target.version },
      previous: previous ? { id: previous.id, version: previous.version } : null,
      durationMs: clock.now() - started,
    };
  }

  /** A failed rollout: retire the new instances, bring the previous release back, explain. */
  private async undo(rolloutId: number, target: Release, previous: Release | null, err: unknown): Promise<never> {
    const { ledger, fleet, platform } = this.o;
    const reason = err instanceof Error ? err.message : String(err);
    const instanceId = err instanceof RolloutFailure ? err.instanceId : null;
    const logTail = instanceId ? await platform.tail(instanceId, LOG_TAIL_LINES).catch(() => []) : [];
    ledger.record({
      type: "rollout",
      rolloutId,
      releaseId: target.id,
      instanceId,
      message: `rollout failed: ${reason}`,
      data: { logTail },
    });
    await Promise.all(fleet.ofRelease(target.id).map((i) => fleet.retire(i, "rollout failed")));
    const interrupted = this.stopping.signal.aborted;
    let rollbackNote = interrupted ? "the daemon is stopping; the current release is unchanged" : "nothing was serving before";
    if (previous && previous.id !== target.id && !interrupted) {
      try {
        await this.converge(previous, releaseConfig(previous));
        this.supervise(previous.id);
        rollbackNote = `release ${previous.id} (${previous.version}) still serves`;
      } catch (again) {
        rollbackNote = `restoring release ${previous.id} also failed: ${(again as Error).message}`;
      }
    }
    ledger.transaction(() => {
      if (target.status === "pending") ledger.setReleaseStatus(target.id, "failed", reason);
      ledger.endRollout(rolloutId, interrupted ? "interrupted" : "rolled-back", reason);
    });
    ledger.record({ type: "rollout", rolloutId, releaseId: previous?.id ?? null, message: `rolled back: ${rollbackNote}` });
    const details = [rollbackNote];
    if (instanceId && logTail.length) details.push(`last log lines of ${instanceId}:`, ...logTail.map((l) => `  ${l}`));
    throw new SlipwayError("ROLLOUT_FAILED", `release ${target.id} (${target.version}) failed: ${reason}`, {
      hint: instanceId ? `see slipway logs --release ${target.id}` : "see slipway status",
      details,
      cause: err,
    });
  }

  private async converge(release: Release, config: Config): Promise<void> {
    const { fleet, clock } = this.o;
    await converge({
      fleet,
      clock,
      releaseId: release.id,
      replicas: config.app.replicas,
      rolling: config.strategy.rolling,
      progressDeadline: config.progressDeadline,
      launch: () => this.launch(release, config),
      signal: this.stopping.signal,
    });
  }

  launch(release: Release, config: Config, opts = { inRotation: true, restart: false }): Promise<Instance> {
    const next = (this.seq.get(release.id) ?? this.o.ledger.instanceCount(release.id)) + 1;
    this.seq.set(release.id, next);
    return this.o.fleet.launch(instanceSpec(release, config, next), config.health, opts);
  }

  /** Instances of the serving release are restarted when they crash. */
  private supervise(releaseId: number): void {
    for (const i of this.o.fleet.ofRelease(releaseId)) i.restart = true;
  }

  private prune(retain: number): void {
    const { ledger, paths } = this.o;
    const keep = new Set(
      ledger
        .releases()
        .filter((r) => r.status !== "failed")
        .slice(0, retain)
        .map((r) => r.id),
    );
    const current = ledger.currentReleaseId();
    if (current !== null) keep.add(current);
    for (const i of this.o.fleet.list()) keep.add(i.releaseId);
    for (const id of pruneReleaseDirs(paths.releases, (id) => keep.has(id))) ledger.setSnapshot(id, "");
    // Logs go with the snapshots, but failed releases in between keep theirs (they explain the failure).
    const oldest = Math.min(...keep);
    pruneReleaseDirs(paths.logs, (id) => id >= oldest || keep.has(id));
  }
}
