import type Dockerode from "dockerode";
import { LABEL } from "../docker/labels.js";
import type { SwarmTask } from "./swarm-task.js";

/** The fields of an engine service (GET /services/{id}) Slipway reads. */
export interface EngineService {
  ID: string;
  Version?: { Index?: number };
  Spec?: Dockerode.ServiceSpec;
  PreviousSpec?: Dockerode.ServiceSpec;
  UpdateStatus?: Dockerode.UpdateStatus;
}

/** Swarm's `UpdateStatus.State`, plus `pending`: asked for, not started by the engine yet. */
export type UpdateState = NonNullable<Dockerode.UpdateStatus["State"]> | "pending";

/** States an update rests in: it will not move again by itself. */
export const FINAL_UPDATE_STATES: ReadonlySet<UpdateState> = new Set(["completed", "paused", "rollback_completed", "rollback_paused"]);

/** Swarm is (still) replacing tasks. */
export const ACTIVE_UPDATE_STATES: ReadonlySet<UpdateState> = new Set(["updating", "rollback_started"]);

/** Where an update stands, as Slipway reports it. */
export interface UpdateProgress {
  service: string;
  state: UpdateState;
  /** Swarm's message, e.g. "update rolled back due to failure or early termination of task ..." */
  message: string;
  /** The release the tasks are moving to (the previous one while rolling back). */
  targetRelease: number;
  /** Ready tasks of `targetRelease`. */
  updated: number;
  /** Replicas the service wants. */
  desired: number;
  tasks: SwarmTask[];
}

/** The update status seen before asking for an update, to tell the new one from the last. */
export interface UpdateMark {
  state: string | undefined;
  startedAt: string | undefined;
}

/**
 * The mark of a service's current update status.
 *
 * @example
 * const mark = updateMark(await docker.getService(name).inspect());
 */
export function updateMark(service: EngineService): UpdateMark {
  return { state: service.UpdateStatus?.State, startedAt: service.UpdateStatus?.StartedAt };
}

/**
 * The progress of the update asked for after `mark` (pure): `pending` while
 * the service still shows the status it had before.
 *
 * @example
 * updateProgress(service, tasks, mark); // { state: "updating", updated: 1, desired: 2, targetRelease: 4, ... }
 */
export function updateProgress(service: EngineService, tasks: SwarmTask[], mark: UpdateMark): UpdateProgress {
  const status = service.UpdateStatus;
  const fresh = status !== undefined && (status.StartedAt !== mark.startedAt || status.State !== mark.state);
  const targetRelease = Number(service.Spec?.Labels?.[LABEL.release] ?? 0);
  return {
    service: service.Spec?.Name ?? service.ID,
    state: fresh ? (status.State ?? "pending") : "pending",
    message: fresh ? (status.Message ?? "") : "",
    targetRelease,
    updated: tasks.filter((task) => task.ready && task.releaseId === targetRelease).length,
    desired: service.Spec?.Mode?.Replicated?.Replicas ?? 0,
    tasks,
  };
}

/**
 * One line for logs and the CLI.
 *
 * @example
 * describeProgress(progress); // "slipway-hello: updating, 1/2 tasks on release 4"
 */
export function describeProgress(progress: UpdateProgress): string {
  const message = progress.message ? ` (${progress.message})` : "";
  return `${progress.service}: ${progress.state.replace("_", " ")}, ${progress.updated}/${progress.desired} tasks on release ${progress.targetRelease}${message}`;
}
