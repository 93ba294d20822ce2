import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { systemClock, type Clock } from "../clock.js";
import type { Config, ListenAddress } from "../config/types.js";
import { DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE_BYTES } from "./defaults.js";
import { Ledger } from "../ledger/ledger.js";
import { ProcessPlatform } from "../platform/process/process-platform.js";
import { MultiPlatform } from "../platform/multi-platform.js";
import { ReleaseImages } from "./release-images.js";
import { SwarmRuntime } from "./swarm-runtime.js";
import { withContainerHealth, type ContainerHealthState } from "./container-health.js";
import type { DockerPlatform } from "../platform/docker/docker-platform.js";
import { freePort } from "../platform/process/port.js";
import { InstanceHealth } from "../probe/instance-health.js";
import { Router } from "../router/router.js";
import type { ResponseSample, RouteGroup } from "../router/types.js";
import { TrafficRecorder } from "../analysis/traffic-recorder.js";
import { MetricsExporter } from "../metrics/prometheus.js";
import { createApiServer } from "./api.js";
import { Fleet, type HealthFactory } from "./fleet.js";
import { DeployLock } from "./lock.js";
import { statePaths, type StatePaths } from "./paths.js";
import { recoverState, type RecoveryReport } from "./recovery.js";
import { checkLedger } from "./state-on-disk.js";
import { releaseConfig } from "./release-runtime.js";
import { Rollouts } from "./rollouts.js";
import { daemonStatus, type DaemonStatus } from "./status.js";

/** The cookie that keeps a client on one side of a canary (`canary.stickiness: cookie`). */
export const COHORT_COOKIE = "slipway_cohort";

/** Where to connect for an address the router listens on. */
function connectHost(host: string): string {
  return host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
}

/** How long shutdown waits for an interrupted rollout to unwind. */
const STOP_WAIT_FOR_ROLLOUT = 30_000;

export interface DaemonOptions {
  root: string;
  /** Router address when no release exists yet (from `slipway up`). */
  listen?: ListenAddress;
  clock?: Clock;
  /** Called once everything is stopped (the CLI exits the process). */
  onStopped?: () => void;
}

/**
 * The Slipway daemon of one project: ledger, platform, fleet, router and the
 * control API on `.slipway/daemon.sock`. Runs in the foreground of its own
 * process (`slipway daemon`), started in the background by `slipway up`.
 */
export class Daemon {
  readonly paths: StatePaths;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly platform: MultiPlatform;
  readonly swarm: SwarmRuntime;
  readonly fleet: Fleet;
  readonly lock: DeployLock;
  readonly rollouts: Rollouts;
  recovery: RecoveryReport | null = null;
  /** Settles once the current release is back to full size after a start. */
  recovered: Promise<void> = Promise.resolve();
  private router: Router | null = null;
  readonly recorder: TrafficRecorder;
  private metrics: MetricsExporter | null = null;
  private metricsAt: ListenAddress | null = null;
  private routeOptions: Parameters<Router["configure"]>[0] = { headerRoute: null, stickiness: null };
  private routerAt: ListenAddress | null = null;
  private drainTimeout = 30_000;
  private appName = "app";
  private api: Server | null = null;
  private readonly startedAt: number;
  private stopping: Promise<void> | null = null;
  private readonly onStopped: (() => void) | undefined;

  private constructor(options: DaemonOptions) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.onStopped = options.onStopped;
    this.paths = statePaths(options.root);
    mkdirSync(this.paths.dir, { recursive: true, mode: 0o700 });
    checkLedger(this.paths); // a lost ledger beside snapshots or running instances: refuse, never start afresh
    this.ledger = Ledger.open(this.paths.ledger, this.clock);
    this.recorder = new TrafficRecorder({ clock: this.clock });
    const current = this.ledger.currentRelease();
    const config = current ? releaseConfig(current) : null;
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
        const event = { type: e.type, message: e.message };
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
      };
    };
    this.swarm = new SwarmRuntime(this.platform, this.clock, (groups) => this.router?.setGroups(groups));
    this.fleet = new Fleet({
      platform: this.platform,
      traffic: {
        // On swarm the router follows the service's tasks instead of the fleet.
        setGroups: (groups: RouteGroup[]) => {
          if (!this.swarm.active) this.router?.setGroups(groups);
        },
        drain: (id, timeout) => this.router?.drain(id, timeout) ?? Promise.resolve(),
      },
      ledger: this.ledger,
      clock: this.clock,
      createHealth,
      groupName: () => this.appName,
      drainTimeout: () => this.drainTimeout,
      allocatePort: (host) => freePort(host),
    });
    this.lock = new DeployLock(this.clock);
    this.rollouts = new Rollouts({
      paths: this.paths,
      ledger: this.ledger,
      fleet: this.fleet,
      platform: this.platform,
      clock: this.clock,
      lock: this.lock,
      recorder: this.recorder,
      images: new ReleaseImages(this.platform, this.ledger),
      swarm: this.swarm,
      prepareRouter: (c) => this.prepareRouter(c),
      publicUrl: () => (this.routerAt ? `http://${connectHost(this.routerAt.host)}:${this.routerAt.port}` : ""),
      onStateChange: () => this.updateMetrics(),
    });
    if (config) this.applyConfig(config);
  }

  /** Opens the state, recovers what a previous daemon left, starts the router and the API. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    const current = daemon.ledger.currentRelease();
    const listen = current ? releaseConfig(current).listen : options.listen;
    if (listen) await daemon.bindRouter(listen);
    daemon.recovery = await recoverState(daemon.ledger, daemon.platform, daemon.fleet, daemon.clock.now());
    await daemon.listenApi();
    daemon.recovered = daemon.rollouts.recover();
    return daemon;
  }

  status(): DaemonStatus {
    const status = daemonStatus({
      ledger: this.ledger,
      fleet: this.fleet,
      rollouts: this.rollouts,
      lock: this.lock.info,
      router: this.router ? { listen: this.routerAt!, stats: this.router.stats() } : null,
      recovery: this.recovery,
      pid: process.pid,
      startedAt: this.startedAt,
    });
    if (this.swarm.active) {
      for (const t of this.swarm.tasks) {
        status.instances.push({
          id: `task-${t.id.slice(0, 12)}`,
          release: t.releaseId,
          version: t.version,
          pid: 0,
          port: t.port,
          state: t.ready ? "ready" : t.state,
          inRotation: t.ready,
          restarts: 0,
          health: `swarm task slot ${t.slot}${t.error ? `: ${t.error}` : ""}`,
        });
      }
    }
    return status;
  }

  /** A docker instance's HEALTHCHECK status ("none" when its image has none). */
  private async containerHealth(id: string): Promise<ContainerHealthState> {
    const { platform } = await this.platform.dockerPlatform();
    return (platform as DockerPlatform).containerHealth(id);
  }

  /** Stops every instance gracefully, the router and the API. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.ledger.record({ type: "daemon", message: "daemon stopping: draining and stopping every instance" });
      this.rollouts.abort();
      await this.lock.acquire("slipway down", "shutdown", STOP_WAIT_FOR_ROLLOUT).catch(() => undefined);
      await this.fleet.retireAll("slipway down");
      await this.swarm.down();
      this.fleet.close();
      await this.router?.close();
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
  }

  /** Router address, canary routing options and the metrics listener, as a release's config says. */
  private async prepareRouter(config: Config): Promise<void> {
    this.applyConfig(config);
    await this.bindRouter(config.listen);
    const canary = config.strategy.canary;
    this.routeOptions = {
      name: config.name,
      headerRoute: canary && canary.header !== false ? { header: canary.header } : null,
      stickiness: canary?.stickiness === "cookie" ? { cookie: COHORT_COOKIE } : null,
      responseTimeout: config.router.responseTimeout,
    };
    this.router?.configure(this.routeOptions);
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

  /** One router sample: the analysis recorder and Prometheus, by release. */
  private onSample(s: ResponseSample): void {
    if (!s.target) return;
    const release = this.fleet.releaseOf(s.target);
    if (release === undefined) return;
    this.recorder.record(release, s.status, s.durationMs);
    this.metrics?.observe(release, s.status, s.durationMs);
  }

  private updateMetrics(): void {
    if (!this.metrics) return;
    const weights: Record<string, number> = {};
    const split = this.fleet.currentSplit;
    const current = this.ledger.currentReleaseId();
    if (split) {
      weights[String(split.canaryRelease)] = split.weight;
      if (current !== null && current !== split.canaryRelease) weights[String(current)] = 100 - split.weight;
    } else if (current !== null) weights[String(current)] = 100;
    this.metrics.setWeights(weights);
    const active = this.rollouts.active;
    this.metrics.setRolloutState(
      active ? { release: active.release.id, strategy: active.strategy, phase: active.control.state.phase } : null,
    );
  }

  /** Binds the router to `listen`; on a new address, the old listener closes after the new one is up. */
  private async bindRouter(listen: ListenAddress): Promise<void> {
    if (this.router && this.routerAt?.host === listen.host && this.routerAt.port === listen.port) return;
    const router = new Router({ listen, name: this.appName, onResponse: (s) => this.onSample(s) });
    router.configure(this.routeOptions);
    await router.listen();
    router.setGroups(this.fleet.routes());
    const old = this.router;
    this.router = router;
    this.routerAt = listen;
    this.ledger.record({ type: "router", message: `router listening on http://${listen.host}:${listen.port}` });
    await old?.close();
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
