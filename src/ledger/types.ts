import type { Config } from "../config/types.js";

/** Rows of the ledger, as the rest of Slipway sees them. */
export type ReleaseStatus = "pending" | "active" | "superseded" | "failed" | "aborted";
export type RolloutKind = "deploy" | "rollback" | "recover";
export type RolloutStatus = "running" | "succeeded" | "failed" | "rolled-back" | "aborted" | "interrupted";

export interface Release {
  id: number;
  version: string;
  status: ReleaseStatus;
  createdAt: number;
  activatedAt: number | null;
  /** The slipway.yaml text as deployed. */
  configText: string;
  /** The validated, normalized config (what the daemon runs). */
  config: Config;
  configFile: string;
  environment: string | null;
  env: Record<string, string>;
  snapshot: string;
  /** The image the release runs on platform docker (e.g. "hello:release-7"); null on the process platform. */
  image: string | null;
  reason: string | null;
  /** The git commit it was deployed from; null when app.cwd was not in a git work tree. */
  git: ReleaseGit | null;
}

/** A release's git commit (HEAD of app.cwd at deploy) and the commits it brought. */
export interface ReleaseGit {
  commit: string;
  /** HEAD's committer time, ms since the epoch. */
  committedAt: number;
  /**
   * Committer times (ms, newest first, at most 1000) of the commits this release brought that the
   * release live at its deploy did not have, HEAD included; empty when it brought none (the same commit again).
   */
  changes: number[];
}

export interface Rollout {
  id: number;
  kind: RolloutKind;
  releaseId: number;
  fromReleaseId: number | null;
  strategy: string;
  status: RolloutStatus;
  holder: string;
  startedAt: number;
  endedAt: number | null;
  reason: string | null;
}

export interface LedgerEvent {
  id: number;
  at: number;
  type: string;
  rolloutId: number | null;
  releaseId: number | null;
  instanceId: string | null;
  message: string;
  data: Record<string, unknown> | null;
}

export interface InstanceRow {
  id: string;
  releaseId: number;
  pid: number;
  state: string;
  specJson: string;
  startedAt: number;
  stoppedAt: number | null;
}
