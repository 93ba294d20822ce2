/**
 * The Kubernetes API as platform kubernetes uses it: the few calls it makes,
 * through @kubernetes/client-node (kubeconfig, authentication, TLS). One
 * instance per namespace and context; no watch and no cache: the workload
 * polls, and a restarted daemon reads the cluster again.
 *
 * Every call is tried again after a transient failure (a 429 or 5xx, a
 * connection refused or reset; src/platform/kubernetes/api-failure.ts), as a
 * whole: a read-then-write reads again, so each is safe to repeat. Lease
 * writes are the exception, tried once: their 409 means another holder, and
 * a create repeated after a lost answer would find its own lease. Any
 * failure leaves as one line, `Kubernetes API: <what> in namespace <ns>:
 * <status> <message>`.
 */
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Lease,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import { existsSync } from "node:fs";
import type { Clock } from "../../clock.js";
import type { KubernetesConfig } from "../../config/types.js";
import { SlipwayError } from "../../errors.js";
import { apiStatus, retrying } from "./api-failure.js";
import type { JsonPatchOp, RouteRules } from "./manifests.js";

const ROUTES = { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes" } as const;
const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

/** Resolves to null when the object does not exist (404). */
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (err) {
    if (apiStatus(err) === 404) return null;
    throw err;
  }
}

/**
 * The kubeconfig of `config`: its file (or $KUBECONFIG, else ~/.kube/config)
 * and context. A missing file or context is one clear error.
 */
export function loadKubeConfig(config: Pick<KubernetesConfig, "kubeconfig" | "context">): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) {
    if (!existsSync(config.kubeconfig)) {
      throw new SlipwayError("CONFIG_INVALID", `kubernetes.kubeconfig: ${config.kubeconfig} does not exist`, {
        hint: "give the path of a kubeconfig file, or leave it unset to use $KUBECONFIG or ~/.kube/config",
      });
    }
    kc.loadFromFile(config.kubeconfig);
  } else kc.loadFromDefault();
  if (config.context) {
    if (!kc.getContextObject(config.context)) {
      throw new SlipwayError("CONFIG_INVALID", `kubernetes.context: the kubeconfig has no context "${config.context}"`, {
        hint: `its contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(", ") || "none"
        }`,
      });
    }
    kc.setCurrentContext(config.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new SlipwayError("CONFIG_INVALID", "platform kubernetes: no cluster in the kubeconfig", {
      hint: "set KUBECONFIG or kubernetes.kubeconfig to a kubeconfig with a current context (kubectl config current-context)",
    });
  }
  return kc;
}

export class KubeCluster {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
    private readonly clock: Clock,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** The cluster of `config`: the namespace it names, else its context's, else default. */
  static connect(config: KubernetesConfig, clock: Clock): KubeCluster {
    const kc = loadKubeConfig(config);
    const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
    return new KubeCluster(kc, config.namespace ?? contextNamespace ?? "default", clock);
  }

  /** One call, tried again after a transient failure; `what` names it in the error. */
  private call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return retrying(this.clock, `${what} in namespace ${this.namespace}`, call);
  }

  /** A Deployment, null when there is none. */
  deployment(name: string): Promise<V1Deployment | null> {
    return this.call(`read Deployment ${name}`, () => this.readDeployment(name));
  }

  private readDeployment(name: string): Promise<V1Deployment | null> {
    return orNull(this.apps.readNamespacedDeployment({ name, namespace: this.namespace }));
  }

  /** Creates the Deployment, or replaces its spec (a new pod template starts the Deployment's own rolling update). */
  applyDeployment(body: V1Deployment): Promise<V1Deployment> {
    const name = body.metadata!.name!;
    return this.call(`apply Deployment ${name}`, async () => {
      const existing = await this.readDeployment(name);
      if (!existing) return this.apps.createNamespacedDeployment({ namespace: this.namespace, body });
      const metadata = { ...body.metadata, resourceVersion: existing.metadata!.resourceVersion! };
      return this.apps.replaceNamespacedDeployment({ name, namespace: this.namespace, body: { ...body, metadata } });
    });
  }

  /** Sets a Deployment's replicas (a JSON patch of spec.replicas). */
  scale(name: string, replicas: number): Promise<V1Deployment> {
    const body: JsonPatchOp[] = [{ op: "replace", path: "/spec/replicas", value: replicas }];
    return this.call(`scale Deployment ${name} to ${replicas}`, () =>
      this.apps.patchNamespacedDeployment({ name, namespace: this.namespace, body }, jsonPatch),
    );
  }

  service(name: string): Promise<V1Service | null> {
    return this.call(`read Service ${name}`, () => this.readService(name));
  }

  private readService(name: string): Promise<V1Service | null> {
    return orNull(this.core.readNamespacedService({ name, namespace: this.namespace }));
  }

  /**
   * Creates the Service, or sets the selector and annotations of the one
   * there (a JSON patch: its clusterIP and everything else stay).
   */
  applyService(body: V1Service): Promise<V1Service> {
    const name = body.metadata!.name!;
    return this.call(`apply Service ${name}`, async () => {
      const existing = await this.readService(name);
      if (!existing) return this.core.createNamespacedService({ namespace: this.namespace, body });
      const patch: JsonPatchOp[] = [
        { op: existing.spec?.selector ? "replace" : "add", path: "/spec/selector", value: body.spec!.selector },
      ];
      const annotations = { ...existing.metadata?.annotations, ...body.metadata?.annotations };
      patch.push({ op: existing.metadata?.annotations ? "replace" : "add", path: "/metadata/annotations", value: annotations });
      return this.core.patchNamespacedService({ name, namespace: this.namespace, body: patch }, jsonPatch);
    });
  }

  /** The app's pods (label app.kubernetes.io/name). */
  pods(app: string): Promise<V1Pod[]> {
    return this.call(`list the pods of ${app}`, async () => {
      const list = await this.core.listNamespacedPod({ namespace: this.namespace, labelSelector: `app.kubernetes.io/name=${app}` });
      return list.items;
    });
  }

  /** Names of the pods behind a Service's ready endpoints (its EndpointSlices), each once. */
  readyEndpoints(service: string): Promise<Set<string>> {
    return this.call(`list the EndpointSlices of Service ${service}`, async () => {
      const list = await this.discovery.listNamespacedEndpointSlice({
        namespace: this.namespace,
        labelSelector: `kubernetes.io/service-name=${service}`,
      });
      const ready = new Set<string>();
      for (const slice of list.items) {
        for (const e of slice.endpoints ?? []) {
          // Kubernetes: a nil ready condition counts as ready; terminating endpoints are never ready.
          if (e.conditions?.ready !== false && e.conditions?.terminating !== true && e.targetRef?.name) ready.add(e.targetRef.name);
        }
      }
      return ready;
    });
  }

  /** A Gateway API HTTPRoute (gateway.networking.k8s.io/v1). */
  route(name: string): Promise<RouteRules | null> {
    return this.call(`read HTTPRoute ${name}`, () =>
      orNull(this.custom.getNamespacedCustomObject({ ...ROUTES, namespace: this.namespace, name }) as Promise<RouteRules>),
    );
  }

  /** A JSON patch of an HTTPRoute (the weights of its backendRefs, guarded by `test` operations: repeating it sets the same weights). */
  patchRoute(name: string, ops: JsonPatchOp[]): Promise<unknown> {
    return this.call(`patch HTTPRoute ${name}`, () =>
      this.custom.patchNamespacedCustomObject({ ...ROUTES, namespace: this.namespace, name, body: ops }, jsonPatch),
    );
  }

  lease(name: string): Promise<V1Lease | null> {
    return this.call(`read Lease ${name}`, () => orNull(this.coordination.readNamespacedLease({ name, namespace: this.namespace })));
  }

  /** Creates a Lease, once (a 409: someone else created it first). */
  createLease(body: V1Lease): Promise<V1Lease> {
    return this.once(`create Lease ${body.metadata!.name!}`, () =>
      this.coordination.createNamespacedLease({ namespace: this.namespace, body }),
    );
  }

  /** Replaces a Lease, once; its metadata.resourceVersion makes it fail (409) when someone else changed it meanwhile. */
  replaceLease(body: V1Lease): Promise<V1Lease> {
    const name = body.metadata!.name!;
    return this.once(`replace Lease ${name}`, () => this.coordination.replaceNamespacedLease({ name, namespace: this.namespace, body }));
  }

  async deleteLease(name: string): Promise<void> {
    await this.call(`delete Lease ${name}`, () => orNull(this.coordination.deleteNamespacedLease({ name, namespace: this.namespace })));
  }

  /** The last `lines` lines of a pod's log. */
  podLog(name: string, lines: number): Promise<string[]> {
    return this.call(`read the log of pod ${name}`, async () => {
      const text = await this.core.readNamespacedPodLog({ name, namespace: this.namespace, container: "app", tailLines: lines });
      return String(text)
        .split("\n")
        .filter((line) => line !== "");
    });
  }

  /** Deletes Deployments and Services by name; those already gone are skipped. */
  async remove(deployments: string[], services: string[]): Promise<void> {
    for (const name of deployments) {
      await this.call(`delete Deployment ${name}`, () => orNull(this.apps.deleteNamespacedDeployment({ name, namespace: this.namespace })));
    }
    for (const name of services) {
      await this.call(`delete Service ${name}`, () => orNull(this.core.deleteNamespacedService({ name, namespace: this.namespace })));
    }
  }

  /** One call, not repeated; its failure is still one line. */
  private once<T>(what: string, call: () => Promise<T>): Promise<T> {
    return retrying(this.clock, `${what} in namespace ${this.namespace}`, call, []);
  }
}
