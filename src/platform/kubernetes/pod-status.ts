/**
 * What the Deployment and pod objects say about a rollout, read the way
 * `kubectl rollout status` reads them (pure: objects in, verdicts out).
 */
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import { LABEL, type Slot } from "./manifests.js";

/** Waiting reasons after which a pod will not start by itself: the rollout fails at once instead of at its deadline. */
const FATAL_WAITING = new Set([
  "CrashLoopBackOff",
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

/** A pod's trouble that ends a rollout ("CrashLoopBackOff: back-off 10s restarting..."), null when none. */
export function podTrouble(pod: V1Pod): string | null {
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) {
      const last = status.lastState?.terminated;
      const exit = last ? ` (last exit ${last.exitCode}${last.reason ? `, ${last.reason}` : ""})` : "";
      return `${waiting.reason}${exit}${waiting.message ? `: ${waiting.message}` : ""}`;
    }
  }
  if (pod.status?.reason === "Evicted") return `evicted: ${pod.status.message ?? ""}`.trim();
  return null;
}

export function podReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

export function podRelease(pod: V1Pod): number | undefined {
  const value = pod.metadata?.labels?.[LABEL.release];
  return value === undefined ? undefined : Number(value);
}

export function podSlot(pod: V1Pod): Slot | undefined {
  const value = pod.metadata?.labels?.[LABEL.slot];
  return value === "ping" || value === "pong" ? value : undefined;
}

/** How a pod stands, in status's words. */
export function podState(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return "stopping";
  if (podReady(pod)) return "ready";
  const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting?.reason;
  if (waiting) return waiting;
  return pod.status?.phase === "Running" ? "starting" : (pod.status?.phase ?? "pending").toLowerCase();
}

/** A Deployment's rollout as `kubectl rollout status` judges it. */
export interface DeploymentProgress {
  done: boolean;
  /** Set when the Deployment will not progress (its progressDeadlineSeconds passed). */
  failed: string | null;
  /** One line: "2/3 updated, 1 old, 2 available". */
  summary: string;
}

export function deploymentProgress(d: V1Deployment): DeploymentProgress {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const observed = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const stalled = (s.conditions ?? []).find((c) => c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded");
  const old = Math.max(0, total - updated);
  // Until the controller has seen the spec, the status is the previous rollout's (a stale ProgressDeadlineExceeded, say).
  if (!observed) return { done: false, failed: null, summary: "waiting for the Deployment controller to see the new spec" };
  return {
    done: observed && updated >= want && total === want && available >= want,
    failed: stalled ? `Deployment ${d.metadata?.name} exceeded its progress deadline: ${stalled.message ?? ""}`.trim() : null,
    summary: `${updated}/${want} updated${old > 0 ? `, ${old} old` : ""}, ${available} available`,
  };
}
