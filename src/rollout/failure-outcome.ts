import type { ReleaseStatus, RolloutStatus } from "../ledger/types.js";
import type { RolloutFailure } from "./rollout-failure.js";

/** Why a rollout ended without committing: a failure, a human's abort, or a daemon stop. */
export type FailureKind = RolloutFailure["kind"];

/** What a rollout that ended with a failure of one kind does and records. */
export interface FailureOutcome {
  /** The journal event (webhooks, the CLI's stream). */
  event: "rollout.failed" | "rollout.aborted";
  /** The release's status, when it was still pending. */
  releaseStatus: Extract<ReleaseStatus, "failed" | "aborted">;
  rolloutStatus: Extract<RolloutStatus, "rolled-back" | "aborted" | "interrupted">;
  /** How the error line says it ended: `release 3 (v3) <verb>: <reason>`. */
  verb: string;
  /** Bring the previous release back to full size (not when the daemon is stopping: it stops everything anyway). */
  restore: boolean;
  /** Run the postRollback hook (when there is a previous release). */
  postRollback: boolean;
  /** The hint when neither the failure nor a failed instance gives one. */
  hint: string;
}

/**
 * The one table from failure kind to outcome: every rollout that does not
 * commit is undone the same way (traffic back, new instances gone), and
 * this says what is restored, recorded and told.
 *
 * @example
 * FAILURE_OUTCOMES.aborted.rolloutStatus; // "aborted"
 */
export const FAILURE_OUTCOMES: Readonly<Record<FailureKind, FailureOutcome>> = {
  failed: {
    event: "rollout.failed",
    releaseStatus: "failed",
    rolloutStatus: "rolled-back",
    verb: "failed",
    restore: true,
    postRollback: true,
    hint: "see slipway status",
  },
  aborted: {
    event: "rollout.aborted",
    releaseStatus: "aborted",
    rolloutStatus: "aborted",
    verb: "was aborted",
    restore: true,
    postRollback: true,
    hint: "slipway retry deploys it again",
  },
  interrupted: {
    event: "rollout.failed",
    releaseStatus: "failed",
    rolloutStatus: "interrupted",
    verb: "was interrupted",
    restore: false,
    postRollback: false,
    hint: "see slipway status",
  },
};
