import { LABEL } from "../docker/labels.js";
import { PORT_BASE_LABEL } from "./service-spec.js";

/** The fields of an engine task (GET /tasks) Slipway reads. */
export interface EngineTask {
  ID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
}

/** One task as the router and the status view see it. */
export interface SwarmTask {
  id: string;
  slot: number;
  /** Swarm's task state: new, pending, preparing, starting, running, failed, shutdown, ... */
  state: string;
  desiredState: string;
  /** Running and, with a healthcheck, healthy (Swarm reports `running` only once healthy): may get traffic. */
  ready: boolean;
  /** Where the router reaches it: its node's address. */
  address: string;
  port: number;
  releaseId: number;
  version: string;
  nodeId: string;
  containerId: string | undefined;
  /** Why it failed, when it did. */
  error: string | undefined;
}

/**
 * An engine task as a `SwarmTask`: the port is its spec's lane base plus its
 * slot, the address its node's (pure).
 *
 * @example
 * swarmTask(task, (node) => "127.0.0.1"); // { id: "w08n...", slot: 1, state: "running", ready: true, port: 42001, ... }
 */
export function swarmTask(task: EngineTask, addressOf: (nodeId: string) => string): SwarmTask {
  const labels = task.Spec?.ContainerSpec?.Labels ?? {};
  const slot = task.Slot ?? 0;
  const state = task.Status?.State ?? "new";
  const desiredState = task.DesiredState ?? "running";
  const nodeId = task.NodeID ?? "";
  return {
    id: task.ID,
    slot,
    state,
    desiredState,
    ready: state === "running" && desiredState === "running",
    address: nodeId ? addressOf(nodeId) : "",
    port: Number(labels[PORT_BASE_LABEL] ?? 0) + slot,
    releaseId: Number(labels[LABEL.release] ?? 0),
    version: labels[LABEL.version] ?? "",
    nodeId,
    containerId: task.Status?.ContainerStatus?.ContainerID,
    error: task.Status?.Err,
  };
}

/**
 * A node's address for the router: its `Status.Addr`, or the manager address
 * when a node reports 0.0.0.0.
 *
 * @example
 * nodeAddress({ Status: { Addr: "10.0.0.5" } }); // "10.0.0.5"
 */
export function nodeAddress(node: { Status?: { Addr?: string }; ManagerStatus?: { Addr?: string } }): string {
  const addr = node.Status?.Addr;
  if (addr && addr !== "0.0.0.0") return addr;
  const manager = node.ManagerStatus?.Addr;
  return manager ? manager.replace(/:\d+$/, "") : "127.0.0.1";
}
