import type Dockerode from "dockerode";
import { SlipwayError } from "../../errors.js";

/** The fields of `GET /info` that say whether the engine can manage a swarm. */
export interface SwarmInfo {
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string };
}

/**
 * Why this engine cannot run Swarm services, or undefined when it is a manager (pure).
 *
 * @example
 * swarmProblem({ Swarm: { LocalNodeState: "inactive" } }); // "this Docker engine is not a swarm manager; run docker swarm init"
 */
export function swarmProblem(info: SwarmInfo): string | undefined {
  const state = info.Swarm?.LocalNodeState ?? "inactive";
  if (state === "active" && info.Swarm?.ControlAvailable) return undefined;
  if (state === "active") return "this Docker engine is a swarm worker, not a manager; point DOCKER_HOST at a manager node";
  if (state === "pending" || state === "locked")
    return `this Docker engine's swarm is ${state}; unlock or finish joining it, or run docker swarm init`;
  return "this Docker engine is not a swarm manager; run docker swarm init";
}

/**
 * Throw a PLATFORM error unless the engine is a swarm manager.
 *
 * @example
 * await ensureSwarmManager(docker); // SlipwayError: this Docker engine is not a swarm manager; run docker swarm init
 */
export async function ensureSwarmManager(docker: Dockerode): Promise<void> {
  const problem = swarmProblem((await docker.info()) as SwarmInfo);
  if (problem) {
    throw new SlipwayError("PLATFORM", problem, {
      hint: "platform: swarm runs each release as a Swarm service; the daemon talks to a manager",
    });
  }
}
