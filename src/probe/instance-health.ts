import type { HealthConfig, ProbeCheck, ProbeSpec } from "../config/types.js";
import { systemClock, type Clock } from "../clock.js";
import { DEFAULT_PROBE_FAILURE_THRESHOLD } from "../config/defaults.js";
import { runCheck, type CheckResult, type ProbeTarget } from "./check.js";
import { Prober, type ProbeTransition } from "./prober.js";

/**
 * Without a readiness probe an instance is ready once its port accepts a TCP
 * connection: polled every 100 ms until it does once.
 */
export const PORT_READINESS: Readonly<ProbeSpec> = Object.freeze<ProbeSpec>({
  check: { kind: "tcp" },
  initialDelay: 0,
  interval: 100,
  timeout: 1000,
  successThreshold: 1,
  failureThreshold: Number.POSITIVE_INFINITY,
});

/** Which probe an event comes from; `port` is the implicit TCP readiness used without a readiness probe. */
export type ProbeName = "startup" | "readiness" | "liveness" | "port";

export type HealthEventType = "started" | "startup-failed" | "ready" | "unready" | "liveness-failed" | "path-unserved";

/**
 * A change in an instance's health. `startup-failed` and `liveness-failed` are
 * terminal: all probes stop and the instance should be replaced.
 * `path-unserved` is not: the startup or readiness probe of an instance that
 * was never ready got 404/405 on its path enough times in a row (see
 * `unservedLimit`); probing goes on, and the owner decides (a rollout fails
 * the instance at once instead of waiting out its budget).
 */
export interface HealthEvent {
  type: HealthEventType;
  probe: ProbeName;
  /** The probe's last check, prefixed with its name, e.g. "readiness: GET /health -> 503". */
  message: string;
  /** What to do about it (path-unserved): the path and the config key to fix. */
  hint?: string;
  at: number;
}

/** What an instance that is not ready yet waits for: the probe holding it back and how it is doing. */
export interface ProbeWait {
  probe: ProbeName;
  /** The probe's last result, e.g. "GET /health -> 404"; "" before its first check finished. */
  result: string;
  /** Consecutive failed checks. */
  failures: number;
  /** When the startup probe runs out of failures (initialDelay + interval × failureThreshold from start); null for the others. */
  deadline: number | null;
}

/**
 * How many 404/405 answers in a row on a fresh instance mean the path is not
 * served: the readiness probe's failureThreshold; for the startup probe, whose
 * failureThreshold is a boot budget (a booting app refuses connections, it does
 * not answer 404), the readiness probe's failureThreshold (default 3), at most
 * its own.
 */
export function unservedLimit(name: "startup" | "readiness", health: HealthConfig): number {
  const readiness = health.readiness?.failureThreshold ?? DEFAULT_PROBE_FAILURE_THRESHOLD;
  if (name === "readiness") return readiness;
  return Math.min(readiness, health.startup?.failureThreshold ?? readiness);
}

export interface ProbeStatus {
  state: Prober["state"];
  successes: number;
  failures: number;
  message: string;
}

export interface HealthStatus {
  started: boolean;
  ready: boolean;
  /** The terminal event, if startup or liveness failed. */
  failure: HealthEvent | undefined;
  /** Why the instance is not ready yet (last message of the probe holding it back), "" when ready. */
  detail: string;
  probes: Partial<Record<ProbeName, ProbeStatus>>;
}

export interface InstanceHealthOptions {
  health: HealthConfig;
  target: ProbeTarget;
  clock?: Clock;
  /** Replaces the real network check; for tests. */
  runCheck?: (check: ProbeCheck, target: ProbeTarget, timeoutMs: number) => Promise<CheckResult>;
}

/**
 * Startup, readiness and liveness for one instance, composed per Kubernetes:
 * the startup probe runs first and holds the others back; once it passes (or
 * when there is none) readiness and liveness run. Without a readiness probe
 * the instance is ready as soon as its port accepts a TCP connection, and
 * stays ready. Without a liveness probe it never fails liveness.
 *
 * @example
 * const health = new InstanceHealth({ health: config.health, target: { host, port, cwd, env } });
 * health.onEvent((e) => e.type === "ready" && router.add(instance));
 * health.start();
 */
export class InstanceHealth {
  #clock: Clock;
  #listeners = new Set<(event: HealthEvent) => void>();
  #probers = new Map<ProbeName, Prober>();
  #started = false;
  #ready = false;
  #failure: HealthEvent | undefined;
  #everReady = false;
  #startedAt = 0;

  constructor(options: InstanceHealthOptions) {
    this.#clock = options.clock ?? systemClock;
    const check = options.runCheck ?? runCheck;
    const add = (name: ProbeName, spec: ProbeSpec | undefined) => {
      if (!spec) return;
      const prober = new Prober({
        spec,
        clock: this.#clock,
        check: (timeoutMs) => check(spec.check, options.target, timeoutMs),
      });
      prober.onTransition((t) => this.#onTransition(name, t));
      if ((name === "startup" || name === "readiness") && spec.check.kind === "http") {
        const limit = unservedLimit(name, options.health);
        const path = spec.check.path;
        prober.onCheck(() => this.#onCheck(name, prober, limit, path));
      }
      this.#probers.set(name, prober);
    };
    const { startup, readiness, liveness } = options.health;
    add("startup", startup);
    add("readiness", readiness);
    add("port", readiness ? undefined : PORT_READINESS);
    add("liveness", liveness);
  }

  /** Listen for health events. Listeners must not throw. Returns an unsubscribe function. */
  onEvent(listener: (event: HealthEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Begin probing. Call once; after `stop()` an InstanceHealth is not restarted. */
  start(): void {
    this.#startedAt = this.#clock.now();
    const startup = this.#probers.get("startup");
    if (startup) startup.start();
    else this.#markStarted();
  }

  /** Stop every probe. */
  stop(): void {
    for (const prober of this.#probers.values()) prober.stop();
  }

  get started(): boolean {
    return this.#started;
  }

  get ready(): boolean {
    return this.#ready;
  }

  status(): HealthStatus {
    const probes: HealthStatus["probes"] = {};
    for (const [name, p] of this.#probers) {
      probes[name] = { state: p.state, successes: p.successes, failures: p.failures, message: p.lastMessage };
    }
    return {
      started: this.#started,
      ready: this.#ready,
      failure: this.#failure,
      detail: this.#ready ? "" : this.#holdingBack(),
      probes,
    };
  }

  /** The probe an instance that is not ready waits for, with its last result; null when ready or failed. */
  waiting(): ProbeWait | null {
    if (this.#ready || this.#failure) return null;
    const probe: ProbeName = !this.#started ? "startup" : this.#probers.has("readiness") ? "readiness" : "port";
    const prober = this.#probers.get(probe);
    if (!prober) return null;
    const { initialDelay, interval, failureThreshold } = prober.spec;
    const deadline = probe === "startup" ? this.#startedAt + initialDelay + interval * failureThreshold : null;
    return { probe, result: prober.lastMessage, failures: prober.failures, deadline };
  }

  #holdingBack(): string {
    if (this.#failure) return this.#failure.message;
    const name: ProbeName = !this.#started ? "startup" : this.#probers.has("readiness") ? "readiness" : "port";
    const message = this.#probers.get(name)?.lastMessage;
    return message ? `${name}: ${message}` : `${name}: no check finished yet`;
  }

  /** Readiness and liveness begin; as in Kubernetes their initialDelay counts from the instance's start. */
  #markStarted(): void {
    this.#started = true;
    const elapsed = this.#clock.now() - this.#startedAt;
    for (const name of ["readiness", "port", "liveness"] as const) {
      const prober = this.#probers.get(name);
      prober?.start(Math.max(0, prober.spec.initialDelay - elapsed));
    }
  }

  /** A fresh instance's startup or readiness path answered 404/405 `limit` times in a row: said once per streak. */
  #onCheck(name: "startup" | "readiness", prober: Prober, limit: number, path: string): void {
    if (this.#everReady || this.#failure || prober.unserved !== limit) return;
    this.#emit({
      type: "path-unserved",
      probe: name,
      message: `${name} path not served: ${prober.lastMessage}, ${limit} time${limit === 1 ? "" : "s"} in a row`,
      hint: `the app answers ${path} with 404/405: set health.${name}.http in slipway.yaml to a path it serves, or add the route (an app that mounts its routes late: raise health.readiness.failureThreshold)`,
      at: this.#clock.now(),
    });
  }

  #onTransition(name: ProbeName, { from, to, message }: ProbeTransition): void {
    const emit = (type: HealthEventType) => this.#emit({ type, probe: name, message: `${name}: ${message}`, at: this.#clock.now() });
    switch (name) {
      case "startup":
        this.#probers.get("startup")?.stop();
        if (to === "healthy") {
          emit("started");
          this.#markStarted();
        } else {
          this.#fail(emit, "startup-failed");
        }
        return;
      case "port":
        if (to !== "healthy") return;
        this.#probers.get("port")?.stop();
        this.#ready = true;
        this.#everReady = true;
        emit("ready");
        return;
      case "readiness":
        if (to === "healthy") {
          this.#ready = true;
          this.#everReady = true;
          emit("ready");
        } else if (from === "healthy") {
          this.#ready = false;
          emit("unready");
        }
        return;
      case "liveness":
        if (to === "unhealthy") this.#fail(emit, "liveness-failed");
        return;
    }
  }

  #fail(emit: (type: HealthEventType) => void, type: HealthEventType): void {
    this.stop();
    this.#ready = false;
    emit(type);
  }

  #emit(event: HealthEvent): void {
    if (event.type === "startup-failed" || event.type === "liveness-failed") this.#failure = event;
    for (const listener of [...this.#listeners]) listener(event);
  }
}
