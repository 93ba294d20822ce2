import type { Config } from "../config/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { InstanceRow, Workload } from "../rollout/workload.js";
import { releaseConfig } from "./release-runtime.js";

/**
 * Picks the workload a release runs on, once per release: Swarm services for
 * `platform: swarm`, Deployments for `platform: kubernetes`, the fleet for the
 * process and docker platforms. The one place in src/daemon/ that asks which
 * platform a config names.
 *
 * @example
 * const workload = workloads.for(config);
 * await workload.rollOut(release, config, step);
 */
export class Workloads {
  constructor(
    private readonly each: { fleet: Workload; swarm: Workload; kubernetes: Workload },
    private readonly ledger: Pick<Ledger, "currentRelease">,
  ) {}

  for(config: Config): Workload {
    return config.platform === "swarm" ? this.each.swarm : config.platform === "kubernetes" ? this.each.kubernetes : this.each.fleet;
  }

  /** The key the route table follows a workload by: the fleet's or Swarm's table (Kubernetes writes none). */
  keyOf(config: Config): "fleet" | "swarm" {
    return this.for(config) === this.each.swarm ? "swarm" : "fleet";
  }

  private get all(): Workload[] {
    return [this.each.fleet, this.each.swarm, this.each.kubernetes];
  }

  /** The workload of the current release; null before the first release. */
  serving(): Workload | null {
    const current = this.ledger.currentRelease();
    return current ? this.for(releaseConfig(current)) : null;
  }

  /** The traffic changes asked so far, on every workload, made where the router does not carry them (`Workload.trafficSettled`). */
  async trafficSettled(): Promise<void> {
    await Promise.all(this.all.map((w) => w.trafficSettled?.()));
  }

  /** Releases with instances running on any workload (retention keeps them). */
  runningReleases(): number[] {
    return [...new Set(this.all.flatMap((w) => w.runningReleases()))];
  }

  /** Every running instance and task, for status. */
  instances(): InstanceRow[] {
    return this.all.flatMap((w) => w.instances());
  }

  /** The release of a router target (an instance, a task or a pod), undefined when none knows it. */
  releaseOf(targetId: string): number | undefined {
    for (const w of this.all) {
      const release = w.releaseOf(targetId);
      if (release !== undefined) return release;
    }
    return undefined;
  }

  /** `slipway down`: each stops what it runs. */
  async down(): Promise<void> {
    for (const w of this.all) await w.down();
  }
}
