/**
 * An in-process Slipway daemon for strategy and rollout tests, on a fake
 * clock. The real `Rollouts` (deploy, retry, rollback, control, abort,
 * recover), and through it `converge`, `runCanary`, `runBlueGreen`,
 * `RolloutControl`, `strategyRuntime`, `awaitReleaseHealthy` and `Journal`,
 * the real `Fleet`, `DeployLock`, `TrafficRecorder` (the analysis metrics
 * source: tests feed it requests by release) and a real `Ledger(":memory:")`,
 * wired as src/daemon/daemon.ts wires them. Snapshots are real copies of a
 * tiny app in a temp dir.
 *
 * Fakes stand in for what needs a process or a socket:
 * - `MemoryPlatform`: an instance is a record; `crash(id)` is an exit the
 *   test causes; `tail` returns one line naming the instance.
 * - fake health (the fleet's `createHealth`): each instance follows a
 *   `Behaviour` (by default ready 1 s of fake time after it starts); a test
 *   can also send events itself (`health(id, event)`).
 * - `RecordingTraffic`: every routing table sent, every drain asked for.
 * - preview listeners (blue-green): recorded with the groups they were given, never bound.
 *
 * Not modelled: real processes and ports (ports come from a counter), probes
 * (HTTP/exec checks; `InstanceHealth` is not used), the router process and
 * `RouterLink` (ordering, the hold while adopting), Swarm (the
 * the swarm workload is a stub that throws), docker images, hooks and checks
 * (configs here have none: they would run real commands), webhooks, the
 * recovery of a killed daemon (`recoverState`), and disk faults.
 *
 * @example
 * const h = await RolloutHarness.create();
 * const v1 = h.deploy(h.config({ replicas: 2 }), "v1");
 * await h.until(() => v1.settled, "v1 live");
 * await h.close();
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrafficRecorder } from "../../src/analysis/traffic-recorder.js";
import { parseConfig } from "../../src/config/load.js";
import type { StrategyType } from "../../src/config/types.js";
import { Fleet, type HealthEvent, type HealthFactory, type Instance } from "../../src/daemon/fleet.js";
import { DeployLock } from "../../src/daemon/lock.js";
import { statePaths } from "../../src/daemon/paths.js";
import type { ListenerHandle } from "../../src/daemon/router-link.js";
import { ReleaseImages } from "../../src/daemon/release-images.js";
import { Rollouts, type RolloutResult } from "../../src/daemon/rollouts.js";
import { FleetWorkload } from "../../src/daemon/fleet-workload.js";
import { Workloads } from "../../src/daemon/workloads.js";
import type { Workload } from "../../src/rollout/workload.js";
import { Ledger } from "../../src/ledger/ledger.js";
import type { LedgerEvent, Release, Rollout } from "../../src/ledger/types.js";
import type { MultiPlatform } from "../../src/platform/multi-platform.js";
import type { ExitInfo, InstanceSpec, Platform, RunningInstance } from "../../src/platform/platform.js";
import type { RouteGroup, Traffic } from "../../src/router/types.js";
import { FakeClock, settle } from "./fake-clock.js";

/** What a fake instance does once started, in fake time. */
export type Behaviour =
  | { kind: "ready"; after: number }
  | { kind: "startup-failed"; after: number }
  | { kind: "crash"; after: number }
  /** Never becomes ready, never fails: only a deadline ends the wait. */
  | { kind: "silent" };

/** How long a fake instance takes to become ready by default. */
export const READY_AFTER = 1_000;

/** A platform whose instances only exist in memory; the test causes their exits. */
export class MemoryPlatform implements Platform {
  readonly name = "memory";
  /** Every start, in order (a restart starts the same id again). */
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  /** The instances started and not stopped or crashed since. */
  readonly live = new Map<string, RunningInstance>();
  private readonly exits = new Set<(id: string, info: ExitInfo) => void>();
  private pid = 1000;

  constructor(private readonly clock: FakeClock) {}

  start(spec: InstanceSpec): Promise<RunningInstance> {
    this.started.push(spec.id);
    const pid = ++this.pid;
    const running = { id: spec.id, releaseId: spec.releaseId, pid, host: spec.host, port: spec.port, startedAt: this.clock.now() };
    this.live.set(spec.id, running);
    return Promise.resolve(running);
  }

  stop(id: string): Promise<void> {
    if (this.live.delete(id)) this.stopped.push(id);
    return Promise.resolve();
  }

  onExit(listener: (id: string, info: ExitInfo) => void): () => void {
    this.exits.add(listener);
    return () => this.exits.delete(listener);
  }

  /** The instance exits by itself with `code`. */
  crash(id: string, code = 1): void {
    this.live.delete(id);
    for (const l of this.exits) l(id, { code, signal: null });
  }

  adopt(): Promise<null> {
    return Promise.resolve(null);
  }

  running(): RunningInstance[] {
    return [...this.live.values()];
  }

  tail(id: string): Promise<string[]> {
    return Promise.resolve([`log of ${id}: listening`, `log of ${id}: boom`]);
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.live.keys()]) await this.stop(id);
  }
}

/** The routing tables the fleet sent and the drains it asked for. */
export class RecordingTraffic implements Traffic {
  readonly tables: RouteGroup[][] = [];
  readonly drains: string[] = [];

  setGroups(groups: RouteGroup[]): void {
    this.tables.push(structuredClone(groups));
  }

  drain(targetId: string): Promise<void> {
    this.drains.push(targetId);
    return Promise.resolve();
  }

  /** The table in force: group name → weight and instance ids. */
  get current(): Record<string, { weight: number; targets: string[] }> {
    const last = this.tables.at(-1) ?? [];
    return Object.fromEntries(last.map((g) => [g.name, { weight: g.weight, targets: g.targets.map((t) => t.id).sort() }]));
  }
}

/** A blue-green preview listener as the harness saw it. */
export interface FakePreview {
  key: string;
  url: string;
  tables: RouteGroup[][];
  closed: boolean;
}

/** A deploy or rollback in flight: settles once, never rejects (the error is kept). */
export interface Run {
  readonly promise: Promise<void>;
  /** The rollout it started (null until then, and for a switch-back, which has no start event). */
  readonly rolloutId: number | null;
  readonly settled: boolean;
  readonly result: RolloutResult | undefined;
  readonly error: (Error & { code?: string; details?: string[]; hint?: string }) | undefined;
}

export interface ConfigOptions {
  replicas?: number;
  strategy?: StrategyType;
  /** YAML lines under `strategy:` (indented two spaces), e.g. a `canary:` block. */
  strategyYaml?: string;
  progressDeadline?: string;
}

/** A runnable Slipway daemon without processes or sockets; see the file header. */
export class RolloutHarness {
  readonly clock = new FakeClock(1_000_000);
  readonly ledger: Ledger;
  readonly platform: MemoryPlatform;
  readonly traffic = new RecordingTraffic();
  readonly recorder: TrafficRecorder;
  readonly fleet: Fleet;
  readonly workload: FleetWorkload;
  readonly rollouts: Rollouts;
  readonly previews: FakePreview[] = [];
  /** Each rollout's control phases in order, repeats folded (what `slipway status` showed). */
  private readonly phaseLog = new Map<number, string[]>();
  /** Calls to `prepareRouter`, by app name. */
  readonly routerPrepared: string[] = [];
  /** The latest health callback of each instance (a restart gets a new one). */
  private readonly healthOf = new Map<string, (e: HealthEvent) => void>();
  private closed = false;
  private behaviour: (spec: InstanceSpec) => Behaviour = () => ({ kind: "ready", after: READY_AFTER });

  private constructor(readonly dir: string) {
    this.ledger = Ledger.open(":memory:", this.clock);
    this.platform = new MemoryPlatform(this.clock);
    this.recorder = new TrafficRecorder({ clock: this.clock });
    let port = 20_000;
    const createHealth: HealthFactory = (spec, _health, onEvent) => {
      this.healthOf.set(spec.id, onEvent);
      const b = this.behaviour(spec);
      const timer =
        b.kind === "silent"
          ? null
          : this.clock.setTimeout(() => {
              if (b.kind === "ready") onEvent({ type: "ready", message: "readiness passed" });
              else if (b.kind === "startup-failed") onEvent({ type: "startup-failed", message: "GET /health -> 500" });
              else this.platform.crash(spec.id);
            }, b.after);
      return {
        stop: () => {
          if (timer) this.clock.clearTimeout(timer);
        },
        detail: () => (b.kind === "silent" ? "GET /health -> 503" : ""),
      };
    };
    this.fleet = new Fleet({
      platform: this.platform,
      traffic: this.traffic,
      ledger: this.ledger,
      clock: this.clock,
      createHealth,
      groupName: () => "shop",
      drainTimeout: () => 1_000,
      allocatePort: () => Promise.resolve(++port),
    });
    const swarm = new Proxy({} as Workload, {
      get: (_t, name) => {
        if (name === "runningReleases" || name === "instances") return () => [];
        if (name === "releaseOf") return () => undefined;
        throw new Error(`the rollout harness does not model swarm or kubernetes (${String(name)})`);
      },
    });
    this.workload = new FleetWorkload({
      fleet: this.fleet,
      ledger: this.ledger,
      clock: this.clock,
      processLogs: () => ({ tail: async function* () {} }),
      tail: (id, lines) => this.platform.tail(id).then((l) => l.slice(-lines)),
    });
    this.rollouts = new Rollouts({
      paths: statePaths(dir),
      ledger: this.ledger,
      workloads: new Workloads({ fleet: this.workload, swarm, kubernetes: swarm }, this.ledger),
      clock: this.clock,
      lock: new DeployLock(this.clock),
      recorder: this.recorder,
      // Process releases never reach the Docker client (prepare and prune return at once).
      images: new ReleaseImages({} as MultiPlatform, this.ledger),
      prepareRouter: (config) => {
        this.routerPrepared.push(config.name);
        return Promise.resolve();
      },
      publicUrl: () => "http://127.0.0.1:8080",
      openListener: (key, listen) => Promise.resolve(this.openPreview(key, listen)),
      onStateChange: () => this.notePhase(),
    });
  }

  /** A harness with its own temp dir (the app to snapshot and `.slipway/`). */
  static create(): Promise<RolloutHarness> {
    const dir = mkdtempSync(join(tmpdir(), "slipway-rollout-harness-"));
    mkdirSync(join(dir, "app"));
    writeFileSync(join(dir, "app", "server.js"), "// the harness never runs it\n");
    return Promise.resolve(new RolloutHarness(dir));
  }

  /** Sets how instances started from now on behave (by spec: id, releaseId, version). */
  behave(fn: (spec: InstanceSpec) => Behaviour): void {
    this.behaviour = fn;
  }

  /** Sends a health event to an instance, as its probes would. */
  health(id: string, event: HealthEvent): void {
    const send = this.healthOf.get(id);
    if (!send) throw new Error(`no instance ${id} has started`);
    send(event);
  }

  /** A slipway.yaml text for the harness app (process platform, no hooks or checks). */
  config(o: ConfigOptions = {}): string {
    return [
      "name: shop",
      "listen: 127.0.0.1:8080",
      "app:",
      "  command: node server.js",
      `  replicas: ${o.replicas ?? 2}`,
      "strategy:",
      `  type: ${o.strategy ?? "rolling"}`,
      "  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 0s }",
      ...(o.strategyYaml ? [o.strategyYaml] : []),
      "drain: { timeout: 1s }",
      `progressDeadline: ${o.progressDeadline ?? "20s"}`,
      "",
    ].join("\n");
  }

  /** Starts `slipway deploy --version <version>`; resolves once the rollout has started (or the deploy ended first). */
  async deploy(configText: string, version: string, o: { strategy?: StrategyType } = {}): Promise<Run> {
    const { config } = parseConfig(configText, { file: "slipway.yaml", root: join(this.dir, "app") });
    return this.start(() =>
      this.rollouts.deploy({
        config,
        configText,
        configFile: "slipway.yaml",
        version,
        holder: "test",
        ...(o.strategy && { strategy: o.strategy }),
      }),
    );
  }

  /** Starts `slipway rollback [--to id]`. */
  rollback(to?: number): Promise<Run> {
    return this.start(() => this.rollouts.rollback({ holder: "test", ...(to !== undefined && { to }) }));
  }

  /** Deploys and runs the clock until the rollout ends; throws when it did not succeed. */
  async deployed(configText: string, version: string, o: { strategy?: StrategyType } = {}): Promise<RolloutResult> {
    const run = await this.deploy(configText, version, o);
    await this.finish(run, `the deploy of ${version} to end`);
    if (!run.result) throw run.error ?? new Error(`the deploy of ${version} did not succeed`);
    return run.result;
  }

  /**
   * Advances the fake clock in `step`s until `done()` holds; fails after
   * `limit` ms of fake time. Between steps real I/O (snapshots) may finish.
   */
  async until(done: () => boolean, what: string, o: { step?: number; limit?: number } = {}): Promise<void> {
    const end = this.clock.now() + (o.limit ?? 600_000);
    for (;;) {
      for (let turn = 0; turn < 5 && !done(); turn++) await settle();
      if (done()) return;
      if (this.clock.now() >= end) throw new Error(`still waiting for ${what} after ${o.limit ?? 600_000} ms of fake time`);
      await this.clock.advance(o.step ?? 100);
    }
  }

  /**
   * Runs the clock until the rollout's end is in the ledger, then waits (in
   * real time, the clock standing still) for what follows it: pruning
   * snapshots is real I/O, and fake time must not drift meanwhile.
   */
  async finish(run: Run, what = "the rollout to end"): Promise<void> {
    const ended = () => run.settled || (run.rolloutId !== null && this.ledger.rollout(run.rolloutId)?.status !== "running");
    await this.until(ended, what);
    await run.promise;
  }

  /** The running rollout's phase, or null between rollouts. */
  get phase(): string | null {
    return this.rollouts.active?.control.state.phase ?? null;
  }

  /** The phases rollout `id` went through, in order. */
  phases(id: number): string[] {
    return this.phaseLog.get(id) ?? [];
  }

  release(id: number): Release {
    const r = this.ledger.release(id);
    if (!r) throw new Error(`no release ${id}`);
    return r;
  }

  rollout(id: number): Rollout {
    const r = this.ledger.rollout(id);
    if (!r) throw new Error(`no rollout ${id}`);
    return r;
  }

  /** Rollout events (`rollout.*`, ledger type) of one rollout, in order. */
  rolloutEvents(rolloutId: number): string[] {
    return this.events(rolloutId)
      .filter((e) => e.type.startsWith("rollout."))
      .map((e) => e.type);
  }

  events(rolloutId?: number): LedgerEvent[] {
    return this.ledger.events({ ...(rolloutId !== undefined && { rolloutId }), limit: 100_000 });
  }

  /** Instance ids of a release in the fleet, with their state. */
  instances(releaseId: number): Record<string, Instance["state"]> {
    return Object.fromEntries(this.fleet.ofRelease(releaseId).map((i) => [i.id, i.state]));
  }

  /** Stops what is left (timers, instances) and removes the temp dir; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rollouts.abort();
    await this.fleet.retireAll("test over").catch(() => undefined);
    this.fleet.close();
    this.ledger.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async start(begin: () => Promise<RolloutResult>): Promise<Run> {
    const run = { settled: false, rolloutId: null, result: undefined, error: undefined } as {
      settled: boolean;
      rolloutId: number | null;
      result: RolloutResult | undefined;
      error: Run["error"];
      promise: Promise<void>;
    };
    let started = () => {};
    const startedOrDone = new Promise<void>((resolve) => (started = resolve));
    const off = this.ledger.onRecord((e) => {
      if (e.type !== "rollout.started") return;
      run.rolloutId = e.rolloutId;
      started();
    });
    run.promise = begin().then(
      (result) => {
        run.result = result;
        run.settled = true;
      },
      (err: Run["error"]) => {
        run.error = err;
        run.settled = true;
      },
    );
    await Promise.race([startedOrDone, run.promise]);
    off();
    return run;
  }

  private notePhase(): void {
    const active = this.rollouts.active;
    if (!active) return;
    const log = this.phaseLog.get(active.id) ?? [];
    const phase = active.control.state.phase;
    if (log.at(-1) !== phase) log.push(phase);
    this.phaseLog.set(active.id, log);
  }

  private openPreview(key: string, listen: { host: string; port: number }): ListenerHandle {
    const preview: FakePreview = { key, url: `http://${listen.host}:${listen.port}`, tables: [], closed: false };
    this.previews.push(preview);
    return {
      url: preview.url,
      setGroups: (groups) => preview.tables.push(structuredClone(groups)),
      close: () => {
        preview.closed = true;
        return Promise.resolve();
      },
    };
  }
}
