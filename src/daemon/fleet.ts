import type { Clock } from "../clock.js";
import type { HealthConfig } from "../config/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { ProbeWait } from "../probe/instance-health.js";
import type { ExitInfo, InstanceSpec, Platform } from "../platform/platform.js";
import { trafficGroups } from "../router/traffic-groups.js";
import type { RouteGroup, Traffic } from "../router/types.js";
import { FaultLog } from "../fault-log.js";
import { resourceFault } from "../resource-error.js";
import { restartDelay, RESTART_RESET_AFTER } from "./backoff.js";
import { assertTransition, isLive, type InstanceState } from "../rollout/instance-state.js";

/** Health events the fleet reacts to (see src/probe/instance-health.ts). */
export type HealthEvent =
  | { type: "ready"; message: string }
  | { type: "unready"; message: string }
  | { type: "startup-failed"; message: string }
  | { type: "liveness-failed"; message: string }
  /** A fresh instance's probe path answered 404/405 too often (src/probe/instance-health.ts); not terminal by itself. */
  | { type: "path-unserved"; message: string; hint: string };

export interface HealthMonitor {
  stop(): void;
  /** Why the instance is not ready yet (the holding probe's last result), "" when ready. */
  detail(): string;
  /** The probe an instance that is not ready waits for, null when ready (or unknown). */
  waiting?(): ProbeWait | null;
}

export type HealthFactory = (spec: InstanceSpec, health: HealthConfig, onEvent: (event: HealthEvent) => void) => HealthMonitor;

export interface Instance {
  readonly id: string;
  readonly releaseId: number;
  spec: InstanceSpec;
  health: HealthConfig;
  state: InstanceState;
  pid: number;
  /** Whether the router may send it traffic once it is ready. */
  inRotation: boolean;
  /** Restart a crash with backoff (true for the serving release). */
  restart: boolean;
  restarts: number;
  /** The last crash or failed probe that made supervision restart it (shown by status). */
  lastFailure: { at: number; reason: string } | null;
  readySince: number | null;
  lastMessage: string;
  /** What to do about its failure, when the failure says (a probe path the app does not serve). */
  hint: string | null;
  monitor: HealthMonitor | null;
  restartTimer: unknown;
}

export interface FleetOptions {
  platform: Platform;
  traffic: Traffic;
  ledger: Ledger;
  clock: Clock;
  createHealth: HealthFactory;
  groupName: () => string;
  drainTimeout: () => number;
  allocatePort: (host: string) => Promise<number>;
  /** Hears of ledger writes that failed on a resource fault (default: stderr, i.e. daemon.log). */
  faults?: FaultLog;
}

export interface InstanceChange {
  instance: Instance;
  from: InstanceState;
  to: InstanceState;
  message: string;
}

/** Stopped instances whose release is still known (the router's last samples of them arrive after they stop). */
const DEPARTED_KEPT = 256;

/**
 * The running instances, their lifecycle, their supervision (restart with
 * backoff on crash or liveness failure) and the routing table derived from
 * them. Strategies act on the fleet; it never decides a rollout by itself.
 */
export class Fleet {
  private readonly instances = new Map<string, Instance>();
  /** Instances that stopped, newest last: their release, for the router samples that name them after they stopped. */
  private readonly gone = new Map<string, number>();
  private split: { canaryRelease: number; weight: number } | null = null;
  private readonly listeners = new Set<(change: InstanceChange) => void>();
  private readonly unsubscribeExit: () => void;
  private readonly faults: FaultLog;

  constructor(private readonly o: FleetOptions) {
    this.faults = o.faults ?? new FaultLog();
    this.unsubscribeExit = o.platform.onExit((id, info) => this.onExit(id, info));
  }

  list(): Instance[] {
    return [...this.instances.values()];
  }

  get(id: string): Instance | undefined {
    return this.instances.get(id);
  }

  ofRelease(releaseId: number): Instance[] {
    return this.list().filter((i) => i.releaseId === releaseId);
  }

  onChange(listener: (change: InstanceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves on the next instance change, or after `ms`. */
  waitForChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const clock = this.o.clock;
      const off = this.onChange(() => done());
      const timer = clock.setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      function done() {
        off();
        clock.clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  /** Starts a new instance of a release. It joins rotation when ready if `inRotation`. */
  async launch(
    spec: Omit<InstanceSpec, "port" | "env"> & { env: Record<string, string> },
    health: HealthConfig,
    opts: { inRotation: boolean; restart: boolean },
  ): Promise<Instance> {
    const port = await this.o.allocatePort(spec.host);
    const full: InstanceSpec = { ...spec, port, env: instanceEnv(spec, port) };
    const inst: Instance = {
      id: spec.id,
      releaseId: spec.releaseId,
      spec: full,
      health,
      state: "starting",
      pid: 0,
      inRotation: opts.inRotation,
      restart: opts.restart,
      restarts: 0,
      lastFailure: null,
      readySince: null,
      lastMessage: "starting",
      hint: null,
      monitor: null,
      restartTimer: null,
    };
    this.instances.set(inst.id, inst);
    await this.spawn(inst);
    return inst;
  }

  /** Takes over an instance that survived a daemon crash (already running). */
  adopt(spec: InstanceSpec, pid: number, health: HealthConfig, opts: { inRotation: boolean; restart: boolean }): Instance {
    const inst: Instance = {
      id: spec.id,
      releaseId: spec.releaseId,
      spec,
      health,
      state: "starting",
      pid,
      inRotation: opts.inRotation,
      restart: opts.restart,
      restarts: 0,
      lastFailure: null,
      readySince: null,
      lastMessage: "adopted",
      hint: null,
      monitor: null,
      restartTimer: null,
    };
    this.instances.set(inst.id, inst);
    const row = { id: spec.id, releaseId: spec.releaseId, pid, state: "starting", specJson: JSON.stringify(spec) };
    this.record(`record adopted ${spec.id}`, () => this.o.ledger.upsertInstance({ ...row, startedAt: this.o.clock.now() }));
    this.emit(inst, "starting", "starting", `adopted pid ${pid} on port ${spec.port}`);
    inst.monitor = this.o.createHealth(spec, health, (e) => this.onHealth(inst, e));
    return inst;
  }

  private async spawn(inst: Instance): Promise<void> {
    // Recorded before it starts (pid 0 = not known yet): a daemon killed between the two
    // leaves a row, so the next daemon finds the instance (by log file or label) and stops it.
    const row = { id: inst.id, releaseId: inst.releaseId, state: "starting", specJson: JSON.stringify(inst.spec) };
    this.o.ledger.upsertInstance({ ...row, pid: 0, startedAt: this.o.clock.now() });
    let running;
    try {
      running = await this.o.platform.start(inst.spec);
    } catch (err) {
      this.record(`record ${inst.id} stopped`, () => this.o.ledger.setInstanceState(inst.id, "stopped"));
      throw err;
    }
    inst.pid = running.pid;
    // Unrecorded, the pid stays 0 and a next daemon finds the instance by its log file.
    this.record(`record pid ${running.pid} of ${inst.id}`, () =>
      this.o.ledger.upsertInstance({ ...row, pid: running.pid, startedAt: running.startedAt }),
    );
    this.emit(inst, inst.state, "starting", `started pid ${running.pid} on port ${inst.spec.port}`);
    if (inst.state !== "starting") return;
    inst.monitor = this.o.createHealth(inst.spec, inst.health, (e) => this.onHealth(inst, e));
  }

  /** The most telling health line of an instance: the probe holding it back, else its last event. */
  describe(inst: Instance): string {
    return inst.monitor?.detail() || inst.lastMessage;
  }

  /** What a not-ready instance waits for (its holding probe), null when nothing is known. */
  waiting(inst: Instance): ProbeWait | null {
    return inst.monitor?.waiting?.() ?? null;
  }

  /** A line about an instance in the ledger (and the deploy's stream) that changes nothing. */
  note(inst: Instance, type: string, message: string, data?: Record<string, unknown>): void {
    this.o.ledger.record({ type, releaseId: inst.releaseId, instanceId: inst.id, message: `${inst.id} ${message}`, data });
  }

  /**
   * From now on a crash or failed liveness of the release's instances is
   * restarted with backoff (the serving release, and a new release once a
   * rollout has moved all traffic to it). Before that, a new instance that
   * fails fails its rollout instead.
   */
  supervise(releaseId: number): void {
    for (const i of this.ofRelease(releaseId)) i.restart = true;
  }

  /** Takes an instance out of rotation, drains it, stops it. */
  async retire(inst: Instance, reason: string): Promise<void> {
    if (inst.state === "stopping" || inst.state === "stopped") return;
    inst.inRotation = false;
    this.syncRoutes();
    this.transition(inst, "stopping", reason);
    this.clearRestart(inst);
    await this.o.traffic.drain(inst.id, this.o.drainTimeout());
    inst.monitor?.stop();
    inst.monitor = null;
    const outcome = await this.o.platform.stop(inst.id);
    const { signal, timeout } = inst.spec.shutdown;
    this.transition(
      inst,
      "stopped",
      outcome?.killed ? `killed after app.shutdown.timeout (${timeout / 1000}s): it did not exit on ${signal}` : "stopped",
    );
    this.instances.delete(inst.id);
    this.departed(inst.id, inst.releaseId);
  }

  /** Stops every instance (daemon shutdown). */
  async retireAll(reason: string): Promise<void> {
    await Promise.all(this.list().map((i) => this.retire(i, reason)));
  }

  close(): void {
    this.unsubscribeExit();
    for (const i of this.list()) {
      i.monitor?.stop();
      this.clearRestart(i);
    }
  }

  /**
   * The routing table. Normally one group with every ready instance in
   * rotation; during a canary, a "canary" group (listed first, for cookie
   * stickiness) with the canary release's share, and a "stable" group.
   */
  routes(): RouteGroup[] {
    const serving = this.list().filter((i) => i.inRotation && i.state === "ready");
    const target = (i: Instance) => ({ id: i.id, host: i.spec.host, port: i.spec.port });
    const split = this.split;
    if (!split) return trafficGroups(this.o.groupName(), serving.map(target), null);
    const canary = serving.filter((i) => i.releaseId === split.canaryRelease).map(target);
    const stable = serving.filter((i) => i.releaseId !== split.canaryRelease).map(target);
    return trafficGroups(this.o.groupName(), stable, { weight: split.weight, targets: canary });
  }

  /** Splits traffic between a canary release (weight in percent) and the rest; null ends the split. */
  setSplit(split: { canaryRelease: number; weight: number } | null): void {
    this.split = split;
    this.syncRoutes();
  }

  /** Atomically moves all traffic to one release: its instances join rotation, every other leaves (and drains). */
  switchTo(releaseId: number): void {
    for (const i of this.list()) i.inRotation = i.releaseId === releaseId;
    this.split = null;
    this.syncRoutes();
  }

  /** Ready instances of a release (for a preview listener). */
  readyTargets(releaseId: number): { id: string; host: string; port: number }[] {
    return this.ofRelease(releaseId)
      .filter((i) => i.state === "ready")
      .map((i) => ({ id: i.id, host: i.spec.host, port: i.spec.port }));
  }

  /** The release an instance belongs to (router samples name instances), also shortly after it stopped. */
  releaseOf(instanceId: string): number | undefined {
    return this.instances.get(instanceId)?.releaseId ?? this.gone.get(instanceId);
  }

  /** Remembers the release of an instance that stopped (here, or by recovery outside the fleet) for `releaseOf`. */
  departed(instanceId: string, releaseId: number): void {
    this.gone.delete(instanceId);
    this.gone.set(instanceId, releaseId);
    if (this.gone.size > DEPARTED_KEPT) this.gone.delete(this.gone.keys().next().value!);
  }

  syncRoutes(): void {
    this.o.traffic.setGroups(this.routes());
  }

  private onHealth(inst: Instance, e: HealthEvent): void {
    if (!isLive(inst.state)) return;
    inst.lastMessage = e.message;
    switch (e.type) {
      case "ready":
        if (inst.state === "ready") return;
        inst.readySince = this.o.clock.now();
        this.transition(inst, "ready", e.message || "ready");
        this.syncRoutes();
        return;
      case "unready":
        if (inst.state !== "ready") return;
        inst.readySince = null;
        this.transition(inst, "unready", e.message);
        this.syncRoutes();
        return;
      case "path-unserved":
        // A rollout's new instance fails at once; a supervised one keeps its probes' own thresholds.
        if (inst.restart) return this.note(inst, "probe", e.message);
        inst.hint = e.hint;
        this.fail(inst, e.message, true);
        return;
      case "startup-failed":
      case "liveness-failed":
        this.fail(inst, `${e.type === "startup-failed" ? "startup" : "liveness"} probe failed: ${e.message}`, true);
        return;
    }
  }

  private onExit(id: string, info: ExitInfo): void {
    const inst = this.instances.get(id);
    if (!inst || !isLive(inst.state)) return;
    const how = info.signal ? `killed by ${info.signal}` : `exited with code ${info.code}`;
    this.fail(inst, `process ${how}`, false);
  }

  /** A crash or failed probe: restart with backoff when supervised, else mark failed. */
  private fail(inst: Instance, reason: string, stillRunning: boolean): void {
    inst.monitor?.stop();
    inst.monitor = null;
    const wasReadyLong = inst.readySince !== null && this.o.clock.now() - inst.readySince > RESTART_RESET_AFTER;
    if (wasReadyLong) inst.restarts = 0;
    inst.readySince = null;
    inst.lastMessage = reason;
    if (!inst.restart) {
      this.transition(inst, "failed", reason);
      this.syncRoutes();
      if (stillRunning) void this.o.platform.stop(inst.id);
      return;
    }
    inst.lastFailure = { at: this.o.clock.now(), reason };
    const delay = restartDelay(inst.restarts);
    this.transition(inst, "restarting", `${reason}; restarting in ${Math.round(delay / 100) / 10}s`);
    this.syncRoutes();
    const stopped = stillRunning ? this.o.platform.stop(inst.id) : Promise.resolve();
    inst.restartTimer = this.o.clock.setTimeout(() => {
      inst.restartTimer = null;
      void stopped.then(() => this.restartNow(inst));
    }, delay);
  }

  private async restartNow(inst: Instance): Promise<void> {
    if (inst.state !== "restarting") return;
    inst.restarts++;
    inst.hint = null;
    try {
      const port = await this.o.allocatePort(inst.spec.host);
      inst.spec = { ...inst.spec, port, env: { ...inst.spec.env, PORT: String(port) } };
      this.transition(inst, "starting", `restart #${inst.restarts}`);
      await this.spawn(inst);
    } catch (err) {
      // Out of disk (the instance could not be recorded): try again later, with backoff.
      if (resourceFault(err) && (inst.state as InstanceState) === "starting")
        this.fail(inst, `restart failed: ${(err as Error).message}`, false);
      else this.transition(inst, "failed", `restart failed: ${(err as Error).message}`);
    }
  }

  private clearRestart(inst: Instance): void {
    if (inst.restartTimer) this.o.clock.clearTimeout(inst.restartTimer as never);
    inst.restartTimer = null;
  }

  private transition(inst: Instance, to: InstanceState, message: string): void {
    const from = inst.state;
    assertTransition(inst.id, from, to);
    inst.state = to;
    this.record(`record ${inst.id} ${to}`, () => this.o.ledger.setInstanceState(inst.id, to));
    this.emit(inst, from, to, message);
  }

  /**
   * A ledger write from an event handler (exit, health, timer): on a resource
   * fault (disk full) it is logged and the in-memory state moves on anyway;
   * the instance is real either way, and a next daemon checks every recorded
   * instance against the process table. Other errors are thrown.
   */
  private record(what: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      if (!resourceFault(err)) throw err;
      this.faults.report(`ledger: ${what}`, err);
    }
  }

  private emit(inst: Instance, from: InstanceState, to: InstanceState, message: string): void {
    this.o.ledger.record({
      type: "instance",
      releaseId: inst.releaseId,
      instanceId: inst.id,
      message: from === to ? `${inst.id} ${message}` : `${inst.id} ${from} -> ${to}: ${message}`,
      data: { from, to, pid: inst.pid, port: inst.spec.port },
    });
    for (const l of this.listeners) l({ instance: inst, from, to, message });
  }
}

function instanceEnv(spec: Omit<InstanceSpec, "port" | "env"> & { env: Record<string, string> }, port: number): Record<string, string> {
  return {
    ...spec.env,
    PORT: String(port),
    SLIPWAY_RELEASE: String(spec.releaseId),
    SLIPWAY_VERSION: spec.version,
    SLIPWAY_INSTANCE: spec.id,
  };
}
