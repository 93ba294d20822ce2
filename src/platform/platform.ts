/**
 * The Platform seam: starts, stops and lists app instances and keeps their
 * logs. The process platform (src/platform/process/) is the embedded default;
 * Docker, Swarm and Kubernetes implement the same interface later.
 */
export interface InstanceSpec {
  /** Unique instance id, e.g. "r3-2" (release 3, instance 2). */
  id: string;
  releaseId: number;
  version: string;
  /** The argv as configured: `["sh", "-c", line]` for a string command. */
  command: string[];
  /** Names whose `$NAME` / `${NAME}` references in `command` are replaced by their `env` value at start (a list command); absent: none. */
  expand?: string[];
  /** Working directory: the release snapshot. */
  cwd: string;
  /** Full environment for the instance, PORT/SLIPWAY_* included by the caller. */
  env: Record<string, string>;
  host: string;
  port: number;
  shutdown: { signal: NodeJS.Signals; timeout: number };
  /** Which platform runs it (default "process"). */
  platform?: "process" | "docker";
  /** Log rotation of a process instance (`logs` in slipway.yaml); default: the platform's. */
  logs?: { maxSize: number; maxFiles: number };
  /** Container settings, for the docker platform. `command` then overrides the image's CMD when non-empty. */
  container?: ContainerSettings;
}

export interface ContainerSettings {
  /** Image reference, e.g. "hello:v2" (built by Slipway) or "registry/app:1.4". */
  image: string;
  app: string;
  version: string;
  cpus?: number;
  memoryBytes?: number;
  restartPolicy?: "no" | "on-failure" | "always" | "unless-stopped";
  /** Docker network; "host" is the only kind on machines without a bridge. */
  network: string;
  /** `docker.init`: the engine's init (docker-init) as PID 1, the app its child; absent: true (a spec recorded before the key). */
  init?: boolean;
  labels?: Record<string, string>;
  /** `app.shared`: paths relative to the image's WORKDIR, each a named volume (see docker/shared-volumes.ts). */
  shared?: string[];
}

export interface RunningInstance {
  id: string;
  releaseId: number;
  pid: number;
  host: string;
  port: number;
  startedAt: number;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** How a stop ended: `killed` when the instance ignored its stop signal until the shutdown timeout. */
export interface StopOutcome {
  killed: boolean;
}

/** What the ledger remembers of an instance, used to adopt it after a daemon crash. */
export interface InstanceRecord {
  spec: InstanceSpec;
  pid: number;
  startedAt: number;
}

export interface Platform {
  readonly name: string;
  /** Start an instance; resolves once the process is spawned (not when healthy). */
  start(spec: InstanceSpec): Promise<RunningInstance>;
  /**
   * Graceful stop: configured signal, SIGKILL after the shutdown timeout.
   * Resolves when gone, saying whether it had to be killed (nothing for an
   * unknown id). Idempotent.
   */
  stop(id: string): Promise<StopOutcome | void>;
  /** Called once per instance exit that was not requested via stop(). Returns an unsubscribe function. */
  onExit(listener: (id: string, info: ExitInfo) => void): () => void;
  /**
   * Take over an instance started by an earlier daemon that was killed. Returns the
   * running instance if it is still alive and is the one recorded, else null.
   */
  adopt(record: InstanceRecord): Promise<RunningInstance | null>;
  /** The instances this platform started or adopted that still run (an exited one is gone from the list). */
  running(): RunningInstance[];
  /** Last `lines` log lines of an instance (stdout and stderr interleaved). */
  tail(id: string, lines: number): Promise<string[]>;
  /** Stop every instance this platform runs (daemon shutdown). */
  stopAll(): Promise<void>;
}

/**
 * The logs of one release's instances, each line as `<instance id> | <line>`.
 * A request for logs gets one (`slipway logs`), so it may keep what it showed.
 *
 * @example
 * for await (const line of logs.tail(50)) out.write(`${line}\n`);
 * await logs.follow?.((line) => out.write(`${line}\n`), signal);
 */
export interface ReleaseLogs {
  /** The last `lines` lines of each instance, one instance after the other. */
  tail(lines: number): AsyncIterable<string>;
  /** New lines (and those of instances started later) until `signal` aborts; absent where logs cannot be followed. */
  follow?(onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
}

/**
 * A container's HEALTHCHECK status ("none" when its image has none).
 * "timed-out" is Docker's "unhealthy" where every failure of the streak was
 * the check running past its timeout (no verdict from the app: on a loaded
 * host, starting the check's process in the container alone can take that long).
 */
export type ContainerHealth = "healthy" | "unhealthy" | "timed-out" | "starting" | "none";

/** A platform that runs containers: it also reports their image's HEALTHCHECK (the docker platform). */
export interface ContainerPlatform extends Platform {
  containerHealth(id: string): Promise<ContainerHealth>;
}
