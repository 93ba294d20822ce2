import type { WindowStats } from "../analysis/traffic-recorder.js";
import type { ListenAddress } from "../config/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { InstanceRow } from "../rollout/workload.js";
import type { RouteGroup } from "../router/types.js";
import type { AcmeHostStatus } from "../routerd/acme.js";
import type { LockStatus } from "./lock.js";
import type { RecoveryReport } from "./recovery.js";
import type { Rollouts } from "./rollouts.js";

/** One running instance or Swarm task, as status lists it. */
export type InstanceStatus = InstanceRow;

export interface RolloutStatus {
  id: number;
  kind: string;
  strategy: string;
  release: number;
  version: string;
  holder: string;
  startedAt: number;
  phase: string;
  step: { index: number; total: number; description: string } | null;
  weight: number | null;
  pausedReason: string | null;
  previewUrl: string | null;
  analysis: {
    label: string;
    n: number;
    verdict: string;
    reasons: string[];
    canary: WindowStats;
    stable: WindowStats | null;
    failures: number;
    inconclusives: number;
  } | null;
}

export interface DaemonStatus {
  daemon: { pid: number; startedAt: number };
  /** `replicas`: the size of the current release (`app.replicas`); `instances` shows how many are ready. */
  current: { id: number; version: string; activatedAt: number | null; replicas: number } | null;
  rollout: RolloutStatus | null;
  standby: { release: number; version: string; until: number } | null;
  /** The deploy lock's holder, and how many deploys or rollbacks wait for it (`--wait-lock`). */
  lock: LockStatus | null;
  instances: InstanceStatus[];
  traffic: {
    listen: ListenAddress;
    /** The HTTPS address, when `router.tls` is on. */
    tls?: ListenAddress | null;
    /** Host names the app answers (`router.hosts`); empty: every host. */
    hosts?: string[];
    /** Automatic certificates of those hosts (`router.tls.acme`): valid, pending, or failed with what the CA said. */
    certificates?: AcmeHostStatus[];
    groups: { name: string; weight: number; targets: string[] }[];
    targets: string[];
    requests: number;
    /** Instances the router's passive health took out of rotation (they refused connections). */
    ejected: string[];
  } | null;
  recovery: RecoveryReport | null;
  /** Where the app is served when Slipway's router is not in the path (platform kubernetes), null otherwise. */
  servedBy?: string | null;
}

/** The status snapshot served by `GET /v1/status` and shown by `slipway status`. */
export function daemonStatus(s: {
  ledger: Ledger;
  instances: InstanceRow[];
  /** The table the router serves (the current release's workload's). */
  routes: RouteGroup[];
  rollouts: Rollouts;
  lock: LockStatus | null;
  router: {
    listen: ListenAddress;
    tls: ListenAddress | null;
    hosts: string[];
    certificates: AcmeHostStatus[];
    stats: { requests: number; ejected?: string[] };
  } | null;
  recovery: RecoveryReport | null;
  servedBy: string | null;
  pid: number;
  startedAt: number;
}): DaemonStatus {
  const current = s.ledger.currentRelease();
  const running = s.ledger.runningRollouts().find((r) => !s.rollouts.hasEnded(r.id));
  const routes = s.routes;
  const active = s.rollouts.active;
  const standby = s.rollouts.standby;
  return {
    daemon: { pid: s.pid, startedAt: s.startedAt },
    current: current
      ? { id: current.id, version: current.version, activatedAt: current.activatedAt, replicas: current.config.app.replicas }
      : null,
    rollout: running
      ? {
          id: running.id,
          kind: running.kind,
          strategy: running.strategy,
          release: running.releaseId,
          version: active?.release.version ?? s.ledger.release(running.releaseId)?.version ?? "",
          holder: running.holder,
          startedAt: running.startedAt,
          phase: active?.control.state.phase ?? "progressing",
          step: active?.control.state.step ?? null,
          weight: active?.control.state.weight ?? null,
          pausedReason: active?.control.state.pausedReason ?? null,
          previewUrl: active?.control.state.previewUrl ?? null,
          analysis: active?.analysis
            ? {
                label: active.analysis.label,
                n: active.analysis.tick.n,
                verdict: active.analysis.tick.verdict,
                reasons: active.analysis.tick.reasons,
                canary: active.analysis.tick.canary,
                stable: active.analysis.tick.stable,
                failures: active.analysis.tick.failures,
                inconclusives: active.analysis.tick.inconclusives,
              }
            : null,
        }
      : null,
    standby: standby ? { release: standby.release, version: standby.version, until: standby.until } : null,
    lock: s.lock,
    instances: s.instances,
    traffic: s.router
      ? {
          listen: s.router.listen,
          tls: s.router.tls,
          hosts: s.router.hosts,
          certificates: s.router.certificates,
          groups: routes.map((g) => ({ name: g.name, weight: g.weight, targets: g.targets.map((t) => t.id) })),
          targets: routes.flatMap((g) => g.targets.map((t) => t.id)),
          requests: s.router.stats.requests,
          ejected: s.router.stats.ejected ?? [],
        }
      : null,
    recovery: s.recovery,
    servedBy: s.servedBy,
  };
}
