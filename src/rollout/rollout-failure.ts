/** Why a rollout stopped, with the instance to blame when there is one. */
export class RolloutFailure extends Error {
  constructor(
    message: string,
    readonly instanceId: string | null = null,
    /** "aborted" by a human (`slipway abort`), "interrupted" by a daemon stop, else a failure. */
    readonly kind: "failed" | "aborted" | "interrupted" = "failed",
  ) {
    super(message);
    this.name = "RolloutFailure";
  }
}
