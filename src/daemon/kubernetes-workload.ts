import type { V1Pod } from "@kubernetes/client-node";
import type { Clock, Timer } from "../clock.js";
import type { Config } from "../config/types.js";
import type { Release } from "../ledger/types.js";
import { apiMessage, apiStatus } from "../platform/kubernetes/api-failure.js";
import type { KubeCluster } from "../platform/kubernetes/kube-cluster.js";
import type { Slot } from "../platform/kubernetes/manifests.js";
import type { ReleaseLogs } from "../platform/platform.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import type { AbandonOptions, InstanceRow, ReadyCount, RouteTarget, Step, Workload } from "../rollout/workload.js";
import { releaseConfig, releaseWorkloadEnv } from "./release-runtime.js";

/** How often the app's pods are read (status, the standby count, instances' releases). */
export const KUBE_POLL_EVERY = 1_000;
/** How often a wait reads the Deployment or the endpoints again. */
export const KUBE_WAIT_EVERY = 500;
/**
 * Attempts at a traffic change whose guarded HTTPRoute patch the server
 * refused (409, 422: the route changed between the read and the patch),
 * each from a fresh read. Transient API failures are tried again below,
 * by KubeCluster.
 */
const ROUTE_ATTEMPTS = 3;

/** Loads the platform's modules (and @kubernetes/client-node) on first use: other platforms never load them. */
async function kube() {
  const [manifests, cluster, status, lease] = await Promise.all([
    import("../platform/kubernetes/manifests.js"),
    import("../platform/kubernetes/kube-cluster.js"),
    import("../platform/kubernetes/pod-status.js"),
    import("../platform/kubernetes/deploy-lease.js"),
  ]);
  return { ...manifests, ...cluster, ...status, ...lease };
}
type Kube = Awaited<ReturnType<typeof kube>>;

/** Connects to the cluster a config names; `clock` spaces the attempts at a transient API failure. */
export type ClusterFactory = (config: Config, clock: Clock) => Promise<KubeCluster>;

/** The cluster of `config.kubernetes` (kubeconfig, context, namespace), through @kubernetes/client-node. */
export const connectCluster: ClusterFactory = async (config, clock) => {
  const { KubeCluster } = await import("../platform/kubernetes/kube-cluster.js");
  return KubeCluster.connect(config.kubernetes, clock);
};

/** What one slot's Deployment runs, as last read from the cluster. */
interface SlotState {
  release: number | null;
  replicas: number;
}

/**
 * platform: kubernetes, the third implementation of the `Workload` seam
 * (src/rollout/workload.ts). Kubernetes owns the pods and, unlike the other
 * platforms, the traffic: Slipway's router is not in the path (`routed` is
 * false). The app runs in two slot Deployments with fixed Services
 * (src/platform/kubernetes/manifests.ts): the serving slot holds the app's
 * release; a canary or green runs in the other, at full size beside it, so
 * an abort or a switch back is a traffic change and never waits for a pod.
 * Traffic moves by HTTPRoute weights (one JSON patch) when
 * `kubernetes.httpRoute` names a route, else through the Service `<app>`:
 * its selector names the serving slot, or the whole app while a canary
 * takes its share by pods. A rolling deploy is the serving Deployment's own
 * rolling update, followed like `kubectl rollout status`; undoing it applies
 * the previous release's Deployment again. docs/kubernetes.md.
 */
export class KubernetesWorkload implements Workload {
  readonly routed = false;
  private cluster: KubeCluster | null = null;
  private k: Kube | null = null;
  private config: Config | null = null;
  /** The app followed (pods polled), null before the first release and after `down`. */
  private app: string | null = null;
  private serving: Slot = "ping";
  /** A canary (its weight) or green (switched to or not) in the other slot. */
  private side: { release: number; weight: number; green: boolean; switched: boolean } | null = null;
  private kept: { release: number; version: string; until: number; timer: Timer } | null = null;
  private pods: V1Pod[] = [];
  private podsKey = "";
  private timer: Timer | null = null;
  private queue: Promise<void> = Promise.resolve();
  private queued: Error | null = null;
  private readonly known = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly connectTo: ClusterFactory,
    private readonly clock: Clock,
  ) {}

  /** The deploy lease in the cluster (docs/kubernetes.md, "Deploy lock"): taken before a rollout, released after. */
  async claim(config: Config, holder: string): Promise<() => Promise<void>> {
    const { cluster, k } = await this.connect(config);
    return new k.DeployLease(cluster, config.name, this.clock).acquire(holder);
  }

  servedBy(config: Config): string {
    const k = config.kubernetes;
    const where = `namespace ${this.cluster?.namespace ?? k.namespace ?? "of the kubeconfig context"}`;
    return `the cluster: Service ${config.name}${k.httpRoute ? ` and HTTPRoute ${k.httpRoute}` : ""} in ${where}; serving slot ${this.serving}`;
  }

  get standby(): { release: number; version: string; until: number } | null {
    return this.kept ? { release: this.kept.release, version: this.kept.version, until: this.kept.until } : null;
  }

  async rollOut(release: Release, config: Config, step: Step): Promise<void> {
    await this.begin(config);
    await this.settleTraffic(this.serving);
    await this.applySlot(this.serving, release, config, config.app.replicas);
    step.note(`Deployment ${this.names(config).slot(this.serving)} updated to release ${release.id} (${release.image})`);
    await this.followRollout(this.serving, release, config, step);
    await this.scaleOther(config);
  }

  startCanary(release: Release, config: Config, replicas: number, step: Step): Promise<void> {
    return this.startSide(release, config, replicas, false, step);
  }

  startGreen(release: Release, config: Config, replicas: number, step: Step): Promise<void> {
    return this.startSide(release, config, replicas, true, step);
  }

  private async startSide(release: Release, config: Config, replicas: number, green: boolean, step: Step): Promise<void> {
    await this.begin(config);
    const { k } = this.need();
    const slot = k.otherSlot(this.serving);
    this.dropStandby();
    await this.settleTraffic(this.serving); // the other slot gets no request before it is ready
    this.side = { release: release.id, weight: 0, green, switched: false };
    await this.applySlot(slot, release, config, replicas);
    const names = this.names(config);
    await this.need().cluster.applyService(
      k.appService(config.name, names.preview, slot, this.need().cluster.namespace, config.kubernetes.port),
    );
    step.note(
      `${green ? "green" : "canary"}: Deployment ${names.slot(slot)} runs ${replicas} pod(s) of release ${release.id}; preview: Service ${names.preview}`,
    );
    await this.waitEndpoints(slot, release, replicas, config, step);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Pods are not reachable from here: the preview is the Service `<app>-preview` in the cluster. */
  previewTargets(): RouteTarget[] {
    return [];
  }

  setCanaryWeight(release: Release, weight: number): void {
    if (this.side?.release !== release.id) return;
    this.side.weight = weight;
    this.enqueue(() => this.canaryTraffic(weight));
  }

  /** All traffic to the slot running `release`: a weight patch, or the Service `<app>`'s selector without an HTTPRoute. */
  switchTo(release: Release): void {
    const side = this.side;
    if (side) side.switched = side.release === release.id;
    this.enqueue(async () => {
      const slot = await this.slotOf(release.id);
      if (slot) await this.route(slot, 100);
    });
  }

  /** Canary promotion: the canary's slot at full size and ready, all traffic to it, then the old slot scaled to 0. */
  async promote(release: Release, config: Config, step: Step): Promise<void> {
    await this.flush();
    const { k, cluster } = this.need();
    const slot = k.otherSlot(this.serving);
    await cluster.scale(this.names(config).slot(slot), config.app.replicas);
    step.note(`promoting: Deployment ${this.names(config).slot(slot)} scaled to ${config.app.replicas}`);
    await this.waitEndpoints(slot, release, config.app.replicas, config, step);
    await this.route(slot, 100);
    await this.makeServing(slot, config);
    this.side = null;
    await this.scaleOther(config);
  }

  /** Blue-green after the switch: green's slot is the serving one; blue's stays as standby (keepStandby) or goes. */
  async settle(release: Release, config: Config, step: Step): Promise<void> {
    await this.flush();
    const slot = await this.slotOf(release.id);
    if (!slot) throw new RolloutFailure(`release ${release.id} runs in no Deployment of ${config.name}`);
    await this.makeServing(slot, config);
    this.side = null;
    if (!this.kept) await this.scaleOther(config);
    step.note(`Deployment ${this.names(config).slot(slot)} serves ${config.name}`);
  }

  keepStandby(release: Release, ms: number): void {
    this.dropStandby();
    const timer = this.clock.setTimeout(() => {
      this.kept = null;
      this.enqueue(async () => {
        const slot = await this.slotOf(release.id);
        if (slot && slot !== this.serving && this.config) await this.need().cluster.scale(this.names(this.config).slot(slot), 0);
      });
    }, ms);
    this.kept = { release: release.id, version: release.version, until: this.clock.now() + ms, timer };
  }

  standbyReady(releaseId: number): number {
    const { k } = this;
    if (!k) return 0;
    return this.pods.filter((p) => k.podRelease(p) === releaseId && k.podReady(p)).length;
  }

  async awaitHealthy(release: Release, config: Config, step: Step): Promise<ReadyCount> {
    await this.flush();
    const slot = (await this.slotOf(release.id)) ?? this.serving;
    const ready = await this.waitEndpoints(slot, release, config.app.replicas, config, step);
    return { ready, replicas: config.app.replicas };
  }

  commit(release: Release): void {
    this.enqueue(async () => {
      const slot = await this.slotOf(release.id);
      if (slot && this.config) await this.makeServing(slot, this.config);
    });
  }

  /**
   * Traffic back to `previous` at once when a slot still runs it (a canary,
   * green, or a standby after the switch), then the target's slot scaled to
   * 0; when the target replaced `previous` in its own slot (rolling), the
   * previous release's Deployment is applied again and followed.
   */
  async abandon(target: Release, previous: Release | null, o: AbandonOptions): Promise<{ restored: boolean; error: string | null }> {
    const note = o.note ?? (() => {});
    try {
      await this.flush().catch(() => undefined);
      const config = this.config ?? releaseConfig(target);
      const { cluster } = await this.connect(config);
      const slots = await this.slots(config);
      const targetSlot = (Object.keys(slots) as Slot[]).find((s) => slots[s].release === target.id && slots[s].replicas > 0) ?? null;
      const previousSlot = previous
        ? ((Object.keys(slots) as Slot[]).find((s) => slots[s].release === previous.id && slots[s].replicas > 0) ?? null)
        : null;
      this.side = null;
      if (previous && previousSlot && previousSlot !== targetSlot) {
        await this.route(previousSlot, 100);
        await this.makeServing(previousSlot, config);
        if (targetSlot) await cluster.scale(this.names(config).slot(targetSlot), 0);
        note(
          `traffic back on release ${previous.id} (Deployment ${this.names(config).slot(previousSlot)}); release ${target.id}: ${o.reason}`,
        );
        if (!o.restore) return { restored: true, error: null };
        const pConfig = releaseConfig(previous);
        if (slots[previousSlot].replicas < pConfig.app.replicas) {
          await cluster.scale(this.names(config).slot(previousSlot), pConfig.app.replicas);
          await this.waitEndpoints(previousSlot, previous, pConfig.app.replicas, pConfig, this.undoStep(o));
        }
        return { restored: true, error: null };
      }
      if (!previous || !o.restore) return { restored: false, error: null };
      const pConfig = releaseConfig(previous);
      const slot = targetSlot ?? this.serving;
      await this.route(slot, 100);
      await this.applySlot(slot, previous, pConfig, pConfig.app.replicas);
      note(`Deployment ${this.names(config).slot(slot)} set back to release ${previous.id}`);
      await this.followRollout(slot, previous, pConfig, this.undoStep(o));
      await this.makeServing(slot, pConfig);
      await this.scaleOther(pConfig);
      return { restored: true, error: null };
    } catch (err) {
      return { restored: false, error: (err as Error).message };
    }
  }

  private undoStep(o: AbandonOptions): Step {
    return {
      signal: o.signal ?? new AbortController().signal,
      checkpoint: () => Promise.resolve(),
      note: o.note ?? (() => {}),
    };
  }

  /** The release a switch-back rollback left: its slot scaled to 0 unless it serves. */
  async retire(release: Release): Promise<void> {
    if (this.kept?.release === release.id) this.dropStandby();
    await this.flush().catch(() => undefined);
    const slot = await this.slotOf(release.id);
    if (slot && slot !== this.serving && this.config) await this.need().cluster.scale(this.names(this.config).slot(slot), 0);
  }

  /**
   * Daemon start: the cluster kept running without it. The serving slot is
   * read back from the Service `<app>`; a slot left by an interrupted canary
   * gets no traffic and is scaled to 0; a serving Deployment on another
   * release (an undo cut short) is set back to `current`, and an app deleted
   * meanwhile is deployed again.
   */
  async recover(current: Release, config: Config, step: Step): Promise<void> {
    await this.begin(config);
    const slots = await this.slots(config);
    if (slots[this.serving].release !== current.id || slots[this.serving].replicas === 0) {
      const other = this.need().k.otherSlot(this.serving);
      if (slots[other].release === current.id && slots[other].replicas > 0) await this.makeServing(other, config);
      else return this.rollOut(current, config, step);
    }
    await this.route(this.serving, 100);
    await this.scaleOther(config);
    await this.waitEndpoints(this.serving, current, config.app.replicas, config, step);
  }

  runningReleases(): number[] {
    const { k } = this;
    return k ? [...new Set(this.pods.map((p) => k.podRelease(p)).filter((r): r is number => r !== undefined))] : [];
  }

  instances(): InstanceRow[] {
    const k = this.k;
    if (!k || !this.config) return [];
    const port = this.config.kubernetes.port;
    return this.pods.map((p) => {
      const status = p.status?.containerStatuses?.[0];
      const last = status?.lastState?.terminated;
      const slot = k.podSlot(p);
      return {
        id: p.metadata?.name ?? "",
        release: k.podRelease(p) ?? 0,
        version: p.metadata?.annotations?.[k.ANNOTATION.version] ?? "",
        pid: 0,
        port,
        state: k.podState(p),
        inRotation: k.podReady(p) && slot !== undefined && this.takesTraffic(slot),
        restarts: status?.restartCount ?? 0,
        lastFailure: last
          ? { at: new Date(last.finishedAt ?? 0).getTime(), reason: `exit ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}` }
          : null,
        health: `pod on ${p.spec?.nodeName ?? "no node yet"}, slot ${slot ?? "?"}`,
      };
    });
  }

  private takesTraffic(slot: Slot): boolean {
    const side = this.side;
    if (!side) return slot === this.serving;
    if (side.green) return side.switched !== (slot === this.serving);
    return slot === this.serving ? side.weight < 100 : side.weight > 0;
  }

  releaseOf(targetId: string): number | undefined {
    return this.known.get(targetId);
  }

  /** The pods' logs (the last lines of each pod of the release), each line prefixed with its pod. */
  logs(release: Release): ReleaseLogs {
    return {
      tail: async function* (this: KubernetesWorkload, lines: number) {
        const { cluster, k } = await this.connect(releaseConfig(release));
        const pods = (await cluster.pods(release.config.name)).filter((p) => k.podRelease(p) === release.id);
        for (const pod of pods) {
          const name = pod.metadata?.name ?? "";
          for (const line of await cluster.podLog(name, lines).catch(() => [])) yield `${name} | ${line}`;
        }
      }.bind(this),
    };
  }

  async tail(id: string, lines: number): Promise<string[]> {
    if (!this.cluster) return [];
    return this.cluster.podLog(id, lines).catch(() => []);
  }

  /** `slipway down`: the app's Deployments and Services deleted (an HTTPRoute is the user's and stays). */
  async down(): Promise<void> {
    const config = this.config;
    this.stopPolling();
    this.dropStandby();
    if (!config || !this.cluster) return;
    const names = this.names(config);
    const slots = [names.slot("ping"), names.slot("pong")];
    await this.cluster.remove(slots, [names.service, names.preview, ...slots]);
    this.app = null;
    this.pods = [];
    this.side = null;
  }

  // ---- the cluster ----

  private async connect(config: Config): Promise<{ cluster: KubeCluster; k: Kube }> {
    this.k ??= await kube();
    if (!this.cluster || this.cluster.namespace !== (config.kubernetes.namespace ?? this.cluster.namespace)) {
      this.cluster = await this.connectTo(config, this.clock);
    }
    return { cluster: this.cluster, k: this.k };
  }

  private need(): { cluster: KubeCluster; k: Kube } {
    if (!this.cluster || !this.k) throw new Error("KubernetesWorkload: not connected");
    return { cluster: this.cluster, k: this.k };
  }

  private names(config: Config) {
    return this.need().k.kubeNames(config.name);
  }

  /** Connects, makes sure the app's Services exist, reads which slot serves and starts following the pods. */
  private async begin(config: Config): Promise<void> {
    const { cluster, k } = await this.connect(config);
    this.config = config;
    const names = k.kubeNames(config.name);
    const app = await cluster.service(names.service);
    const marked = app?.metadata?.annotations?.[k.ANNOTATION.servingSlot];
    this.serving = marked === "pong" ? "pong" : "ping";
    const port = config.kubernetes.port;
    if (!app) {
      await cluster.applyService(
        k.appService(config.name, names.service, this.serving, cluster.namespace, port, { [k.ANNOTATION.servingSlot]: this.serving }),
      );
    }
    for (const slot of k.SLOTS) {
      if (!(await cluster.service(names.slot(slot))))
        await cluster.applyService(k.appService(config.name, names.slot(slot), slot, cluster.namespace, port));
    }
    this.follow(config.name);
  }

  /** What each slot's Deployment runs (its release annotation and replicas). */
  private async slots(config: Config): Promise<Record<Slot, SlotState>> {
    const { cluster, k } = this.need();
    const out = {} as Record<Slot, SlotState>;
    for (const slot of k.SLOTS) {
      const d = await cluster.deployment(k.kubeNames(config.name).slot(slot));
      const release = d?.metadata?.annotations?.[k.ANNOTATION.release];
      out[slot] = { release: release === undefined ? null : Number(release), replicas: d?.spec?.replicas ?? 0 };
    }
    return out;
  }

  private async slotOf(releaseId: number): Promise<Slot | null> {
    if (!this.config) return null;
    const slots = await this.slots(this.config);
    const running = (Object.keys(slots) as Slot[]).filter((s) => slots[s].release === releaseId);
    return running.find((s) => slots[s].replicas > 0) ?? running[0] ?? null;
  }

  private async applySlot(slot: Slot, release: Release, config: Config, replicas: number): Promise<void> {
    const { cluster, k } = this.need();
    const env = {
      ...releaseWorkloadEnv(release, config, "container"),
      SLIPWAY_RELEASE: String(release.id),
      SLIPWAY_VERSION: release.version,
    };
    await cluster.applyDeployment(
      k.slotDeployment(
        { app: config.name, slot, releaseId: release.id, version: release.version, image: release.image!, replicas, env, config },
        cluster.namespace,
      ),
    );
  }

  /** The serving slot recorded on the Service `<app>` (its selector and annotation), so a restarted daemon finds it. */
  private async makeServing(slot: Slot, config: Config): Promise<void> {
    const { cluster, k } = this.need();
    const names = k.kubeNames(config.name);
    await cluster.applyService(
      k.appService(config.name, names.service, slot, cluster.namespace, config.kubernetes.port, { [k.ANNOTATION.servingSlot]: slot }),
    );
    this.serving = slot;
  }

  /** The slot that does not serve goes to 0 pods (a standby kept by keepStandby excepted). */
  private async scaleOther(config: Config): Promise<void> {
    const { cluster, k } = this.need();
    const other = k.otherSlot(this.serving);
    const d = await cluster.deployment(k.kubeNames(config.name).slot(other));
    if (d && (d.spec?.replicas ?? 0) > 0) await cluster.scale(k.kubeNames(config.name).slot(other), 0);
  }

  /**
   * All traffic to `slot` (weight 100) or a share: HTTPRoute weights in one
   * guarded JSON patch, or the Service `<app>`'s selector (the slot alone at
   * 100, the whole app for a share). A patch whose guard fails (the route
   * changed since it was read) is built again from a fresh read.
   */
  private async route(slot: Slot, weight: number): Promise<void> {
    const config = this.config;
    if (!config) return;
    const { cluster, k } = this.need();
    const other = k.otherSlot(slot);
    const routeName = config.kubernetes.httpRoute;
    if (routeName) {
      for (let attempt = 1; ; attempt++) {
        const route = await cluster.route(routeName);
        if (!route)
          throw new RolloutFailure(`HTTPRoute ${routeName} does not exist in namespace ${cluster.namespace} (kubernetes.httpRoute)`);
        const weights = { [slot]: weight, [other]: 100 - weight } as Record<Slot, number>;
        try {
          await cluster.patchRoute(routeName, k.routeWeightsPatch(route, config.name, weights, routeName));
          break;
        } catch (err) {
          const status = apiStatus(err);
          if (attempt >= ROUTE_ATTEMPTS || (status !== 409 && status !== 422)) throw err;
        }
      }
    }
    const names = k.kubeNames(config.name);
    const select = weight >= 100 ? slot : null;
    if (routeName && weight < 100) return; // the route splits; the Service `<app>` keeps the serving slot
    await cluster.applyService(k.appService(config.name, names.service, select, cluster.namespace, config.kubernetes.port));
  }

  /** The serving slot at 100 (before a canary or green starts, and after it ends). */
  private async settleTraffic(slot: Slot): Promise<void> {
    await this.route(slot, 100);
  }

  /** A canary's share: on the HTTPRoute, or by pods beside the stable ones (the Service `<app>` then selects both slots). */
  private async canaryTraffic(weight: number): Promise<void> {
    const config = this.config;
    if (!config) return;
    const { cluster, k } = this.need();
    const other = k.otherSlot(this.serving);
    if (config.kubernetes.httpRoute) {
      await this.route(other, weight);
      return;
    }
    const pods = k.canaryPodsFor(weight, config.app.replicas);
    if (pods > 0) await cluster.scale(k.kubeNames(config.name).slot(other), pods);
    if (weight <= 0) await this.route(this.serving, 100);
    else await this.route(other, weight);
  }

  /** Follows a Deployment's rolling update to the end, failing at a pod that cannot start or at the deadline. */
  private async followRollout(slot: Slot, release: Release, config: Config, step: Step): Promise<void> {
    const { cluster, k } = this.need();
    const name = k.kubeNames(config.name).slot(slot);
    const until = this.clock.now() + config.progressDeadline;
    let said = "";
    for (;;) {
      await step.checkpoint();
      this.interrupted(step);
      const d = await cluster.deployment(name);
      if (!d) throw new RolloutFailure(`Deployment ${name} disappeared during the rollout`);
      const progress = k.deploymentProgress(d);
      if (progress.summary !== said) step.note(`Deployment ${name}: ${progress.summary}`);
      said = progress.summary;
      if (progress.failed) throw new RolloutFailure(progress.failed);
      await this.failOnTrouble(release, config);
      if (progress.done) break;
      if (this.clock.now() > until)
        throw new RolloutFailure(`Deployment ${name} did not finish within progressDeadline: ${progress.summary}`);
      await this.clock.sleep(KUBE_WAIT_EVERY, step.signal).catch(() => undefined);
    }
    await this.waitEndpoints(slot, release, config.app.replicas, config, step);
  }

  /** Resolves with the count once `replicas` pods of the release are ready endpoints of the slot's Service. */
  private async waitEndpoints(slot: Slot, release: Release, replicas: number, config: Config, step: Step): Promise<number> {
    const { cluster, k } = this.need();
    const service = k.kubeNames(config.name).slot(slot);
    const until = this.clock.now() + config.progressDeadline;
    for (;;) {
      this.interrupted(step);
      const ready = await cluster.readyEndpoints(service);
      const pods = (await cluster.pods(config.name)).filter((p) => k.podRelease(p) === release.id && ready.has(p.metadata?.name ?? ""));
      if (pods.length >= replicas) {
        await this.poll();
        return pods.length;
      }
      await this.failOnTrouble(release, config);
      if (this.clock.now() > until) {
        throw new RolloutFailure(
          `only ${pods.length}/${replicas} pod(s) of release ${release.id} became ready endpoints of Service ${service} within progressDeadline`,
        );
      }
      await this.clock.sleep(KUBE_WAIT_EVERY, step.signal).catch(() => undefined);
    }
  }

  /** A pod of the release that will not start by itself (CrashLoopBackOff, a bad image) fails the rollout at once. */
  private async failOnTrouble(release: Release, config: Config): Promise<void> {
    const { cluster, k } = this.need();
    for (const pod of await cluster.pods(config.name)) {
      if (k.podRelease(pod) !== release.id) continue;
      const trouble = k.podTrouble(pod);
      if (trouble) throw new RolloutFailure(`pod ${pod.metadata?.name} of release ${release.id}: ${trouble}`, pod.metadata?.name ?? null);
    }
  }

  private interrupted(step: Step): void {
    if (step.signal.aborted) throw new RolloutFailure("interrupted: the daemon is stopping", null, "interrupted");
  }

  // ---- traffic changes asked synchronously, made in order ----

  /** Runs `change` after those asked before it; its failure is kept for the rollout's next step (flush). */
  private enqueue(change: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      try {
        await change();
      } catch (err) {
        this.queued ??= err as Error;
      }
    });
  }

  trafficSettled(): Promise<void> {
    return this.queue;
  }

  /** Waits for the traffic changes asked so far; throws (once) the failure of one. */
  private async flush(): Promise<void> {
    await this.queue;
    const failed = this.queued;
    this.queued = null;
    if (failed) throw failed instanceof RolloutFailure ? failed : new RolloutFailure(apiMessage(failed));
  }

  private dropStandby(): void {
    if (this.kept) this.clock.clearTimeout(this.kept.timer);
    this.kept = null;
  }

  // ---- pods, polled for status ----

  private follow(app: string): void {
    this.app = app;
    if (!this.timer) void this.poll();
  }

  private stopPolling(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.app = null;
  }

  private async poll(): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const app = this.app;
    if (!app || !this.cluster || !this.k) return;
    try {
      const pods = await this.cluster.pods(app);
      const k = this.k;
      for (const p of pods) {
        const release = k.podRelease(p);
        if (release !== undefined && p.metadata?.name) this.known.set(p.metadata.name, release);
      }
      while (this.known.size > 1024) this.known.delete(this.known.keys().next().value!);
      const key = JSON.stringify(pods.map((p) => [p.metadata?.name, k.podState(p)]));
      this.pods = pods;
      if (key !== this.podsKey) {
        this.podsKey = key;
        for (const l of this.listeners) l();
      }
    } catch {
      // the API server may be away: keep the last view, read again
    }
    if (this.app) this.timer = this.clock.setTimeout(() => void this.poll(), KUBE_POLL_EVERY);
  }
}
