import type { Ledger } from "../ledger/ledger.js";
import type { InstanceSpec, Platform } from "../platform/platform.js";
import type { Fleet } from "./fleet.js";
import { releaseConfig } from "./release-runtime.js";
import { standbyHolds } from "./standby.js";

export interface RecoveryReport {
  at: number;
  interruptedRollouts: number[];
  adopted: string[];
  /** Instances of the blue-green standby, adopted out of rotation until its recorded deadline. */
  standby: string[];
  stopped: string[];
  gone: string[];
}

/**
 * What a starting daemon does with the state a killed one left behind:
 * running rollouts are marked interrupted (their release never went live),
 * instances of the current release still running are adopted, so are those
 * of the blue-green standby while its recorded deadline is in the future
 * (out of rotation: `Rollouts.recover` re-arms its timer), instances of any
 * other release are stopped, and the dead are written off. The caller
 * then converges the current release back to full size.
 */
export async function recoverState(
  ledger: Ledger,
  platform: Platform,
  fleet: Fleet,
  now: number,
  /** Takes instances about to be stopped out of the router's table and drains them. */
  unroute: (ids: string[]) => Promise<void> = async () => {},
): Promise<RecoveryReport> {
  const report: RecoveryReport = { at: now, interruptedRollouts: [], adopted: [], standby: [], stopped: [], gone: [] };
  for (const rollout of ledger.runningRollouts()) {
    ledger.endRollout(rollout.id, "interrupted", "the daemon stopped during the rollout");
    const release = ledger.release(rollout.releaseId);
    if (release?.status === "pending") ledger.setReleaseStatus(release.id, "failed", "rollout interrupted by a daemon stop");
    report.interruptedRollouts.push(rollout.id);
  }
  const current = ledger.currentRelease();
  const config = current ? releaseConfig(current) : null;
  const recordedStandby = ledger.standby();
  const standby =
    recordedStandby && recordedStandby.releaseId !== current?.id && standbyHolds(recordedStandby.until, now)
      ? ledger.release(recordedStandby.releaseId)
      : undefined;
  const orphans: string[] = [];
  for (const row of ledger.liveInstances()) {
    const spec = JSON.parse(row.specJson) as InstanceSpec;
    const running = await platform.adopt({ spec, pid: row.pid, startedAt: row.startedAt });
    if (!running) {
      ledger.setInstanceState(row.id, "stopped");
      fleet.departed(row.id, row.releaseId);
      report.gone.push(row.id);
    } else if (current && config && row.releaseId === current.id) {
      fleet.adopt(spec, running.pid, config.health, { inRotation: true, restart: true });
      report.adopted.push(row.id);
    } else if (standby && row.releaseId === standby.id) {
      fleet.adopt(spec, running.pid, releaseConfig(standby).health, { inRotation: false, restart: true });
      report.standby.push(row.id);
    } else {
      orphans.push(row.id);
      fleet.departed(row.id, row.releaseId); // the router's last samples of it still count for its release
    }
  }
  // Stopped only once out of the table the router kept serving, and drained.
  await unroute([...orphans, ...report.gone]);
  for (const id of orphans) {
    await platform.stop(id);
    ledger.setInstanceState(id, "stopped");
    report.stopped.push(id);
  }
  const summary = [
    report.interruptedRollouts.length ? `rollout ${report.interruptedRollouts.join(", ")} interrupted` : null,
    report.adopted.length ? `adopted ${report.adopted.join(", ")}` : null,
    report.standby.length && standby
      ? `kept ${report.standby.join(", ")} on standby until ${new Date(recordedStandby!.until).toISOString()}`
      : null,
    report.stopped.length ? `stopped orphans ${report.stopped.join(", ")}` : null,
    report.gone.length ? `gone: ${report.gone.join(", ")}` : null,
  ].filter(Boolean);
  if (summary.length) {
    ledger.record({
      type: "recovery",
      releaseId: current?.id ?? null,
      message: `daemon restarted: ${summary.join("; ")}`,
      data: { ...report },
    });
  }
  return report;
}
