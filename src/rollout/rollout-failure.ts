/** Why a rollout stopped, with the instance to blame when there is one. */
export class RolloutFailure extends Error {
  constructor(
    message: string,
    readonly instanceId: string | null = null,
  ) {
    super(message);
    this.name = "RolloutFailure";
  }
}
