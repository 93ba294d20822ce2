/**
 * The instance lifecycle. Every change goes through `assertTransition`, and the
 * fleet records each one as a ledger event with the old and new state.
 *
 *   starting ─▶ ready ◀─▶ unready
 *      │          │          │
 *      ▼          ▼          ▼
 *   failed    restarting ─▶ starting
 *      └──────────┴──▶ stopping ─▶ stopped
 */
export type InstanceState = "starting" | "ready" | "unready" | "restarting" | "failed" | "stopping" | "stopped";

const TRANSITIONS: Record<InstanceState, readonly InstanceState[]> = {
  starting: ["ready", "failed", "restarting", "stopping"],
  ready: ["unready", "restarting", "failed", "stopping"],
  unready: ["ready", "restarting", "failed", "stopping"],
  restarting: ["starting", "failed", "stopping"],
  failed: ["stopping", "stopped"],
  stopping: ["stopped"],
  stopped: [],
};

export function canTransition(from: InstanceState, to: InstanceState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(id: string, from: InstanceState, to: InstanceState): void {
  if (!canTransition(from, to)) throw new Error(`instance ${id}: invalid transition ${from} -> ${to}`);
}

/** States in which an instance still counts toward its release (not going away). */
export function isLive(state: InstanceState): boolean {
  return state === "starting" || state === "ready" || state === "unready" || state === "restarting";
}
