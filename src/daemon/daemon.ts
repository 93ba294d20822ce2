import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { systemClock, within, type Clock } from "../clock.js";
import type { Config, ListenAddress } from "../config/types.js";
import { DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE_BYTES } from "./defaults.js";
import { Ledger, type EventFilter } from "../ledger/ledger.js";
import { ProcessPlatform } from "../platform/process/process-platform.js";
import { MultiPlatform } from "../platform/multi-platform.js";
import { ReleaseImages } from "./release-images.js";
import { SwarmWorkload } from "./swarm-workload.js";
import { connectCluster, KubernetesWorkload } from "./kubernetes-workload.js";
import { FleetWorkload } from "./fleet-workload.js";
import { RouteTable } from "./route-table.js";
import { Workloads } from "./workloads.js";
import { withContainerHealth } from "./container-health.js";
import { InstancePorts } from "../platform/process/port.js";
import type { ContainerHealth, ReleaseLogs } from "../platform/platform.js";
import type { LedgerEvent, Release, Rollout } from "../ledger/types.js";
import type { ControlState } from "../rollout/control.js";
import { PACKAGE_VERSION } from "../package-version.js";
import { InstanceHealth } from "../probe/instance-health.js";
import type { ResponseSample, RoutingOptions } from "../router/types.js";
import type { Sample } from "../routerd/sample-batch.js";
import { TrafficRecorder } from "../analysis/traffic-recorder.js";
import { MetricsExporter } from "../metrics/prometheus.js";
import { createApiServer } from "./api.js";
import { deliveryStats, type DeliveryStats } from "../delivery/delivery-metrics.js";
import { statsPeriod, type StatsPeriod } from "../delivery/stats-period.js";
import type { ControlAction, ControlPlane, RetryRequest } from "./control-plane.js";
import { Fleet, type HealthEvent, type HealthFactory } from "./fleet.js";
import { DeployLock } from "./lock.js";
import { statePaths, type StatePaths } from "./paths.js";
import { recoverState, type RecoveryReport } from "./recovery.js";
import { checkLedger } from "./state-on-disk.js";
import { releaseConfig } from "./release-runtime.js";
import { Rollouts, type DeployRequest, type RollbackRequest, type RolloutResult } from "./rollouts.js";
import { connectHost, RouterLink, type BoundListener } from "./router-link.js";
import { routerLocation } from "./router-location.js";
import { publicListener, routerOptions, type ListenerSpec } from "./router-options.js";
import { daemonStatus, type DaemonStatus } from "./status.js";

/** The cookie that keeps a client on one side of a canary (`canary.stickiness: cookie`). */
export const COHORT_COOKIE = "slipway_cohort";

/** The router process's listener for the app's public address. */
const PUBLIC = "public";

/** How long shutdown waits for an interrupted rollout to unwind. */
const STOP_WAIT_FOR_ROLLOUT = 30_000;
/** How long shutdown waits for webhook notifications still in flight. */
const STOP_WAIT_FOR_WEBHOOKS = 5_000;
/** How long a command's answer waits for a traffic change on the platform (a cluster's API that does not answer). */
const TRAFFIC_SETTLE_WAIT = 15_000;

export interface DaemonOptions {
  root: string;
  /** Router address when no release exists yet (from `slipway up`). */
  listen?: ListenAddress;
  clock?: Clock;
  /** Called once everything is stopped (the CLI exits the process). */
  onStopped?: () => void;
  /** The version ping reports (default: this install's package.json). */
  version?: string;
}

/**
 * The Slipway daemon of one project: ledger, platform, fleet, router and the
 * control API on `.slipway/daemon.sock`. Runs in the foreground of its own
 * process (`slipway daemon`), started in the background by `slipway up`.
 */
export class Daemon implements ControlPlane {
  readonly paths: StatePaths;
  readonly version: string;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly platform: MultiPlatform;
  readonly fleet: Fleet;
  /** The fleet's (process, docker) and Swarm's: a release runs on the one its platform picks. */
  readonly workloads: Workloads;
  readonly lock: DeployLock;
  readonly rollouts: Rollouts;
  /** Where the fleet's instances get their ports (below the ephemeral range, in turn). */
  private readonly ports = new InstancePorts(() => this.clock.now());
  recovery: RecoveryReport | null = null;
  /** Settles once the current release is back to full size after a start. */
  recovered: Promise<void> = Promise.resolve();
  /** The channel to the router process, which owns the listeners and the routing table. */
  readonly router: RouterLink;
  readonly recorder: TrafficRecorder;
  /** The one writer of the router's public table: the table of the current release's workload. */
  private readonly routes: RouteTable;
  private metrics: MetricsExporter | null = null;
  private metricsAt: ListenAddress | null = null;
  private routeOptions: RoutingOptions = { headerRoute: null, stickiness: null };
  /** The public address as configured, and where the router bound it (they differ for port 0). */
  private routerAt: ListenerSpec | null = null;
  private routerBound: BoundListener | null = null;
  private drainTimeout = 30_000;
  private appName = "app";
  private api: Server | null = null;
  private readonly startedAt: number;
  private stopping: Promise<void> | null = null;
  private readonly onStopped: (() => void) | undefined;

  private constructor(options: DaemonOptions) {
    this.clock = options.clock ?? systemClock;
    this.version = options.version ?? PACKAGE_VERSION;
    this.startedAt = this.clock.now();
    this.onStopped = options.onStopped;
    this.paths = statePaths(options.root);
    mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    checkLedger(this.paths); // a lost ledger beside snapshots or running instances: refuse, never start afresh
    this.ledger = Ledger.open(this.paths.ledger, this.clock);
    this.recorder = new TrafficRecorder({ clock: this.clock });
    this.router = new RouterLink({
      paths: this.paths,
      onSamples: (samples) => this.onSamples(samples),
      log: (message) => console.log(`${new Date().toISOString()} daemon: ${message}`),
      onOrphaned: () => void this.stop().catch(() => this.onStopped?.()),
    });
    const current = this.ledger.currentRelease();
    const config = current ? releaseConfig(current) : null;
    // While a restarted daemon adopts the running instances, the router keeps the table it was
    // serving: the fleet's table (empty until the adopted instances pass their readiness probe) waits.
    this.routes = new RouteTable((groups) => this.router.setGroups(PUBLIC, groups));
    const processes = new ProcessPlatform({
      logDir: this.paths.logs,
      logMaxSize: config?.logs.maxSize ?? DEFAULT_LOG_MAX_SIZE_BYTES,
      logMaxFiles: config?.logs.maxFiles ?? DEFAULT_LOG_MAX_FILES,
      clock: this.clock,
    });
    // Loaded on first use: a process-only project never pays for the Docker client.
    this.platform = new MultiPlatform(processes, async () => {
      const [{ connectDocker }, { DockerPlatform }] = await Promise.all([
        import("../platform/docker/engine.js"),
        import("../platform/docker/docker-platform.js"),
      ]);
      const docker = await connectDocker();
      return { docker, platform: new DockerPlatform({ docker, clock: this.clock }) };
    });
    const createHealth: HealthFactory = (spec, health, onEvent) => {
      const monitor = new InstanceHealth({
        health,
        target: { host: spec.host, port: spec.port, cwd: spec.cwd, env: spec.env },
        clock: this.clock,
      });
      // Docker instances also honour the image's own HEALTHCHECK.
      const container = spec.platform === "docker" ? withContainerHealth(() => this.containerHealth(spec.id), this.clock, onEvent) : null;
      monitor.onEvent((e) => {
        if (e.type === "started") return;
        const event: HealthEvent =
          e.type === "path-unserved" ? { type: e.type, message: e.message, hint: e.hint ?? "" } : { type: e.type, message: e.message };
        if (container) container.onProbeEvent(event);
        else onEvent(event);
      });
      monitor.start();
      return {
        stop: () => {
          monitor.stop();
          container?.stop();
        },
        detail: () => monitor.status().detail || (container?.detail() ?? ""),
        waiting: () => monitor.waiting(),
      };
    };
    this.fleet = new Fleet({
      platform: this.platform,
      traffic: {
        setGroups: this.routes.writer("fleet"),
        drain: (id, timeout) => this.router.drain(PUBLIC, id, timeout),
      },
      ledger: this.ledger,
      clock: this.clock,
      createHealth,
      groupName: () => this.appName,
      drainTimeout: () => this.drainTimeout,
      allocatePort: (host) => this.ports.next(host),
    });
    this.workloads = new Workloads(
      {
        fleet: new FleetWorkload({
          fleet: this.fleet,
          ledger: this.ledger,
          clock: this.clock,
          processLogs: (releaseId) => processes.releaseLogs(releaseId),
          tail: (id, lines) => this.platform.tail(id, lines),
        }),
        swarm: new SwarmWorkload(this.platform, this.clock, this.routes.writer("swarm"), (ids) => this.drainTargets(ids)),
        kubernetes: new KubernetesWorkload(connectCluster, this.clock),
      },
      this.ledger,
    );
    this.lock = new DeployLock(this.clock);
    this.rollouts = new Rollouts({
      paths: this.paths,
      ledger: this.ledger,
      workloads: this.workloads,
      clock: this.clock,
      lock: this.lock,
      recorder: this.recorder,
      images: new ReleaseImages(this.platform, this.ledger),
      prepareRouter: (c) => this.prepareRouter(c),
      publicUrl: () => (this.routerBound ? `http://${connectHost(this.routerBound.host)}:${this.routerBound.port}` : ""),
      openListener: (key, listen, options) => this.router.open(key, listen, options),
      onStateChange: () => this.updateMetrics(),
    });
    if (config) this.applyConfig(config);
  }

  /**
   * Opens the state, attaches to the router process (starting it when none
   * runs) and takes over the table it serves, recovers what a previous daemon
   * left, then starts the API.
   */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    const running = daemon.ledger.currentRelease();
    const { listeners } = await daemon.router.start(
      running ? routerLocation(releaseConfig(running), daemon.paths.root) : { shared: false },
    );
    // A preview listener belonged to a rollout the previous daemon left unfinished: recovery ends it.
    for (const key of Object.keys(listeners)) if (key !== PUBLIC) await daemon.router.remove(key);
    const served = listeners[PUBLIC];
    if (served) {
      daemon.routerAt = { listen: served.listen, hosts: served.hosts ?? [], tls: served.tls ?? null };
      daemon.routeOptions = served.options;
    }
    const current = daemon.ledger.currentRelease();
    const spec = current ? publicListener(releaseConfig(current)) : options.listen ? { listen: options.listen } : null;
    if (spec && (!current || daemon.workloads.for(releaseConfig(current)).routed)) await daemon.bindRouter(spec);
    daemon.recovery = await recoverState(daemon.ledger, daemon.platform, daemon.fleet, daemon.clock.now(), (ids) => daemon.unroute(ids));
    await daemon.listenApi();
    daemon.recovered = daemon.rollouts.recover();
    daemon.releaseRoutesWhenAdopted(daemon.recovered);
    return daemon;
  }

  /**
   * Ends the hold on the routing table once every adopted instance has a
   * verdict (ready or not) or recovery is over, whichever comes first.
   */
  private releaseRoutesWhenAdopted(recovered: Promise<void>): void {
    const release = () => {
      if (!this.routes.holding) return;
      off();
      this.routes.release();
    };
    const adopted = this.recovery?.adopted ?? [];
    const pending = () => adopted.some((id) => this.fleet.get(id)?.state === "starting");
    const off = this.fleet.onChange(() => {
      if (!pending()) release();
    });
    if (!pending()) release();
    void recovered.finally(release);
  }

  /**
   * Recovery is about to stop instances a killed daemon left (a canary, an
   * old release): take them out of the table the router kept and drain them
   * first, so their requests finish.
   */
  private async unroute(ids: string[]): Promise<void> {
    const served = this.router.listener(PUBLIC);
    if (!served || !ids.length) return;
    const gone = new Set(ids);
    const groups = served.groups
      .map((g) => ({ ...g, targets: g.targets.filter((t) => !gone.has(t.id)) }))
      .filter((g) => g.targets.length > 0);
    const adopted = this.fleet
      .list()
      .filter((i) => i.inRotation)
      .map((i) => ({ id: i.id, host: i.spec.host, port: i.spec.port }));
    // Never leave the table empty while adopted instances run: they were serving a moment ago.
    this.routes.sendHeld(groups.length || !adopted.length ? groups : [{ name: this.appName, weight: 1, targets: adopted }]);
    await this.drainTargets(ids);
  }

  /** Resolves once the router serves no table naming these targets and their requests ended (drain.timeout at most). */
  private async drainTargets(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => this.router.drain(PUBLIC, id, this.drainTimeout)));
  }

  status(): DaemonStatus {
    const status = daemonStatus({
      ledger: this.ledger,
      instances: this.workloads.instances(),
      routes: this.routes.current(),
      rollouts: this.rollouts,
      lock: this.lock.info,
      router: this.routerBound
        ? {
            listen: { host: this.routerBound.host, port: this.routerBound.port },
            tls: this.routerBound.tls,
            hosts: this.routerAt?.hosts ?? [],
            certificates: this.router.acme(),
            stats: this.router.stats(PUBLIC) ?? { requests: 0 },
          }
        : null,
      recovery: this.recovery,
      servedBy: this.servedBy(),
      pid: process.pid,
      startedAt: this.startedAt,
    });
    return status;
  }

  /** Where the current release is served when Slipway's router is not in its path. */
  private servedBy(): string | null {
    const current = this.ledger.currentRelease();
    if (!current) return null;
    const config = releaseConfig(current);
    const workload = this.workloads.for(config);
    return workload.routed ? null : (workload.servedBy?.(config) ?? null);
  }

  /** A docker instance's HEALTHCHECK status ("none" when its image has none). */
  private async containerHealth(id: string): Promise<ContainerHealth> {
    const { platform } = await this.platform.dockerPlatform();
    return platform.containerHealth(id);
  }

  get stateDir(): string {
    return this.paths.dir;
  }

  releases(): Release[] {
    return this.ledger.releases();
  }

  release(id: number): Release | undefined {
    return this.ledger.release(id);
  }

  currentReleaseId(): number | null {
    return this.ledger.currentReleaseId();
  }

  events(filter: EventFilter): LedgerEvent[] {
    return this.ledger.events(filter);
  }

  rolloutHistory(limit: number): Rollout[] {
    return this.ledger.rollouts(limit);
  }

  onRecord(listener: (event: LedgerEvent) => void): () => void {
    return this.ledger.onRecord(listener);
  }

  deliveryStats(asked: Partial<StatsPeriod>): DeliveryStats {
    const period = statsPeriod(asked, this.clock.now());
    return deliveryStats({ ...period, releases: this.ledger.releases(), rollouts: this.ledger.allRollouts() });
  }

  async deploy(req: DeployRequest): Promise<RolloutResult> {
    await this.recovered;
    return this.rollouts.deploy(req);
  }

  async rollback(req: RollbackRequest): Promise<RolloutResult> {
    await this.recovered;
    return this.rollouts.rollback(req);
  }

  async retry(req: RetryRequest): Promise<RolloutResult> {
    await this.recovered;
    return this.rollouts.retry(req);
  }

  async control(action: ControlAction, opts: { full?: boolean; holder: string }): Promise<ControlState & { rollout: number }> {
    const active = this.rollouts.active;
    const state = this.rollouts.control(action, opts);
    // An abort answers once traffic is back on the stable release and the rollout has ended.
    if (action === "abort") await active?.done;
    // The traffic change the action made has reached the router process (or the cluster) when the CLI hears back.
    await this.flushed();
    return state;
  }

  async controlAndFollow(action: ControlAction, opts: { full?: boolean; holder: string }): Promise<object> {
    const ending = this.rollouts.ending();
    const state = await this.control(action, opts);
    return action === "abort" || !ending ? state : ending;
  }

  /** Every traffic change made so far is in the router process, and on the platform where the router does not carry it (Kubernetes). */
  async flushed(): Promise<void> {
    await Promise.all([this.router.flushed(), within(this.clock, TRAFFIC_SETTLE_WAIT, this.workloads.trafficSettled())]);
  }

  /** The logs of a release's instances, from the workload it ran on. */
  releaseLogs(releaseId: number): ReleaseLogs {
    const release = this.ledger.release(releaseId);
    if (!release) return { tail: async function* () {} };
    return this.workloads.for(releaseConfig(release)).logs(release);
  }

  /** Stops every instance gracefully, the router and the API. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.ledger.record({ type: "daemon", message: "daemon stopping: draining and stopping every instance" });
      this.rollouts.abort();
      await this.lock.acquire("slipway down", "shutdown", STOP_WAIT_FOR_ROLLOUT).catch(() => undefined);
      await this.workloads.down();
      await this.rollouts.flushNotifications(STOP_WAIT_FOR_WEBHOOKS);
      this.fleet.close();
      await this.router.shutdown();
      await this.metrics?.close();
      this.api?.close();
      rmSync(this.paths.socket, { force: true });
      rmSync(this.paths.pidFile, { force: true });
      this.ledger.record({ type: "daemon", message: "daemon stopped" });
      this.ledger.close();
      // Leaves time for the answer to `slipway down` to be written.
      if (this.onStopped) setTimeout(this.onStopped, 50);
    })();
    return this.stopping;
  }

  private applyConfig(config: Config): void {
    this.drainTimeout = config.drain.timeout;
    this.appName = config.name;
    this.routes.follow(this.workloads.keyOf(config));
  }

  /** Router address, canary routing options and the metrics listener, as a release's config says. */
  private async prepareRouter(config: Config): Promise<void> {
    this.applyConfig(config);
    const before = this.router.at;
    await this.router.relocate(routerLocation(config, this.paths.root));
    const canary = config.strategy.canary;
    this.routeOptions = {
      name: config.name,
      headerRoute: canary && canary.header !== false ? { header: canary.header } : null,
      stickiness: canary?.stickiness === "cookie" ? { cookie: COHORT_COOKIE } : null,
      ...routerOptions(config),
    };
    if (!this.workloads.for(config).routed) {
      // The cluster serves the app (platform kubernetes): no public listener here, and none left from another platform.
      if (this.routerAt) await this.router.remove(PUBLIC);
      this.routerAt = null;
      this.routerBound = null;
      await this.bindMetrics(config.metrics?.listen ?? null);
      return;
    }
    try {
      await this.bindRouter(publicListener(config));
    } catch (err) {
      // Refused (an address in use, a host another app serves): the app stays where it was served.
      if (this.router.at !== before) {
        await this.router.relocate(before);
        if (this.routerAt)
          await this.bindRouter(this.routerAt).catch((e: Error) =>
            console.log(`${new Date().toISOString()} daemon: cannot serve the app again: ${e.message}`),
          );
      }
      throw err;
    }
    await this.bindMetrics(config.metrics?.listen ?? null);
  }

  /** Serves Prometheus metrics on `metrics.listen` (never on the app's port). */
  private async bindMetrics(listen: ListenAddress | null): Promise<void> {
    const same = this.metricsAt && listen && this.metricsAt.host === listen.host && this.metricsAt.port === listen.port;
    if (same || (!listen && !this.metrics)) return;
    await this.metrics?.close();
    this.metrics = null;
    this.metricsAt = null;
    if (!listen) return;
    const exporter = new MetricsExporter();
    await exporter.listen(listen);
    this.metrics = exporter;
    this.metricsAt = listen;
    this.updateMetrics();
  }

  /** A batch of the router's samples: those of the public listener feed analysis and metrics. */
  private onSamples(samples: Sample[]): void {
    for (const { listener, target, status, durationMs } of samples) {
      if (listener === PUBLIC) this.onSample({ group: "", target, status, durationMs });
    }
  }

  /** One router sample: the analysis recorder and Prometheus, by release. */
  private onSample(s: ResponseSample): void {
    if (!s.target) return;
    const release = this.workloads.releaseOf(s.target);
    if (release === undefined) return;
    this.recorder.record(release, s.status, s.durationMs);
    this.metrics?.observe(release, s.status, s.durationMs);
  }

  private updateMetrics(): void {
    if (!this.metrics) return;
    const weights: Record<string, number> = {};
    const active = this.rollouts.active;
    // A canary's share, as its rollout set it (the same on every workload).
    const split =
      active && active.control.state.weight !== null ? { release: active.release.id, weight: active.control.state.weight } : null;
    const current = this.ledger.currentReleaseId();
    if (split) {
      weights[String(split.release)] = split.weight;
      if (current !== null && current !== split.release) weights[String(current)] = 100 - split.weight;
    } else if (current !== null) weights[String(current)] = 100;
    this.metrics.setWeights(weights);
    this.metrics.setRolloutState(
      active ? { release: active.release.id, strategy: active.strategy, phase: active.control.state.phase } : null,
    );
  }

  /**
   * Serves the app on `listen` with the current routing options (a new
   * address: the router closes the old listener once the new one is up).
   */
  private async bindRouter(spec: ListenerSpec): Promise<void> {
    const moved = !this.routerAt || JSON.stringify(this.routerAt) !== JSON.stringify(spec);
    const bound = await this.router.bind(PUBLIC, spec, { ...this.routeOptions, name: this.appName });
    this.routerAt = spec;
    this.routerBound = bound;
    if (moved) {
      const https = bound.tls ? ` and https://${connectHost(bound.tls.host)}:${bound.tls.port}` : "";
      const hosts = spec.hosts?.length ? ` for ${spec.hosts.join(", ")}` : "";
      this.ledger.record({ type: "router", message: `router listening on http://${bound.host}:${bound.port}${https}${hosts}` });
    }
  }

  private async listenApi(): Promise<void> {
    rmSync(this.paths.socket, { force: true });
    const server = createApiServer(this);
    // The socket is created private (umask), not made private after the fact.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.paths.socket, () => resolve());
      });
    } finally {
      process.umask(umask);
    }
    chmodSync(this.paths.socket, 0o600);
    writeFileSync(this.paths.pidFile, String(process.pid));
    this.api = server;
  }
}
