import type { Config } from "../config/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { InstanceRow, Workload } from "../rollout/workload.js";
import { releaseConfig } from "./release-runtime.js";

/**
 * Picks the workload a release runs on, once per release: Swarm services for
 * `platform: swarm`, the fleet for the process and docker platforms. The one
 * place in src/daemon/ that asks which platform a config names.
 *
 * @example
 * const workload = workloads.for(config);
 * await workload.rollOut(release, config, step);
 */
export class Workloads {
  constructor(
    private readonly fleet: Workload,
    private readonly swarm: Workload,
    private readonly ledger: Pick<Ledger, "currentRelease">,
  ) {}

  for(config: Config): Workload {
    return config.platform === "swarm" ? this.swarm : this.fleet;
  }

  /** The key the route table follows a workload by ("fleet" or "swarm"). */
  keyOf(config: Config): "fleet" | "swarm" {
    return this.for(config) === this.swarm ? "swarm" : "fleet";
  }

  /** The workload of the current release; null before the first release. */
  serving(): Workload | null {
    const current = this.ledger.currentRelease();
    return current ? this.for(releaseConfig(current)) : null;
  }

  /** Releases with instances running on any workload (retention keeps them). */
  runningReleases(): number[] {
    return [...new Set([...this.fleet.runningReleases(), ...this.swarm.runningReleases()])];
  }

  /** Every running instance and task, for status. */
  instances(): InstanceRow[] {
    return [...this.fleet.instances(), ...this.swarm.instances()];
  }

  /** The release of a router target (an instance or a task), undefined when neither knows it. */
  releaseOf(targetId: string): number | undefined {
    return this.fleet.releaseOf(targetId) ?? this.swarm.releaseOf(targetId);
  }

  /** `slipway down`: both stop what they run. */
  async down(): Promise<void> {
    await this.fleet.down();
    await this.swarm.down();
  }
}
