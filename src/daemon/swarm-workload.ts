import type { Clock } from "../clock.js";
import type { Config } from "../config/types.js";
import { commandVarNames } from "../config/command-vars.js";
import type { Release } from "../ledger/types.js";
import type { MultiPlatform } from "../platform/multi-platform.js";
import type { SharedVolume } from "../platform/docker/shared-volumes.js";
import { httpHealthTest, parallelismFromSurge, type ServiceOptions } from "../platform/swarm/service-spec.js";
import type { SwarmServices } from "../platform/swarm/swarm-services.js";
import type { SwarmTask } from "../platform/swarm/swarm-task.js";
import { taskArgs } from "../platform/swarm/task-command.js";
import { trafficGroups } from "../router/traffic-groups.js";
import type { RouteGroup } from "../router/types.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import type { AbandonOptions, InstanceRow, ReadyCount, RouteTarget, Step, Workload } from "../rollout/workload.js";
import type { ReleaseLogs } from "../platform/platform.js";
import { releaseConfig, releaseWorkloadEnv } from "./release-runtime.js";

/** A canary service's port lanes start this far above swarm.portBase (the app's service uses portBase and portBase + 1000). */
export const CANARY_LANES_OFFSET = 4000;

/**
 * Added to the probe's timeout in a task's healthcheck: the time to start the
 * `node` that runs the check (Docker's default timeout is 30 s).
 */
export const HEALTHCHECK_START_ALLOWANCE = 10_000;

/** How often the router's table is refreshed from the service's tasks. */
export const SWARM_ROUTES_EVERY = 500;

/**
 * The service's healthcheck, from the readiness probe (or liveness when there
 * is none); only an HTTP probe maps to one. Swarm replaces a task whose
 * healthcheck fails `retries` times in a row, so failures before the first
 * success must not count: that is Kubernetes' readiness (never kills) and a
 * startup probe's window. The start period is the startup probe's window when
 * there is one, else progressDeadline, the time a task has to become ready
 * anyway. Docker ends the start period at the first success, so a healthy
 * task that turns unhealthy is replaced as before. With a start period of 0,
 * a task slower to listen than `interval × failureThreshold` (1.5 s at 500 ms
 * × 3, easily passed by Node on a loaded machine) was killed and the update
 * rolled back. The check runs `node -e fetch(...)` in the task, so its
 * timeout is the probe's plus HEALTHCHECK_START_ALLOWANCE for starting node:
 * on a loaded machine that start alone took over 2 s, then (two-copy rounds
 * 52 and 54, with three extra engines per copy) over 3 s three times in a
 * row, and healthy tasks were replaced for it.
 *
 * @example
 * serviceHealthOption(config).health?.startPeriod; // 600000 with the default progressDeadline, no startup probe
 */
export function serviceHealthOption(config: Config): Pick<ServiceOptions, "health"> {
  const readiness = config.health.readiness ?? config.health.liveness;
  if (readiness?.check.kind !== "http") return {};
  const startup = config.health.startup;
  return {
    health: {
      test: httpHealthTest(readiness.check.path),
      interval: readiness.interval,
      timeout: readiness.timeout + HEALTHCHECK_START_ALLOWANCE,
      startPeriod: startup ? startup.interval * startup.failureThreshold : config.progressDeadline,
      retries: readiness.failureThreshold,
    },
  };
}

/** Router target ids of tasks whose release is remembered (samples name tasks that are gone by then). */
const KNOWN_TASKS_KEPT = 1024;

/**
 * platform: swarm, the other implementation of the `Workload` seam
 * (src/rollout/workload.ts). Swarm owns the tasks (start, restart, placement); Slipway
 * owns the traffic. A release is deployed by updating the app's service with
 * Swarm's native update_config (start-first, parallelism from maxSurge,
 * failure_action rollback), whose progress Slipway follows and reports; the
 * router follows the service's ready tasks, polled every 500 ms.
 */
export class SwarmWorkload implements Workload {
  readonly routed = true;

  /** The daemon's own deploy lock is the only one. */
  claim(): Promise<() => Promise<void>> {
    return Promise.resolve(() => Promise.resolve());
  }

  private services: SwarmServices | null = null;
  /** A canary: its own service (own port lanes), and its share of requests. */
  /**
   * A second service beside the app's: a canary (its share of requests by
   * weight) or blue-green's green (no requests until the switch, then all).
   */
  private split: { service: string; release: number; weight: number; green: boolean } | null = null;
  private timer: ReturnType<Clock["setTimeout"]> | null = null;
  private app: string | null = null;
  /** The app service's tasks and the split service's, as last read. */
  private main: SwarmTask[] = [];
  private side: SwarmTask[] = [];
  private table = "";
  /** Router target id → release, of every task seen (bounded, oldest dropped first). */
  private readonly known = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  /** Swarm keeps no standby: a rollback is a native update. */
  readonly standby = null;

  /**
   * @param setGroups offers the router its table (RouteTable.writer("swarm")).
   * @param drain resolves once the router process serves a table without
   *   these targets and their requests ended (RouterLink.drain): a service is
   *   removed only then, never while the router may still send to its tasks.
   */
  constructor(
    private readonly platforms: MultiPlatform,
    private readonly clock: Clock,
    private readonly setGroups: (groups: RouteGroup[]) => void,
    private readonly drain: (targetIds: string[]) => Promise<void>,
  ) {}

  /** Deploys (or updates to) a release and resolves once Swarm completed it; throws when Swarm rolled it back. */
  rollOut(release: Release, config: Config, step: Step): Promise<void> {
    return this.deploy(release, config, step.note, step.signal);
  }

  private async deploy(release: Release, config: Config, note: (message: string) => void, signal?: AbortSignal): Promise<void> {
    const swarm = await this.connect();
    await swarm.ensureSwarm();
    const { serviceName } = await import("../platform/swarm/service-spec.js");
    const { describeProgress } = await import("../platform/swarm/update-progress.js");
    const name = serviceName(config.name);
    const options = await this.serviceOptions(name, release, config, config.app.replicas, config.swarm.portBase);
    this.follow(config.name);
    const existing = (await swarm.services(config.name)).find((s) => s.name === name);
    const onProgress = (p: Parameters<typeof describeProgress>[0]) => note(describeProgress(p));
    if (!existing) {
      await swarm.deployService(options);
      note(`service ${name} created with ${config.app.replicas} replica(s) of ${release.image}`);
      await this.waitReady(name, release.id, config.app.replicas, config.progressDeadline, signal);
      return;
    }
    const final = await swarm.updateService(name, options, { onProgress, timeout: config.progressDeadline * 4, ...(signal && { signal }) });
    if (final.state !== "completed") {
      throw new RolloutFailure(`Swarm did not complete the update (${final.state}): ${final.message || "see slipway logs"}`);
    }
    await this.waitReady(name, release.id, config.app.replicas, config.progressDeadline, signal);
  }

  /**
   * Canary on swarm: the new release runs as its own service
   * (`slipway-<app>-r<id>`, port lanes at portBase + 4000) beside the app's
   * service; the router splits requests between the two.
   */
  startCanary(release: Release, config: Config, replicas: number, step: Step): Promise<void> {
    return this.startSide(release, config, replicas, false, step);
  }

  /** Blue-green on swarm: green is its own service like a canary's, out of the table until the switch. */
  startGreen(release: Release, config: Config, replicas: number, step: Step): Promise<void> {
    return this.startSide(release, config, replicas, true, step);
  }

  private async startSide(release: Release, config: Config, replicas: number, green: boolean, step: Step): Promise<void> {
    const swarm = await this.connect();
    await swarm.ensureSwarm();
    const { serviceName } = await import("../platform/swarm/service-spec.js");
    const name = serviceName(config.name, release.id);
    await swarm.removeService(name, { wait: true }).catch(() => undefined);
    await swarm.deployService(await this.serviceOptions(name, release, config, replicas, config.swarm.portBase + CANARY_LANES_OFFSET));
    this.split = { service: name, release: release.id, weight: 0, green };
    this.publish();
    step.note(`${green ? "green" : "canary"} service ${name} created with ${replicas} replica(s) of ${release.image}`);
    await this.waitReady(name, release.id, replicas, config.progressDeadline, step.signal);
  }

  /** Told after each look at the tasks that found them changed. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ready tasks of a release (the blue-green preview listener). */
  previewTargets(releaseId: number): RouteTarget[] {
    return this.tasks.filter((t) => t.ready && t.releaseId === releaseId).map(routeTarget);
  }

  /** The new share goes to the router at once, from the tasks last read. */
  setCanaryWeight(_release: Release, weight: number): void {
    if (this.split) this.split.weight = weight;
    this.publish();
  }

  /** The switch is the router's, one table swap: all requests to the split (green) service's tasks, or back to the app's. */
  switchTo(release: Release): void {
    if (this.split) this.setCanaryWeight(release, this.split.release === release.id ? 100 : 0);
  }

  /** Promotion: the app's service is updated to the canary's release (native rolling), then the canary service goes. */
  async promote(release: Release, config: Config, step: Step): Promise<void> {
    await this.deploy(release, config, step.note, step.signal);
    await this.endCanary();
  }

  /** Blue-green after the switch: the app's service takes green's image (green serves meanwhile), then green's service goes. */
  settle(release: Release, config: Config, step: Step): Promise<void> {
    return this.promote(release, config, step);
  }

  keepStandby(): void {
    // Swarm has no standby: blue's tasks are replaced by the update that settles green.
  }

  /** Swarm keeps no standby to switch back to: a rollback is always a native update. */
  standbyReady(): number {
    return 0;
  }

  /** Nothing runs a release the app's service does not (a canary or green service goes when its rollout ends). */
  retire(): Promise<void> {
    return Promise.resolve();
  }

  /** Swarm's deploy returned once every task was ready; this reads them again. */
  async awaitHealthy(release: Release, config: Config, step: Step): Promise<ReadyCount> {
    const { serviceName } = await import("../platform/swarm/service-spec.js");
    const ready = await this.waitReady(serviceName(config.name), release.id, config.app.replicas, config.progressDeadline, step.signal);
    return { ready, replicas: config.app.replicas };
  }

  commit(): void {
    // Swarm restarts failed tasks itself (RestartPolicy any).
  }

  /** A canary or green service goes; a failed update Swarm rolled back itself (failure_action: rollback). */
  /**
   * A canary or green service goes; a failed update Swarm rolled back itself
   * (failure_action: rollback). When the app's service runs the target by
   * now (an abort after Swarm completed the update, a release degraded
   * after it), it is updated back to `previous`.
   */
  async abandon(target: Release, previous: Release | null, o: AbandonOptions): Promise<{ restored: boolean; error: string | null }> {
    await this.endCanary();
    if (!previous) return { restored: false, error: null };
    if (!o.restore || (await this.serviceRelease(previous.config.name)) !== target.id) return { restored: true, error: null };
    try {
      await this.deploy(previous, releaseConfig(previous), o.note ?? (() => {}), o.signal);
      return { restored: true, error: null };
    } catch (err) {
      return { restored: false, error: (err as Error).message };
    }
  }

  /** The release the app's service runs (its spec's label), null when there is no service. */
  private async serviceRelease(app: string): Promise<number | null> {
    const swarm = await this.connect();
    const { serviceName } = await import("../platform/swarm/service-spec.js");
    return (await swarm.services(app)).find((s) => s.name === serviceName(app))?.releaseId ?? null;
  }

  async recover(current: Release, config: Config, step: Step): Promise<void> {
    await this.ensure(current, config, step.note);
  }

  runningReleases(): number[] {
    return [...new Set(this.tasks.map((t) => t.releaseId))];
  }

  instances(): InstanceRow[] {
    return this.tasks.map((t) => ({
      id: routeTarget(t).id,
      release: t.releaseId,
      version: t.version,
      pid: 0,
      port: t.port,
      state: t.ready ? "ready" : t.state,
      inRotation: t.ready,
      restarts: 0,
      lastFailure: null,
      health: `swarm task slot ${t.slot}${t.error ? `: ${t.error}` : ""}`,
    }));
  }

  releaseOf(targetId: string): number | undefined {
    return this.known.get(targetId);
  }

  /** Swarm's service logs, each line already prefixed with its task id; they cannot be followed. */
  logs(release: Release): ReleaseLogs {
    const app = release.config.name;
    return {
      tail: async function* (this: SwarmWorkload, lines: number) {
        const swarm = await this.connect();
        const { serviceName } = await import("../platform/swarm/service-spec.js");
        yield* await swarm.logs(serviceName(app), lines);
      }.bind(this),
    };
  }

  /** A failed swarm rollout names no single task. */
  tail(): Promise<string[]> {
    return Promise.resolve([]);
  }

  /** Ends a canary: all traffic to the app's service, the canary service removed. */
  private async endCanary(): Promise<void> {
    const split = this.split;
    if (!split) return;
    const leaving = this.side.map((t) => routeTarget(t).id);
    this.split = null;
    this.side = [];
    this.publish(); // all requests to the app's service at once, from its tasks last read
    await this.refresh();
    // Round 51: removed while the router still had the table naming its tasks (sent, not yet applied under load),
    // green's service took 20 requests down with it. The router answers a drain only after every earlier change.
    await this.drain(leaving).catch(() => undefined);
    const swarm = await this.connect();
    await swarm.removeService(split.service, { wait: true }).catch(() => undefined);
  }

  private async serviceOptions(
    name: string,
    release: Release,
    config: Config,
    replicas: number,
    portBase: number,
  ): Promise<ServiceOptions> {
    const volumes = await this.sharedVolumes(release, config);
    const env = {
      ...releaseWorkloadEnv(release, config, "container"),
      SLIPWAY_RELEASE: String(release.id),
      SLIPWAY_VERSION: release.version,
    };
    const { command, commandForm } = config.app;
    return {
      name,
      app: config.name,
      releaseId: release.id,
      version: release.version,
      image: release.image!,
      replicas,
      env,
      portBase,
      ...(command.length > 0 && {
        command: commandForm === "words" ? taskArgs(command, commandVarNames("swarm", release.env), env) : command,
      }),
      ...serviceHealthOption(config),
      ...(config.app.resources && {
        resources: {
          ...(config.app.resources.cpus !== undefined && { cpus: config.app.resources.cpus }),
          ...(config.app.resources.memory !== undefined && { memoryBytes: config.app.resources.memory }),
        },
      }),
      constraints: config.swarm.constraints,
      init: config.docker.init,
      ...(volumes.length > 0 && { volumes }),
      shutdown: config.app.shutdown,
      updateConfig: {
        parallelism: parallelismFromSurge(config.strategy.rolling.maxSurge, config.app.replicas),
        monitor: Math.max(config.strategy.rolling.minReady, 2000),
        order: "start-first" as const,
        failureAction: "rollback" as const,
      },
    };
  }

  /** After a daemon start: follow the service if Swarm still runs it, else create it again (after slipway down). */
  private async ensure(release: Release, config: Config, note: (message: string) => void): Promise<void> {
    // A service on another release (a daemon stopped while it undid an update) is updated back to the current one.
    if ((await this.serviceRelease(config.name)) === release.id) this.follow(config.name);
    else await this.deploy(release, config, note);
  }

  /** Follows the app's service: the router gets its ready tasks. */
  private follow(app: string): void {
    this.app = app;
    if (!this.timer) void this.refresh();
  }

  /** Stops following the app's service (no more polling). */
  private stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.app = null;
  }

  /** `slipway down`: removes the app's service (Swarm stops its tasks with their stop grace period). */
  async down(): Promise<void> {
    const app = this.app;
    this.stop();
    if (!app) return;
    await this.endCanary();
    const swarm = await this.connect();
    const { serviceName } = await import("../platform/swarm/service-spec.js");
    await swarm.removeService(serviceName(app), { wait: true }).catch(() => undefined);
    this.main = [];
    this.side = [];
  }

  /** Resolves with the count once `replicas` tasks of the release are ready in service `name`. */
  private async waitReady(name: string, releaseId: number, replicas: number, deadline: number, signal?: AbortSignal): Promise<number> {
    const until = this.clock.now() + deadline;
    const swarm = await this.connect();
    for (;;) {
      const tasks = await swarm.tasks(name);
      const ready = tasks.filter((t) => t.ready && t.releaseId === releaseId).length;
      if (ready >= replicas) {
        await this.refresh();
        return ready;
      }
      if (signal?.aborted) throw new RolloutFailure("interrupted: the daemon is stopping", null, "interrupted");
      if (this.clock.now() > until)
        throw new RolloutFailure(`only ${ready}/${replicas} task(s) of ${name} became ready within progressDeadline`);
      await this.clock.sleep(SWARM_ROUTES_EVERY);
    }
  }

  private async refresh(): Promise<void> {
    // One polling loop: a direct call (after a wait, a canary's end) replaces the scheduled one.
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const app = this.app;
    if (!app) return;
    try {
      const swarm = await this.connect();
      const { serviceName } = await import("../platform/swarm/service-spec.js");
      const main = await swarm.tasks(serviceName(app));
      const split = this.split;
      const side = split ? await swarm.tasks(split.service) : [];
      const before = JSON.stringify(this.tasks);
      this.main = main;
      this.side = side;
      this.remember(this.tasks);
      if (JSON.stringify(this.tasks) !== before) for (const l of this.listeners) l();
      this.publish();
    } catch {
      // the engine may be restarting: keep the last table, try again
    }
    if (this.app) this.timer = this.clock.setTimeout(() => void this.refresh(), SWARM_ROUTES_EVERY);
  }

  /** Every task last read, the app service's first. */
  private get tasks(): SwarmTask[] {
    return [...this.main, ...this.side];
  }

  /**
   * Hands the router the table the tasks last read make: the app's ready
   * tasks; during a canary a "canary" group (its weight) and a "stable" one;
   * green only once switched to, alone. Only a changed table is handed over:
   * a swap restarts the weighted round-robin sequence.
   */
  private publish(): void {
    const app = this.app;
    if (!app) return;
    const ready = (tasks: SwarmTask[]) => tasks.filter((t) => t.ready).map(routeTarget);
    const split = this.split;
    const groups = !split
      ? trafficGroups(app, ready(this.main), null)
      : split.green
        ? trafficGroups(app, ready(split.weight === 100 ? this.side : this.main), null)
        : trafficGroups(app, ready(this.main), { weight: split.weight, targets: ready(this.side) });
    const key = JSON.stringify(groups);
    if (key === this.table) return;
    this.table = key;
    this.setGroups(groups);
  }

  /** The release of each task, for router samples that name it (analysis, metrics), also once it is gone. */
  private remember(tasks: SwarmTask[]): void {
    for (const t of tasks) {
      const id = routeTarget(t).id;
      this.known.delete(id);
      this.known.set(id, t.releaseId);
    }
    while (this.known.size > KNOWN_TASKS_KEPT) this.known.delete(this.known.keys().next().value!);
  }

  /** `app.shared` as named volumes under the release image's WORKDIR (each node has its own: see docs/swarm.md). */
  private async sharedVolumes(release: Release, config: Config): Promise<SharedVolume[]> {
    if (config.app.shared.length === 0) return [];
    const { docker } = await this.platforms.dockerPlatform();
    const { imageWorkdir, sharedVolumes } = await import("../platform/docker/shared-volumes.js");
    return sharedVolumes(config.name, config.app.shared, await imageWorkdir(docker, release.image!));
  }

  private async connect(): Promise<SwarmServices> {
    if (this.services) return this.services;
    const { docker } = await this.platforms.dockerPlatform();
    const { SwarmServices } = await import("../platform/swarm/swarm-services.js");
    this.services = new SwarmServices({ docker, clock: this.clock });
    return this.services;
  }
}

/** A task as the router and status name it: `r<release>-task-<first 12 of the task id>`. */
function routeTarget(t: SwarmTask): RouteTarget {
  return { id: `r${t.releaseId}-task-${t.id.slice(0, 12)}`, host: t.address, port: t.port };
}
