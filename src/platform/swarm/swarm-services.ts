import type Dockerode from "dockerode";
import { systemClock, type Clock } from "../../clock.js";
import { SlipwayError } from "../../errors.js";
import { engineMessage, hasStatus, ignoreStatus } from "../docker/engine-error.js";
import { LABEL, labelFilter } from "../docker/labels.js";
import { checkPortBase, nextLane } from "./port-lanes.js";
import { serviceLogLines } from "./service-logs.js";
import { PORT_BASE_LABEL, serviceName, serviceSpec, type ServiceOptions } from "./service-spec.js";
import { ensureSwarmManager } from "./swarm-manager.js";
import { nodeAddress, swarmTask, type EngineTask, type SwarmTask } from "./swarm-task.js";
import {
  ACTIVE_UPDATE_STATES,
  FINAL_UPDATE_STATES,
  updateMark,
  updateProgress,
  type EngineService,
  type UpdateMark,
  type UpdateProgress,
} from "./update-progress.js";

/** How often an update's status and tasks are read while following it. */
export const UPDATE_POLL_MS = 500;
/** How long an update (or rollback) may take before following it gives up. */
export const UPDATE_TIMEOUT_MS = 10 * 60_000;

export interface SwarmServicesOptions {
  docker: Dockerode;
  clock?: Clock;
  pollMs?: number;
}

/** How to follow an update. */
export interface FollowOptions {
  onProgress?: (progress: UpdateProgress) => void;
  /** Give up after this long (ms): a PLATFORM error, the update goes on in Swarm. */
  timeout?: number;
  signal?: AbortSignal;
}

/** A created service. */
export interface DeployedService {
  id: string;
  name: string;
  /** First port of the lane its tasks run in (task port = laneBase + slot). */
  laneBase: number;
}

/** A Slipway service found on the swarm (recovery, status). */
export interface ServiceSummary {
  id: string;
  name: string;
  app: string;
  releaseId: number;
  version: string;
  replicas: number;
  laneBase: number;
  updateState: string | undefined;
}

/**
 * Releases as Swarm services on host networking: each task listens on its
 * own port (lane base + slot, see port-lanes.ts), Swarm replaces tasks
 * itself on update (start-first, monitor, roll back on failure) and Slipway
 * follows, and the router reaches every task through `tasks()`.
 *
 * @example
 * const swarm = new SwarmServices({ docker: await connectDocker() });
 * await swarm.ensureSwarm();
 * await swarm.deployService({ app: "hello", releaseId: 3, version: "v3", image: "hello:release-3", replicas: 2, env: {}, portBase: 41000 });
 * await swarm.tasks("slipway-hello-r3"); // [{ slot: 1, address: "127.0.0.1", port: 41001, ready: true, ... }, ...]
 */
export class SwarmServices {
  #docker: Dockerode;
  #clock: Clock;
  #pollMs: number;
  #nodeAddresses = new Map<string, string>();

  constructor(options: SwarmServicesOptions) {
    this.#docker = options.docker;
    this.#clock = options.clock ?? systemClock;
    this.#pollMs = options.pollMs ?? UPDATE_POLL_MS;
  }

  /** Throw a PLATFORM error ("this Docker engine is not a swarm manager; run docker swarm init") unless it is one. */
  ensureSwarm(): Promise<void> {
    return ensureSwarmManager(this.#docker);
  }

  /** Create the service of a release; resolves once Swarm accepted it (tasks start after). */
  async deployService(options: ServiceOptions): Promise<DeployedService> {
    checkPortBase(options.portBase, options.replicas);
    const spec = serviceSpec(options, options.portBase);
    const name = spec.Name ?? serviceName(options.app, options.releaseId);
    const created = await this.#docker.createService(spec).catch((err: unknown) => {
      const exists = hasStatus(err, 409);
      throw platformError(
        exists ? `swarm service ${name} exists already` : `cannot create swarm service ${name}: ${engineMessage(err)}`,
        err,
      );
    });
    return { id: created.id, name, laneBase: options.portBase };
  }

  /**
   * Native rolling update of service `name` to a new release: its tasks move
   * to the other port lane, Swarm replaces them per the update config, and
   * this follows until the update rests. Resolves with the final progress:
   * `completed`, or `rollback_completed` when Swarm rolled back (check `state`).
   */
  async updateService(name: string, options: ServiceOptions, follow: FollowOptions = {}): Promise<UpdateProgress> {
    checkPortBase(options.portBase, options.replicas);
    return this.#change(
      name,
      (service) => {
        refuseWhileUpdating(service);
        return { spec: serviceSpec({ ...options, name }, nextLane(options.portBase, laneOf(service))), query: {} };
      },
      follow,
    );
  }

  /** Swarm's own rollback to the service's previous spec (`docker service rollback`); resolves when it rests. */
  async rollbackService(name: string, follow: FollowOptions = {}): Promise<UpdateProgress> {
    return this.#change(
      name,
      (service) => {
        refuseWhileUpdating(service);
        if (!service.PreviousSpec)
          throw new SlipwayError("INVALID_STATE", `swarm service ${name} has no previous spec to roll back to`, {
            hint: "Swarm keeps none after an automatic rollback: update to the release wanted instead",
          });
        return { spec: service.Spec ?? {}, query: { rollback: "previous" } };
      },
      follow,
    );
  }

  /** Set the replica count (canary promotion); tasks keep their spec and lane. Does not wait. */
  async scaleService(name: string, replicas: number): Promise<void> {
    await this.#update(name, (service) => ({ spec: { ...service.Spec, Mode: { Replicated: { Replicas: replicas } } }, query: {} }));
  }

  /**
   * Follow the update (or rollback) asked for after `mark`, yielding each
   * change of state or tasks; returns the final progress.
   */
  async *watchUpdate(
    name: string,
    mark: UpdateMark,
    follow: Omit<FollowOptions, "onProgress"> = {},
  ): AsyncGenerator<UpdateProgress, UpdateProgress> {
    const deadline = this.#clock.now() + (follow.timeout ?? UPDATE_TIMEOUT_MS);
    let last = "";
    for (;;) {
      const progress = updateProgress(await this.#inspect(name), await this.tasks(name), mark);
      const key = JSON.stringify([progress.state, progress.message, progress.tasks.map((task) => [task.id, task.state])]);
      if (key !== last) yield progress;
      last = key;
      if (FINAL_UPDATE_STATES.has(progress.state)) return progress;
      if (follow.signal?.aborted) throw platformError(`stopped following the update of ${name} (${progress.state})`, follow.signal.reason);
      if (this.#clock.now() > deadline) {
        throw platformError(
          `the update of swarm service ${name} did not finish in time (${progress.state}, ${progress.updated}/${progress.desired})`,
        );
      }
      await this.#clock.sleep(this.#pollMs, follow.signal);
    }
  }

  /** The service's tasks meant to run, with the address and port the router reaches each on; [] when there is no such service. */
  async tasks(name: string): Promise<SwarmTask[]> {
    const tasks = (await this.#docker.listTasks({ filters: { service: [name], "desired-state": ["running"] } }).catch((err: unknown) => {
      if (hasStatus(err, 404)) return [];
      throw platformError(`cannot list the tasks of ${name}: ${engineMessage(err)}`, err);
    })) as EngineTask[];
    const unknown = tasks.some((task) => task.NodeID && !this.#nodeAddresses.has(task.NodeID));
    if (unknown) {
      const nodes = (await this.#docker.listNodes().catch(rethrow("cannot list swarm nodes"))) as ({ ID: string } & Parameters<
        typeof nodeAddress
      >[0])[];
      for (const node of nodes) this.#nodeAddresses.set(node.ID, nodeAddress(node));
    }
    return tasks.map((task) => swarmTask(task, (node) => this.#nodeAddresses.get(node) ?? "")).sort((a, b) => a.slot - b.slot);
  }

  /** Slipway's services on the swarm, of one app or all. */
  async services(app?: string): Promise<ServiceSummary[]> {
    const services = await this.#docker
      .listServices({ filters: labelFilter({ [LABEL.app]: app }) })
      .catch(rethrow("cannot list swarm services"));
    return services.map((service) => {
      const labels = service.Spec?.Labels ?? {};
      return {
        id: service.ID,
        name: service.Spec?.Name ?? service.ID,
        app: labels[LABEL.app] ?? "",
        releaseId: Number(labels[LABEL.release] ?? 0),
        version: labels[LABEL.version] ?? "",
        replicas: service.Spec?.Mode?.Replicated?.Replicas ?? 0,
        laneBase: laneOf(service) ?? 0,
        updateState: service.UpdateStatus?.State,
      };
    });
  }

  /** Remove the service (idempotent); with `wait`, resolves once its containers are gone. */
  async removeService(name: string, options: { wait?: boolean; timeout?: number } = {}): Promise<void> {
    await this.#docker
      .getService(name)
      .remove()
      .catch(ignoreStatus())
      .catch(rethrow(`cannot remove swarm service ${name}`));
    if (!options.wait) return;
    const deadline = this.#clock.now() + (options.timeout ?? 60_000);
    const filters = { label: [`com.docker.swarm.service.name=${name}`] };
    while ((await this.#docker.listContainers({ all: true, filters })).length > 0) {
      if (this.#clock.now() > deadline) throw platformError(`the containers of swarm service ${name} are still there`);
      await this.#clock.sleep(this.#pollMs);
    }
  }

  /** The last `tail` log lines of every task of the service, oldest first. */
  async logs(name: string, tail: number): Promise<string[]> {
    if (tail <= 0) return [];
    const output = await this.#docker
      .getService(name)
      .logs({ stdout: true, stderr: true, follow: false, tail, timestamps: true, details: true })
      .catch(rethrow(`cannot read the logs of ${name}`));
    return serviceLogLines(output as unknown as Buffer | string, tail);
  }

  async #change(name: string, build: BuildUpdate, follow: FollowOptions): Promise<UpdateProgress> {
    const service = await this.#update(name, build);
    const updates = this.watchUpdate(service.Spec?.Name ?? service.ID, updateMark(service), follow);
    for (;;) {
      const next = await updates.next();
      if (next.done) return next.value;
      follow.onProgress?.(next.value);
    }
  }

  /**
   * Inspects the service, builds the update from what it finds and sends it
   * with that version. Swarm answers "update out of sequence" when the
   * service changed in between (an update or rollback it was finishing bumps
   * the version); then it is read again and the update rebuilt, as
   * `docker service update` users do by hand. Resolves with the service as
   * read just before the update that was accepted.
   */
  async #update(name: string, build: BuildUpdate): Promise<EngineService> {
    for (let attempt = 1; ; attempt++) {
      const service = await this.#inspect(name);
      const { spec, query } = build(service);
      try {
        await this.#docker.getService(service.ID).update({ _query: { version: service.Version?.Index ?? 0, ...query }, _body: spec });
        return service;
      } catch (err) {
        if (attempt < OUT_OF_SEQUENCE_TRIES && /update out of sequence/i.test(engineMessage(err))) continue;
        rethrow(`cannot update swarm service ${name}`)(err);
      }
    }
  }

  async #inspect(name: string): Promise<EngineService> {
    return (await this.#docker
      .getService(name)
      .inspect()
      .catch((err: unknown) => {
        if (hasStatus(err, 404)) throw new SlipwayError("NOT_FOUND", `no swarm service ${name}`, { cause: err });
        throw platformError(`cannot inspect swarm service ${name}: ${engineMessage(err)}`, err);
      })) as EngineService;
  }
}

/** What an update sends, built from the service as just read. */
type BuildUpdate = (service: EngineService) => { spec: Dockerode.ServiceSpec; query: Record<string, string> };

/** How many times an update is rebuilt and sent again after "update out of sequence". */
const OUT_OF_SEQUENCE_TRIES = 5;

function laneOf(service: EngineService): number | undefined {
  const base = service.Spec?.Labels?.[PORT_BASE_LABEL];
  return base === undefined ? undefined : Number(base);
}

function refuseWhileUpdating(service: EngineService): void {
  const state = service.UpdateStatus?.State;
  if (state && ACTIVE_UPDATE_STATES.has(state)) {
    throw new SlipwayError("INVALID_STATE", `swarm service ${service.Spec?.Name ?? service.ID} is ${state.replace("_", " ")}`, {
      hint: "wait for it to finish: a second update could start a task on a port its slot still holds",
    });
  }
}

function platformError(message: string, cause?: unknown): SlipwayError {
  return new SlipwayError("PLATFORM", message, { cause });
}

function rethrow(what: string): (err: unknown) => never {
  return (err) => {
    throw platformError(`${what}: ${engineMessage(err)}`, err);
  };
}
