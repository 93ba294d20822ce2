import type { Clock } from "../clock.js";
import type { Config } from "../config/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Release } from "../ledger/types.js";
import { containerReleaseLogs } from "../platform/docker/release-logs.js";
import type { ReleaseLogs } from "../platform/platform.js";
import { awaitReleaseHealthy } from "../rollout/release-health.js";
import { converge } from "../rollout/rolling.js";
import { waitReady } from "../rollout/wait-ready.js";
import type { AbandonOptions, InstanceRow, ReadyCount, RouteTarget, Step, Workload } from "../rollout/workload.js";
import type { Fleet, Instance } from "./fleet.js";
import { instanceSpec, releaseConfig } from "./release-runtime.js";
import { Standby, type StandbyState } from "./standby.js";

export interface FleetWorkloadOptions {
  fleet: Fleet;
  ledger: Ledger;
  clock: Clock;
  /** A process release's logs (the process platform's files, kept after its instances stop). */
  processLogs: (releaseId: number) => ReleaseLogs;
  /** Last lines of one instance's log, from the platform it runs on. */
  tail: (id: string, lines: number) => Promise<string[]>;
}

/**
 * The workload of the process and docker platforms: Slipway starts, probes,
 * supervises and stops each instance itself (`Fleet`), and the fleet's
 * routing table is the router's. Blue-green keeps the old release on standby
 * (`Standby`, its deadline in the ledger).
 */
export class FleetWorkload implements Workload {
  readonly routed = true;

  /** The daemon's own deploy lock is the only one. */
  claim(): Promise<() => Promise<void>> {
    return Promise.resolve(() => Promise.resolve());
  }

  /** The last instance number used per release (instance ids are `r<release>-<n>`). */
  private readonly seq = new Map<number, number>();
  private readonly standbys: Standby;

  constructor(private readonly o: FleetWorkloadOptions) {
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

  rollOut(release: Release, config: Config, step: Step): Promise<void> {
    return this.converge(release, config, step.signal);
  }

  async startCanary(release: Release, config: Config, replicas: number, step: Step): Promise<void> {
    this.o.fleet.setSplit({ canaryRelease: release.id, weight: 0 });
    await this.startWaiting(release, config, replicas, true, step);
  }

  setCanaryWeight(release: Release, weight: number): void {
    this.o.fleet.setSplit({ canaryRelease: release.id, weight });
  }

  /** Canary promotion: full size, all traffic, the old release retired after draining. */
  async promote(release: Release, config: Config, step: Step): Promise<void> {
    const { fleet } = this.o;
    const live = () => fleet.ofRelease(release.id).filter((i) => i.state !== "stopping" && i.state !== "stopped");
    while (live().length < config.app.replicas) await this.launch(release, config);
    await waitReady({ fleet, clock: this.o.clock, progressDeadline: config.progressDeadline, step }, live());
    fleet.setSplit({ canaryRelease: release.id, weight: 100 });
    fleet.supervise(release.id);
    const others = fleet.list().filter((i) => i.releaseId !== release.id);
    await Promise.all(others.map((i) => fleet.retire(i, `replaced by release ${release.id}`)));
    fleet.setSplit(null);
  }

  startGreen(release: Release, config: Config, replicas: number, step: Step): Promise<void> {
    return this.startWaiting(release, config, replicas, false, step);
  }

  onChange(listener: () => void): () => void {
    return this.o.fleet.onChange(() => listener());
  }

  previewTargets(releaseId: number): RouteTarget[] {
    return this.o.fleet.readyTargets(releaseId);
  }

  switchTo(release: Release): void {
    this.o.fleet.switchTo(release.id);
    this.o.fleet.supervise(release.id);
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  keepStandby(release: Release, ms: number): void {
    this.standbys.keep(release, ms);
  }

  standbyReady(releaseId: number): number {
    return this.o.fleet.ofRelease(releaseId).filter((i) => i.state === "ready").length;
  }

  /**
   * The target's instances are supervised by now, so one that failed after
   * the traffic moved is being restarted; waits for it up to progressDeadline.
   */
  awaitHealthy(release: Release, config: Config, step: Step): Promise<ReadyCount> {
    this.o.fleet.supervise(release.id);
    return awaitReleaseHealthy({
      fleet: this.o.fleet,
      clock: this.o.clock,
      releaseId: release.id,
      replicas: config.app.replicas,
      deadline: config.progressDeadline,
      signal: step.signal,
      onWait: step.note,
    });
  }

  commit(release: Release): void {
    this.o.fleet.supervise(release.id);
    if (this.standbys.state?.release === release.id) this.standbys.clear(); // a switch back made the standby current
  }

  /**
   * Traffic back to `previous` at once when it still runs, the target's
   * instances retired. When nothing of `previous` runs any more (the target
   * took all traffic: a failure while committing), the target's ready
   * instances keep serving until `previous`, started again, replaces them
   * (a rolling replacement): never an empty table.
   */
  async abandon(target: Release, previous: Release | null, o: AbandonOptions) {
    const { fleet } = this.o;
    const restore = previous !== null && previous.id !== target.id && o.restore;
    const previousRuns = previous !== null && this.standbyReady(previous.id) > 0;
    if (previousRuns) fleet.switchTo(previous.id);
    else fleet.setSplit(null);
    if (previousRuns || !restore) await Promise.all(fleet.ofRelease(target.id).map((i) => fleet.retire(i, o.reason)));
    if (!restore) return { restored: false, error: null };
    try {
      await this.converge(previous, releaseConfig(previous), o.signal);
      fleet.supervise(previous.id);
      return { restored: true, error: null };
    } catch (err) {
      return { restored: false, error: (err as Error).message };
    }
  }

  async retire(release: Release, reason: string): Promise<void> {
    const { fleet } = this.o;
    await Promise.all(fleet.ofRelease(release.id).map((i) => fleet.retire(i, reason)));
  }

  /** A blue-green standby the previous daemon kept: recovery adopted its instances while its deadline holds. */
  async recover(current: Release, config: Config, step: Step): Promise<void> {
    let standby = this.standbys.restore();
    if (standby && !this.o.fleet.ofRelease(standby.release).length) {
      this.standbys.clear();
      standby = null;
    }
    await this.converge(current, config, step.signal, standby ? [standby.release] : []);
    this.o.fleet.supervise(current.id);
  }

  runningReleases(): number[] {
    return [...new Set(this.o.fleet.list().map((i) => i.releaseId))];
  }

  instances(): InstanceRow[] {
    return this.o.fleet.list().map((i) => ({
      id: i.id,
      release: i.releaseId,
      version: i.spec.version,
      pid: i.pid,
      port: i.spec.port,
      state: i.state,
      inRotation: i.inRotation && i.state === "ready",
      restarts: i.restarts,
      lastFailure: i.lastFailure,
      health: this.o.fleet.describe(i),
    }));
  }

  releaseOf(targetId: string): number | undefined {
    return this.o.fleet.releaseOf(targetId);
  }

  /** A docker release's logs come from the engine, for the containers it runs now; a process release's from its files. */
  logs(release: Release): ReleaseLogs {
    if (release.config.platform !== "docker") return this.o.processLogs(release.id);
    return containerReleaseLogs(
      () => this.o.fleet.ofRelease(release.id).map((i) => i.id),
      (id, lines) => this.o.tail(id, lines),
    );
  }

  tail(id: string, lines: number): Promise<string[]> {
    return this.o.tail(id, lines);
  }

  async down(): Promise<void> {
    await this.o.fleet.retireAll("slipway down");
  }

  /** Starts one more instance of a release (ids `r<release>-<n>`, numbered on from the ledger's count). */
  launch(release: Release, config: Config, opts = { inRotation: true, restart: false }): Promise<Instance> {
    const next = (this.seq.get(release.id) ?? this.o.ledger.instanceCount(release.id)) + 1;
    this.seq.set(release.id, next);
    // The release's own log limits (the platform's defaults come from the release current when the daemon started).
    return this.o.fleet.launch({ ...instanceSpec(release, config, next), logs: config.logs }, config.health, opts);
  }

  private async startWaiting(release: Release, config: Config, replicas: number, inRotation: boolean, step: Step): Promise<void> {
    const instances: Instance[] = [];
    for (let n = replicas; n > 0; n--) instances.push(await this.launch(release, config, { inRotation, restart: false }));
    await waitReady({ fleet: this.o.fleet, clock: this.o.clock, progressDeadline: config.progressDeadline, step }, instances);
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
      ...(signal && { signal }),
      keep,
    });
  }
}
