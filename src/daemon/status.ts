import type { ListenAddress } from "../config/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { Fleet } from "./fleet.js";
import type { LockInfo } from "./lock.js";
import type { RecoveryReport } from "./recovery.js";

export interface InstanceStatus {
  id: string;
  release: number;
  version: string;
  pid: number;
  port: number;
  state: string;
  inRotation: boolean;
  restarts: number;
  health: string;
}

export interface DaemonStatus {
  daemon: { pid: number; startedAt: number };
  current: { id: number; version: string; activatedAt: number | null } | null;
  rollout: { id: number; kind: string; release: number; holder: string; startedAt: number } | null;
  lock: LockInfo | null;
  instances: InstanceStatus[];
  traffic: { listen: ListenAddress; targets: string[]; requests: number } | null;
  recovery: RecoveryReport | null;
}

/** The status snapshot served by `GET /v1/status` and shown by `slipway status`. */
export function daemonStatus(s: {
  ledger: Ledger;
  fleet: Fleet;
  lock: LockInfo | null;
  router: { listen: ListenAddress; stats: { requests: number } } | null;
  recovery: RecoveryReport | null;
  pid: number;
  startedAt: number;
}): DaemonStatus {
  const current = s.ledger.currentRelease();
  const running = s.ledger.runningRollouts()[0];
  const routes = s.fleet.routes();
  return {
    daemon: { pid: s.pid, startedAt: s.startedAt },
    current: current ? { id: current.id, version: current.version, activatedAt: current.activatedAt } : null,
    rollout: running
      ? { id: running.id, kind: running.kind, release: running.releaseId, holder: running.holder, startedAt: running.startedAt }
      : null,
    lock: s.lock,
    instances: s.fleet.list().map((i) => ({
      id: i.id,
      release: i.releaseId,
      version: i.spec.version,
      pid: i.pid,
      port: i.spec.port,
      state: i.state,
      inRotation: i.inRotation && i.state === "ready",
      restarts: i.restarts,
      health: s.fleet.describe(i),
    })),
    traffic: s.router
      ? { listen: s.router.listen, targets: routes.flatMap((g) => g.targets.map((t) => t.id)), requests: s.router.stats.requests }
      : null,
    recovery: s.recovery,
  };
}
