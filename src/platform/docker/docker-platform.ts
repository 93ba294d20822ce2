import type Dockerode from "dockerode";
import { systemClock, type Clock } from "../../clock.js";
import { SlipwayError } from "../../errors.js";
import type {
  ContainerHealth,
  ContainerPlatform,
  ExitInfo,
  InstanceRecord,
  InstanceSpec,
  RunningInstance,
  StopOutcome,
} from "../platform.js";
import { containerTail } from "./container-logs.js";
import { containerName, containerOptions, requireContainer, stopSeconds, type ContainerInstanceSpec } from "./container-spec.js";
import { engineMessage, hasStatus, ignoreStatus } from "./engine-error.js";
import { LABEL, identityOf, labelFilter, type ContainerIdentity } from "./labels.js";
import { imageWorkdir, sharedVolumes } from "./shared-volumes.js";

export interface DockerPlatformOptions {
  docker: Dockerode;
  clock?: Clock;
}

/** Log lines of an instance kept in memory when stop() removes its container, so tail() still answers. */
export const KEPT_LOG_LINES = 200;
/** How many removed instances keep their last lines. */
export const KEPT_LOG_INSTANCES = 50;
/** Pause before asking again when the engine is unreachable or Docker is restarting a container. */
export const REWATCH_MS = 500;

/** One Slipway container on the engine, for diagnostics. */
export interface ContainerSummary extends ContainerIdentity {
  containerId: string;
  name: string;
  image: string;
  /** "running", "exited", "created", ... */
  state: string;
  /** Docker's human status: "Up 3 minutes", "Exited (3) 2 seconds ago". */
  status: string;
}

interface Instance {
  spec: ContainerInstanceSpec;
  container: Dockerode.Container;
  running: RunningInstance;
  /** Settles when the container has stopped for good (not while Docker restarts it). */
  exited: Promise<ExitInfo>;
  exit?: ExitInfo;
  /** Set by stop(); an exit while stopping is not reported to onExit listeners. */
  stopping?: Promise<StopOutcome>;
  removed: boolean;
}

/**
 * Runs instances as Docker containers named `slipway-<app>-<id>` and labelled
 * with app, release, version and instance. Containers are detached from the
 * daemon by nature; a new daemon takes them over with `adopt()` (found by
 * label). An exited container is kept, so its exit code and logs can be read,
 * until stop() removes it.
 *
 * @example
 * const platform = new DockerPlatform({ docker: await connectDocker() });
 * platform.onExit((id, { code }) => supervisor.crashed(id, code));
 * const instance = await platform.start({ ...spec, container: { image: "hello:v2", app: "hello", version: "v2", network: "host" } });
 * await platform.stop(instance.id);
 */
export class DockerPlatform implements ContainerPlatform {
  readonly name = "docker";
  #docker: Dockerode;
  #clock: Clock;
  #instances = new Map<string, Instance>();
  #listeners = new Set<(id: string, info: ExitInfo) => void>();
  #keptLogs = new Map<string, string[]>();

  constructor(options: DockerPlatformOptions) {
    this.#docker = options.docker;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Create and start the instance's container (replacing a stale one of the
   * same name); resolves once it runs, with `pid` = its main process on the
   * host. Rejects with a PLATFORM error when the image is missing or the
   * engine refuses.
   */
  async start(spec: InstanceSpec): Promise<RunningInstance> {
    const withContainer = requireContainer(spec);
    const current = this.#instances.get(spec.id);
    if (current && !current.exit) throw new SlipwayError("PLATFORM", `instance ${spec.id} is already running`);
    if (current) await this.stop(spec.id);
    const { app, image, shared = [] } = withContainer.container;
    const name = containerName(app, spec.id);
    const refused = (err: unknown): never => {
      if (hasStatus(err, 404)) {
        throw new SlipwayError("PLATFORM", `image ${image} not found`, {
          hint: "build it (app.build) or pull it first; Slipway pulls app.image before a deploy",
          cause: err,
        });
      }
      throw new SlipwayError("PLATFORM", `cannot create container ${name}: ${engineMessage(err)}`, { cause: err });
    };
    // Shared paths are relative to the image's WORKDIR (docker/shared-volumes.ts).
    const volumes = shared.length > 0 ? sharedVolumes(app, shared, await imageWorkdir(this.#docker, image).catch(refused)) : [];
    await this.#docker.getContainer(name).remove({ force: true }).catch(ignoreStatus(409));
    const container = await this.#docker.createContainer(containerOptions(withContainer, volumes)).catch(refused);
    let pid: number;
    try {
      await container.start();
      pid = (await container.inspect()).State.Pid;
    } catch (err) {
      await container.remove({ force: true }).catch(() => {});
      throw new SlipwayError("PLATFORM", `cannot start container ${name}: ${engineMessage(err)}`, { cause: err });
    }
    return this.#track(withContainer, container, pid, this.#clock.now());
  }

  /**
   * `docker stop` with the spec's shutdown timeout (rounded up to whole
   * seconds; Docker sends the image's StopSignal, set from
   * `spec.shutdown.signal`, then SIGKILL), then remove the container. Resolves
   * when it is gone. Idempotent; unknown ids resolve at once. The exit is not
   * reported to onExit.
   */
  stop(id: string): Promise<StopOutcome | void> {
    const instance = this.#instances.get(id);
    if (!instance) return Promise.resolve();
    instance.stopping ??= this.#terminate(instance).finally(() => {
      if (this.#instances.get(id) === instance) this.#instances.delete(id);
    });
    return instance.stopping;
  }

  onExit(listener: (id: string, info: ExitInfo) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Take over the container of `record` after a daemon crash: found by the
   * labels `slipway.app` and `slipway.instance`, adopted when it runs and its
   * release and version labels match the record, else removed (null).
   */
  async adopt(record: InstanceRecord): Promise<RunningInstance | null> {
    const { spec } = record;
    const existing = this.#instances.get(spec.id);
    if (existing && !existing.exit) return existing.running;
    if (!spec.container) return null;
    const filters = labelFilter({ [LABEL.app]: spec.container.app, [LABEL.instance]: spec.id });
    let adopted: Dockerode.ContainerInspectInfo | undefined;
    for (const found of await this.#docker.listContainers({ all: true, filters })) {
      const container = this.#docker.getContainer(found.Id);
      const identity = identityOf(found.Labels);
      const info = adopted ? undefined : await container.inspect().catch(ignoreStatus());
      if (info?.State.Running && identity?.release === spec.releaseId && identity.version === spec.version) adopted = info;
      else await container.remove({ force: true }).catch(ignoreStatus(409));
    }
    if (!adopted) return null;
    return this.#track(requireContainer(spec), this.#docker.getContainer(adopted.Id), adopted.State.Pid, record.startedAt);
  }

  /** Last `lines` lines of the container's stdout and stderr; after stop() the last lines kept in memory; [] if unknown. */
  async tail(id: string, lines: number): Promise<string[]> {
    if (lines <= 0) return [];
    const instance = this.#instances.get(id);
    if (instance && !instance.removed) {
      try {
        return await containerTail(instance.container, lines);
      } catch (err) {
        if (!hasStatus(err, 404)) throw err;
      }
    }
    return (this.#keptLogs.get(id) ?? []).slice(-lines);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#instances.keys()].map((id) => this.stop(id)));
  }

  running(): RunningInstance[] {
    return [...this.#instances.values()].filter((instance) => !instance.exit).map((instance) => instance.running);
  }

  /** Every Slipway container on the engine (of `app` when given), running or not, whoever started it. */
  async list(app?: string): Promise<ContainerSummary[]> {
    const found = await this.#docker.listContainers({ all: true, filters: labelFilter({ [LABEL.app]: app }) });
    return found.flatMap((container) => {
      const identity = identityOf(container.Labels);
      if (!identity) return [];
      const name = (container.Names[0] ?? "").replace(/^\//, "");
      return [{ ...identity, containerId: container.Id, name, image: container.Image, state: container.State, status: container.Status }];
    });
  }

  /** The image HEALTHCHECK's current verdict for an instance this platform runs. */
  async containerHealth(id: string): Promise<ContainerHealth> {
    const instance = this.#instances.get(id);
    if (!instance || instance.removed) throw new SlipwayError("NOT_FOUND", `instance ${id} is not running on the docker platform`);
    return healthOf((await instance.container.inspect()).State.Health);
  }

  #track(spec: ContainerInstanceSpec, container: Dockerode.Container, pid: number, startedAt: number): RunningInstance {
    const running: RunningInstance = { id: spec.id, releaseId: spec.releaseId, pid, host: spec.host, port: spec.port, startedAt };
    const instance: Instance = { spec, container, running, exited: Promise.resolve({ code: null, signal: null }), removed: false };
    instance.exited = this.#watch(instance);
    this.#instances.set(spec.id, instance);
    void instance.exited.then((info) => this.#exited(instance, info));
    return running;
  }

  #exited(instance: Instance, info: ExitInfo): void {
    instance.exit = info;
    if (instance.stopping) return;
    for (const listener of [...this.#listeners]) listener(instance.running.id, info);
  }

  /** Wait for the container to stop for good: not while a restart policy restarts it, not on a dropped connection. */
  async #watch(instance: Instance): Promise<ExitInfo> {
    for (;;) {
      const status = await instance.container.wait({ condition: "not-running" }).then(
        (result: { StatusCode?: number }) => result.StatusCode ?? null,
        () => null,
      );
      if (instance.removed) return { code: status, signal: null };
      let state: Dockerode.ContainerInspectInfo["State"];
      try {
        state = (await instance.container.inspect()).State;
      } catch (err) {
        if (hasStatus(err, 404)) return { code: status, signal: null }; // removed behind our back
        await this.#clock.sleep(REWATCH_MS);
        continue;
      }
      if (state.OOMKilled) return { code: null, signal: "SIGKILL" };
      if (!state.Running && !state.Restarting) return { code: state.ExitCode, signal: null };
      await this.#clock.sleep(REWATCH_MS);
    }
  }

  async #terminate(instance: Instance): Promise<StopOutcome> {
    const { container, spec } = instance;
    let killed = false;
    if (!instance.exit) {
      await container.stop({ t: stopSeconds(spec.shutdown.timeout) }).catch((err: unknown) => {
        if (hasStatus(err, 304, 404)) return;
        throw new SlipwayError("PLATFORM", `cannot stop instance ${spec.id}: ${engineMessage(err)}`, { cause: err });
      });
      // 137 is 128 + SIGKILL: the engine killed it when the timeout passed (the app or its init ignored the signal).
      const state = await container.inspect().then(
        (i) => i.State,
        () => undefined,
      );
      killed = spec.shutdown.signal !== "SIGKILL" && state?.ExitCode === 137 && !state.OOMKilled;
    }
    await this.#keepLogs(instance);
    instance.removed = true;
    await container.remove({ force: true }).catch(ignoreStatus(409));
    await instance.exited;
    return { killed };
  }

  async #keepLogs(instance: Instance): Promise<void> {
    const lines = await containerTail(instance.container, KEPT_LOG_LINES).catch(() => undefined);
    if (!lines) return;
    this.#keptLogs.delete(instance.running.id);
    this.#keptLogs.set(instance.running.id, lines);
    for (const id of this.#keptLogs.keys()) {
      if (this.#keptLogs.size <= KEPT_LOG_INSTANCES) break;
      this.#keptLogs.delete(id);
    }
  }
}

/** Docker's entry for a check that ran past its timeout: exit code -1, "Health check exceeded timeout (1s)". */
const TIMED_OUT = /^Health check exceeded timeout/;

/**
 * A container's HEALTHCHECK verdict from its inspected `State.Health`:
 * "unhealthy" becomes "timed-out" when every failure of the current streak
 * that Docker still lists (its last five checks) ran past its timeout.
 *
 * @example
 * healthOf({ Status: "unhealthy", FailingStreak: 3, Log: [...three timeouts] }); // "timed-out"
 */
export function healthOf(
  health: { Status?: string; FailingStreak?: number; Log?: { ExitCode?: number; Output?: string }[] } | undefined,
): ContainerHealth {
  const status = health?.Status;
  if (status === "unhealthy") {
    const streak = (health?.Log ?? []).slice(-(health?.FailingStreak ?? 0) || undefined);
    if (streak.length > 0 && streak.every((check) => check.ExitCode === -1 && TIMED_OUT.test(check.Output ?? ""))) return "timed-out";
  }
  return status === "healthy" || status === "unhealthy" || status === "starting" ? status : "none";
}
