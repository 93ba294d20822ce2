import type { Clock } from "../clock.js";
import type { FleetView, InstanceView } from "./fleet-view.js";
import type { ProbeWait } from "../probe/instance-health.js";

/** How often a waiting rollout says what each of its instances that is not ready yet waits for (at most 5 s apart). */
export const WAIT_REPORT_EVERY = 4_000;

/**
 * What a rollout says while it waits for an instance: which probe holds it
 * back, that probe's last result and failures in a row, and the time left
 * before the first deadline that would fail it (the startup probe's budget or
 * progressDeadline). `fallback` describes an instance whose probes passed but
 * which is not ready (a container HEALTHCHECK still starting).
 *
 * @example
 * waitLine({ probe: "readiness", result: "GET /healthz -> 404", failures: 2, deadline: null }, "", 0, 52_000);
 * // "waiting for its readiness probe: GET /healthz -> 404 (2 failed in a row); 52s left before progressDeadline"
 */
export function waitLine(wait: ProbeWait | null, fallback: string, now: number, progressDeadlineAt: number): string {
  const probeGivesUp = wait?.deadline ?? Number.POSITIVE_INFINITY;
  const [at, what] =
    probeGivesUp < progressDeadlineAt ? [probeGivesUp, "the startup probe gives up"] : [progressDeadlineAt, "progressDeadline"];
  const left = `${Math.max(0, Math.ceil((at - now) / 1000))}s left before ${what}`;
  if (!wait) return `waiting: ${fallback || "not ready yet"}; ${left}`;
  const probe = wait.probe === "port" ? "its port to accept a connection" : `its ${wait.probe} probe`;
  const streak = wait.failures ? ` (${wait.failures} failed in a row)` : "";
  return `waiting for ${probe}: ${wait.result || "no check finished yet"}${streak}; ${left}`;
}

/**
 * Called on every turn of a rollout's wait loop: every `every` ms (from its
 * creation), one "probe" line in the ledger, and so in the deploy's stream,
 * per waited-for instance that is not ready.
 *
 * @example
 * const report = new WaitReport(fleet, clock);
 * for (;;) { ...; report.tick(fresh, lastProgress + progressDeadline); await fleet.waitForChange(200); }
 */
export class WaitReport {
  #next: number;

  constructor(
    private readonly fleet: FleetView,
    private readonly clock: Clock,
    private readonly every = WAIT_REPORT_EVERY,
  ) {
    this.#next = clock.now() + every;
  }

  tick(instances: readonly InstanceView[], progressDeadlineAt: number): void {
    const now = this.clock.now();
    if (now < this.#next) return;
    this.#next = now + this.every;
    for (const inst of instances) {
      if (inst.state !== "starting" && inst.state !== "unready") continue;
      const wait = this.fleet.waiting(inst);
      this.fleet.note(inst, "probe", waitLine(wait, this.fleet.describe(inst), now, progressDeadlineAt), {
        probe: wait?.probe ?? null,
        result: wait?.result ?? this.fleet.describe(inst),
        failures: wait?.failures ?? 0,
      });
    }
  }
}
