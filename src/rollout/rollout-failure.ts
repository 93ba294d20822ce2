import type { InstanceView } from "./fleet-view.js";

/** Why a rollout stopped, with the instance to blame when there is one. */
export class RolloutFailure extends Error {
  constructor(
    message: string,
    readonly instanceId: string | null = null,
    /** "aborted" by a human (`slipway abort`), "interrupted" by a daemon stop, else a failure. */
    readonly kind: "failed" | "aborted" | "interrupted" = "failed",
    /** What to do about it, when the failure says (replaces the generic "see slipway logs"). */
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = "RolloutFailure";
  }
}

/** A new instance failed (crash, probe): the rollout fails with its last message and hint. */
export function instanceFailure(inst: InstanceView): RolloutFailure {
  return new RolloutFailure(`instance ${inst.id} failed: ${inst.lastMessage}`, inst.id, "failed", inst.hint);
}
