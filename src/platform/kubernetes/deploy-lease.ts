import type { V1Lease } from "@kubernetes/client-node";
import type { Clock, Timer } from "../../clock.js";
import { SlipwayError } from "../../errors.js";
import { apiStatus } from "./api-failure.js";
import type { KubeCluster } from "./kube-cluster.js";
import { deployLease, kubeNames } from "./manifests.js";

/** How long a lease holds without renewal: a Slipway that died frees the app this long after its last renewal. */
export const LEASE_SECONDS = 30;
/** How often a held lease is renewed. */
export const LEASE_RENEW_EVERY = 10_000;

/**
 * The deploy lock across machines: a coordination.k8s.io Lease per app and
 * namespace (`<app>-slipway-deploy`), held while a rollout runs and renewed
 * every 10 s. Taking it is a create, or a replace at the resourceVersion
 * read (the API server refuses it with 409 when another Slipway changed it
 * first), so two daemons on two machines never roll out the same app at
 * once. The daemon's own lock (daemon/lock.ts) still orders rollouts within
 * one daemon; this one is taken after it.
 */
export class DeployLease {
  constructor(
    private readonly cluster: KubeCluster,
    private readonly app: string,
    private readonly clock: Clock,
  ) {}

  /** Takes the lease for `holder` (who runs the rollout, e.g. "alice@laptop:/srv/app"); resolves with its release. */
  async acquire(holder: string): Promise<() => Promise<void>> {
    const name = kubeNames(this.app).lease;
    const mine = (): V1Lease => deployLease(this.app, this.cluster.namespace, holder, LEASE_SECONDS, new Date(this.clock.now()));
    let held = await this.cluster.lease(name);
    if (!held) {
      try {
        held = await this.cluster.createLease(mine());
      } catch (err) {
        if (apiStatus(err) !== 409) throw err;
        held = await this.cluster.lease(name); // created by someone else first
        if (held) this.refuse(held);
        throw err;
      }
    } else {
      if (held.spec?.holderIdentity !== holder && !this.expired(held)) this.refuse(held);
      const body = mine();
      try {
        held = await this.cluster.replaceLease({
          ...body,
          metadata: { ...body.metadata, resourceVersion: held.metadata!.resourceVersion! },
        });
      } catch (err) {
        if (apiStatus(err) !== 409) throw err;
        const now = await this.cluster.lease(name);
        if (now) this.refuse(now);
        throw err;
      }
    }
    let current = held;
    let timer: Timer | null = null;
    const renew = async () => {
      try {
        const body = mine();
        current = await this.cluster.replaceLease({
          ...body,
          metadata: { ...body.metadata, resourceVersion: current.metadata!.resourceVersion! },
          spec: { ...body.spec, acquireTime: current.spec!.acquireTime! },
        });
      } catch {
        // Unreachable API server or a lease taken over: the next renewal tries again; the rollout itself reports API failures.
      }
      if (timer) timer = this.clock.setTimeout(() => void renew(), LEASE_RENEW_EVERY);
    };
    timer = this.clock.setTimeout(() => void renew(), LEASE_RENEW_EVERY);
    return async () => {
      if (timer) this.clock.clearTimeout(timer);
      timer = null;
      const now = await this.cluster.lease(name).catch(() => null);
      if (now?.spec?.holderIdentity === holder) await this.cluster.deleteLease(name).catch(() => undefined);
    };
  }

  private expired(lease: V1Lease): boolean {
    const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime;
    if (!renewed) return true;
    return new Date(renewed).getTime() + (lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < this.clock.now();
  }

  private refuse(lease: V1Lease): never {
    const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : this.clock.now();
    const ago = Math.max(0, Math.round((this.clock.now() - renewed) / 1000));
    throw new SlipwayError(
      "LOCK_HELD",
      `another Slipway is rolling out ${this.app} in namespace ${this.cluster.namespace}: lease ${lease.metadata?.name} held by ${lease.spec?.holderIdentity ?? "unknown"}, renewed ${ago}s ago`,
      { hint: `wait for that rollout to end; the lease of a Slipway that died expires ${LEASE_SECONDS}s after its last renewal` },
    );
  }
}
