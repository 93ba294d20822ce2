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
 * A node's address for the router: the address a manager advertises to the
 * swarm (`ManagerStatus.Addr`, the one its operator declared reachable), else
 * `Status.Addr`, else 127.0.0.1. `Status.Addr` is only the source address the
 * leader saw the node's connection come from: behind NAT, on a host with
 * several interfaces, or with several engines on one host (every node seen
 * as 127.0.0.1 on loopback, checked with three engines advertising
 * 127.0.0.x) it is not where the node's tasks listen; for a worker, which
 * advertises nothing the API shows, it is all there is. 0.0.0.0 counts as
 * unknown.
 *
 * @example
 * nodeAddress({ Status: { Addr: "10.0.0.5" } }); // "10.0.0.5"
 * nodeAddress({ Status: { Addr: "127.0.0.1" }, ManagerStatus: { Addr: "127.0.9.3:2377" } }); // "127.0.9.3"
 */
export function nodeAddress(node: { Status?: { Addr?: string }; ManagerStatus?: { Addr?: string } }): string {
  const advertised = node.ManagerStatus?.Addr?.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
  return [advertised, node.Status?.Addr].find((addr) => addr && addr !== "0.0.0.0") ?? "127.0.0.1";
}
