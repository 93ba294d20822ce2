import type Dockerode from "dockerode";
import { DEFAULT_DOCKER_INIT } from "../../config/defaults.js";
import { LABEL } from "../docker/labels.js";
import { volumeMounts, type SharedVolume } from "../docker/shared-volumes.js";
import { laneWidth, portTemplate } from "./port-lanes.js";

/** The label holding the first port of a spec's lane: a task listens on it + its slot. */
export const PORT_BASE_LABEL = "slipway.port-base";

/** Milliseconds → the nanoseconds Swarm wants. */
const NS_PER_MS = 1_000_000;

/** Docker healthcheck of each task, times in milliseconds. Swarm counts a task running only once it is healthy. */
export interface ServiceHealth {
  /** `["CMD", ...]` or `["CMD-SHELL", "..."]`; `$PORT` is the task's own port. */
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  retries: number;
}

export interface ServiceResources {
  /** CPU limit, in CPUs (0.5 = half a CPU). */
  cpus?: number;
  memoryBytes?: number;
  /** Reservations: the scheduler only places a task on a node with this much free. */
  reserveCpus?: number;
  reserveMemoryBytes?: number;
}

/** Swarm's `update_config` (and `rollback_config`), times in milliseconds. */
export interface ServiceUpdateConfig {
  /** Tasks replaced at once: Slipway's maxSurge. */
  parallelism: number;
  /** How long a new task must keep running before it counts as updated. */
  monitor: number;
  delay?: number;
  order?: "start-first" | "stop-first";
  failureAction?: "rollback" | "pause" | "continue";
  maxFailureRatio?: number;
}

/** Swarm's defaults overridden the Slipway way: start-first, roll back on failure. */
export const DEFAULT_UPDATE_CONFIG: Required<ServiceUpdateConfig> = {
  parallelism: 1,
  monitor: 5000,
  delay: 0,
  order: "start-first",
  failureAction: "rollback",
  maxFailureRatio: 0,
};

/**
 * A rollback goes on when one of its tasks fails (Swarm's default, pause,
 * would leave two releases serving): every failure path ends on the last good release.
 */
export const ROLLBACK_FAILURE_ACTION = "continue";

/** Delay before Swarm restarts a task that exited. */
export const RESTART_DELAY_MS = 1000;

/** One release as a Swarm service. */
export interface ServiceOptions {
  app: string;
  releaseId: number;
  version: string;
  /** Image reference present on every node that may run a task (no registry: constrain to the manager). */
  image: string;
  replicas: number;
  /** The app's environment; PORT, SLIPWAY_SLOT and SLIPWAY_TASK_ID are set per task by Swarm. */
  env: Record<string, string>;
  /** First port of the service's lanes, ending in zeros (see port-lanes.ts): tasks get base + slot. */
  portBase: number;
  /** Replaces the image's CMD when non-empty. */
  command?: string[];
  health?: ServiceHealth;
  resources?: ServiceResources;
  /** Placement constraints, e.g. "node.role==manager", "node.labels.zone==a". */
  constraints?: string[];
  /** Extra labels on the service and its containers; Slipway's own win. */
  labels?: Record<string, string>;
  updateConfig?: Partial<ServiceUpdateConfig>;
  /** Stop signal and grace period (ms) before SIGKILL. */
  shutdown?: { signal: string; timeout: number };
  /** `docker.init`: the engine's init as PID 1 of each task, the app its child (engine API 1.37+); default true. */
  init?: boolean;
  /** `app.shared`: named volumes mounted in every task (see docker/shared-volumes.ts; local to each node). */
  volumes?: SharedVolume[];
  /** Service name (default `serviceName(app, releaseId)`). */
  name?: string;
}

/**
 * The service name of a release (blue-green, canary), or of the app's one
 * rolling service when `releaseId` is omitted.
 *
 * @example
 * serviceName("hello", 3); // "slipway-hello-r3"
 * serviceName("hello"); // "slipway-hello"
 */
export function serviceName(app: string, releaseId?: number): string {
  return `slipway-${app}${releaseId === undefined ? "" : `-r${releaseId}`}`.replace(/[^a-zA-Z0-9-]/g, "-");
}

/**
 * A healthcheck that GETs `path` on the task's own port with the image's node
 * binary (no curl or wget needed).
 *
 * @example
 * httpHealthTest("/health"); // ["CMD", "node", "-e", 'fetch("http://127.0.0.1:"+process.env.PORT+"/health")...']
 */
export function httpHealthTest(path: string): string[] {
  const url = `"http://127.0.0.1:"+process.env.PORT+${JSON.stringify(path)}`;
  return ["CMD", "node", "-e", `fetch(${url}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`];
}

/**
 * Swarm `Parallelism` from Slipway's maxSurge: how many tasks a start-first
 * update adds at once (at least 1).
 *
 * @example
 * parallelismFromSurge({ percent: 25 }, 8); // 2
 */
export function parallelismFromSurge(maxSurge: { count: number } | { percent: number }, replicas: number): number {
  const surge = "count" in maxSurge ? maxSurge.count : Math.ceil((maxSurge.percent * replicas) / 100);
  return Math.max(1, surge);
}

/**
 * The engine's service spec for a release whose tasks run in the lane
 * starting at `laneBase` (pure).
 *
 * @example
 * await docker.createService(serviceSpec(options, options.portBase));
 */
export function serviceSpec(options: ServiceOptions, laneBase: number): Dockerode.ServiceSpec {
  const labels = {
    ...options.labels,
    [LABEL.app]: options.app,
    [LABEL.release]: String(options.releaseId),
    [LABEL.version]: options.version,
  };
  const env = {
    ...options.env,
    PORT: portTemplate(laneBase, laneWidth(options.portBase)),
    SLIPWAY_SLOT: "{{.Task.Slot}}",
    SLIPWAY_TASK_ID: "{{.Task.ID}}",
  };
  const update = { ...DEFAULT_UPDATE_CONFIG, ...options.updateConfig };
  return {
    Name: options.name ?? serviceName(options.app, options.releaseId),
    Labels: { ...labels, [PORT_BASE_LABEL]: String(laneBase) },
    TaskTemplate: {
      ContainerSpec: {
        Image: options.image,
        ...(options.command?.length ? { Args: options.command } : {}),
        Init: options.init ?? DEFAULT_DOCKER_INIT,
        Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
        Labels: { ...labels, [PORT_BASE_LABEL]: String(laneBase) },
        ...(options.shutdown ? { StopSignal: options.shutdown.signal, StopGracePeriod: options.shutdown.timeout * NS_PER_MS } : {}),
        ...(options.health ? { HealthCheck: healthConfig(options.health) } : {}),
        ...(options.volumes?.length ? { Mounts: volumeMounts(options.app, options.volumes) } : {}),
      },
      Resources: resources(options.resources ?? {}),
      RestartPolicy: { Condition: "any", Delay: RESTART_DELAY_MS * NS_PER_MS, MaxAttempts: 0 },
      Placement: { Constraints: options.constraints ?? [] },
      Networks: [{ Target: "host" }],
    },
    Mode: { Replicated: { Replicas: options.replicas } },
    UpdateConfig: updateConfig(update, update.failureAction),
    RollbackConfig: updateConfig(update, ROLLBACK_FAILURE_ACTION),
  };
}

function healthConfig(health: ServiceHealth): Dockerode.HealthConfig {
  return {
    Test: health.test,
    Interval: health.interval * NS_PER_MS,
    Timeout: health.timeout * NS_PER_MS,
    StartPeriod: health.startPeriod * NS_PER_MS,
    Retries: health.retries,
  };
}

function resources(r: ServiceResources): Dockerode.ResourceRequirements {
  const nano = (cpus: number | undefined) => (cpus === undefined ? {} : { NanoCPUs: Math.round(cpus * 1e9) });
  const memory = (bytes: number | undefined) => (bytes === undefined ? {} : { MemoryBytes: bytes });
  return {
    Limits: { ...nano(r.cpus), ...memory(r.memoryBytes) },
    Reservations: { ...nano(r.reserveCpus), ...memory(r.reserveMemoryBytes) },
  };
}

function updateConfig(update: Required<ServiceUpdateConfig>, failureAction: string): Dockerode.UpdateConfig {
  return {
    Parallelism: update.parallelism,
    Delay: update.delay * NS_PER_MS,
    FailureAction: failureAction,
    Monitor: update.monitor * NS_PER_MS,
    MaxFailureRatio: update.maxFailureRatio,
    Order: update.order,
  };
}
