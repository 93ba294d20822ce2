/**
 * A fake Kubernetes API server, in process, on a loopback port: the subset
 * platform kubernetes uses, served over real HTTP to the real
 * @kubernetes/client-node, so the requests Slipway sends (paths, verbs,
 * content types, JSON patches) are the ones a cluster would get.
 *
 * It implements: Deployments (create, read, list, replace with
 * resourceVersion checks, JSON and merge patch, delete) with a controller
 * that makes pods from the template and rolls them as a RollingUpdate
 * Deployment does (maxSurge, maxUnavailable, observedGeneration lagging a
 * tick, a Progressing condition that turns ProgressDeadlineExceeded);
 * pods that become ready, crash (CrashLoopBackOff), never become ready, or
 * cannot pull their image, chosen by their image (`:crash`, `:never-ready`,
 * `:bad-image`, else ready after `readyAfter`) or by `behaviour`; pods that
 * terminate (deletionTimestamp, not ready, then gone after `terminateAfter`);
 * Services; EndpointSlices derived from Services and pods (ready and
 * terminating conditions, targetRef); Gateway API HTTPRoutes (read, create,
 * JSON patch with `test`); Leases (create 409 when present, replace 409 on a
 * stale resourceVersion); pod logs (tailLines); injected failures (a
 * Status body, optionally a Retry-After header) and injected latency.
 *
 * It does NOT model: nodes, scheduling, resources and quotas (a pod is
 * bound at once to one of three node names, round-robin; it never stays
 * Pending for lack of room); probes (readiness is a timer, nothing
 * requests the app); minReadySeconds (available = ready);
 * ReplicaSet objects and owner references (pods belong to the Deployment
 * directly; deleting it deletes them); watches, field selectors, set-based
 * label selectors; strategic merge patch (treated as a merge patch) and
 * server-side apply; validation and defaulting beyond what is listed here
 * (tests validate objects against the official schemas instead); admission,
 * RBAC and authentication (any token passes); a Gateway's data plane
 * (weights are stored, and `blackholes` reports when a weighted backend has
 * no ready endpoint, but no request is routed); kube-proxy and endpoint
 * propagation delays.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type PodBehaviour = "ready" | "crash" | "never-ready" | "bad-image";

export interface FakeKubeOptions {
  /** ms from a pod's creation to Ready (default 150). */
  readyAfter?: number;
  /** ms a terminating pod lingers (default 100). */
  terminateAfter?: number;
  /** Controller tick (default 25 ms). */
  tick?: number;
  /** How a pod behaves; by default from its image tag. */
  behaviour?: (pod: Obj) => PodBehaviour;
}

export interface ApiCall {
  method: string;
  path: string;
  contentType: string;
  body: unknown;
  at: number;
}

interface Kind {
  group: string; // "" for core
  plural: string;
  kind: string;
  apiVersion: string;
}

const KINDS: Kind[] = [
  { group: "apps", plural: "deployments", kind: "Deployment", apiVersion: "apps/v1" },
  { group: "", plural: "services", kind: "Service", apiVersion: "v1" },
  { group: "", plural: "pods", kind: "Pod", apiVersion: "v1" },
  { group: "discovery.k8s.io", plural: "endpointslices", kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1" },
  { group: "gateway.networking.k8s.io", plural: "httproutes", kind: "HTTPRoute", apiVersion: "gateway.networking.k8s.io/v1" },
  { group: "coordination.k8s.io", plural: "leases", kind: "Lease", apiVersion: "coordination.k8s.io/v1" },
];

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 6902 JSON Patch: add, remove, replace, test (what a client sends). */
export function applyJsonPatch(doc: Obj, ops: Obj[]): Obj {
  const out = clone(doc);
  for (const op of ops) {
    const parts = String(op.path)
      .split("/")
      .slice(1)
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = parts.pop()!;
    let parent: any = out; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const p of parts) {
      parent = parent?.[Array.isArray(parent) ? Number(p) : p];
      if (parent === undefined) throw new HttpError(422, "Invalid", `json patch: path ${op.path} does not exist`);
    }
    const key = Array.isArray(parent) ? (last === "-" ? parent.length : Number(last)) : last;
    switch (op.op) {
      case "test":
        if (JSON.stringify(parent[key]) !== JSON.stringify(op.value)) {
          throw new HttpError(422, "Invalid", `json patch: test failed at ${op.path}: ${JSON.stringify(parent[key])}`);
        }
        break;
      case "replace":
        if (!(key in parent)) throw new HttpError(422, "Invalid", `json patch: replace of missing ${op.path}`);
        parent[key] = clone(op.value);
        break;
      case "add":
        if (Array.isArray(parent)) parent.splice(key as number, 0, clone(op.value));
        else parent[key] = clone(op.value);
        break;
      case "remove":
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        break;
      default:
        throw new HttpError(422, "Invalid", `json patch: op ${String(op.op)} is not supported by the fake`);
    }
  }
  return out;
}

function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === "object" && !Array.isArray(v) && typeof out[k] === "object" && !Array.isArray(out[k]))
      out[k] = mergePatch(out[k], v);
    else out[k] = clone(v);
  }
  return out;
}

function matches(labels: Obj | undefined, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [k, v] = term.split("=");
    return labels?.[k!] === v;
  });
}

function selects(selector: Obj | undefined, labels: Obj | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function intOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.endsWith("%")) {
    const exact = (Number(value.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(exact) : Math.floor(exact);
  }
  return roundUp ? 1 : 0;
}

export class FakeKubeApi {
  private server: Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private rv = 1;
  private podSeq = 0;
  /** kind plural → "ns/name" → object */
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly failures: { method: string; path: RegExp; code: number; times: number; retryAfter?: number }[] = [];
  private readonly delays: { method: string; path: RegExp; ms: number; times: number }[] = [];
  private readonly progress = new Map<string, { key: string; at: number }>();
  readonly calls: ApiCall[] = [];
  /** Moments a weighted HTTPRoute backend had no ready endpoint: a Gateway would answer 503 there. */
  readonly blackholes: { at: number; route: string; backend: string; weight: number }[] = [];
  url = "";
  private readonly o: Required<Omit<FakeKubeOptions, "behaviour">> & Pick<FakeKubeOptions, "behaviour">;

  constructor(options: FakeKubeOptions = {}) {
    this.o = { readyAfter: 150, terminateAfter: 100, tick: 25, ...options };
    for (const k of KINDS) this.store.set(k.plural, new Map());
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.timer = setInterval(() => this.reconcile(), this.o.tick);
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Writes a kubeconfig naming this server (context "fake", namespace `namespace`) and returns its path. */
  writeKubeconfig(path: string, namespace = "default"): string {
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: fake`,
        `  cluster: { server: "${this.url}", insecure-skip-tls-verify: true }`,
        "users:",
        "- name: fake",
        "  user: { token: fake-token }",
        "contexts:",
        `- name: fake`,
        `  context: { cluster: fake, user: fake, namespace: ${namespace} }`,
        "current-context: fake",
        "",
      ].join("\n"),
    );
    return path;
  }

  /** The next `times` requests of `method` whose path matches fail with `code` (a Status body; a Retry-After header when `retryAfter` seconds are given). */
  failNext(method: string, path: RegExp, code: number, times = 1, retryAfter?: number): void {
    this.failures.push({ method, path, code, times, retryAfter });
  }

  /** The next `times` requests of `method` whose path matches are answered `ms` late (a slow API server), then served. */
  delayNext(method: string, path: RegExp, ms: number, times = 1): void {
    this.delays.push({ method, path, ms, times });
  }

  /** Objects of a kind (plural) in a namespace, or one by name. */
  list(plural: string, namespace = "default"): Obj[] {
    return [...this.store.get(plural)!.values()].filter((o) => o.metadata.namespace === namespace).map(clone);
  }

  get(plural: string, name: string, namespace = "default"): Obj | undefined {
    const o = this.store.get(plural)!.get(`${namespace}/${name}`);
    return o && clone(o);
  }

  /** Puts an object as a user would (kubectl apply): an HTTPRoute, a Lease held by someone else. */
  put(plural: string, obj: Obj): void {
    const kind = KINDS.find((k) => k.plural === plural)!;
    const ns = obj.metadata.namespace ?? "default";
    this.store
      .get(plural)!
      .set(`${ns}/${obj.metadata.name}`, this.stamp(kind, { ...clone(obj), metadata: { ...obj.metadata, namespace: ns } }, null));
  }

  /** Ready endpoints (pod names) of a Service. */
  readyEndpoints(service: string, namespace = "default"): string[] {
    const slice = this.endpointSlice(this.get("services", service, namespace)!);
    return (slice.endpoints as Obj[]).filter((e) => e.conditions.ready).map((e) => e.targetRef.name as string);
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const contentType = String(req.headers["content-type"] ?? "");
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (method !== "GET") this.calls.push({ method, path: url.pathname, contentType, body, at: Date.now() });
    const delay = this.delays.find((d) => d.method === method && d.path.test(url.pathname) && d.times > 0);
    if (delay) {
      delay.times--;
      await new Promise((resolve) => setTimeout(resolve, delay.ms));
    }
    try {
      const failure = this.failures.find((f) => f.method === method && f.path.test(url.pathname) && f.times > 0);
      if (failure) {
        failure.times--;
        throw new HttpError(failure.code, "InternalError", `injected failure ${failure.code}`, failure.retryAfter);
      }
      const out = this.route(method, url, contentType, body as Obj);
      if (typeof out === "string") {
        res.writeHead(200, { "content-type": "text/plain" }).end(out);
      } else {
        res.writeHead(out.code ?? 200, { "content-type": "application/json" }).end(JSON.stringify(out.body));
      }
      this.reconcileEndpoints();
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, "InternalError", (err as Error).message);
      res
        .writeHead(e.code, {
          "content-type": "application/json",
          ...(e.retryAfter === undefined ? {} : { "retry-after": String(e.retryAfter) }),
        })
        .end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: e.message, reason: e.reason, code: e.code }));
    }
  }

  private route(method: string, url: URL, contentType: string, body: Obj): { code?: number; body: Obj } | string {
    // /api/v1/namespaces/ns/plural[/name[/log]] or /apis/group/version/namespaces/ns/plural[/name]
    const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/(log))?$/.exec(url.pathname);
    if (!m) throw new HttpError(404, "NotFound", `the fake does not serve ${url.pathname}`);
    const [, group = "", ns, plural, name, sub] = m;
    const kind = KINDS.find((k) => k.plural === plural && k.group === group);
    if (!kind) throw new HttpError(404, "NotFound", `the fake does not serve ${group}/${plural}`);
    const objects = this.store.get(plural!)!;
    const key = `${ns}/${name}`;
    if (sub === "log") return this.podLog(key, Number(url.searchParams.get("tailLines") ?? "0"));
    if (plural === "endpointslices") {
      if (method !== "GET" || name) throw new HttpError(405, "MethodNotAllowed", "the fake derives EndpointSlices; list them only");
      const selector = url.searchParams.get("labelSelector");
      const items = this.list("services", ns)
        .map((s) => this.endpointSlice(s))
        .filter((s) => matches(s.metadata.labels, selector));
      return { body: { apiVersion: kind.apiVersion, kind: `${kind.kind}List`, metadata: { resourceVersion: String(this.rv) }, items } };
    }
    if (!name) {
      if (method === "GET") {
        const selector = url.searchParams.get("labelSelector");
        const items = this.list(plural!, ns).filter((o) => matches(o.metadata.labels, selector));
        return { body: { apiVersion: kind.apiVersion, kind: `${kind.kind}List`, metadata: { resourceVersion: String(this.rv) }, items } };
      }
      if (method === "POST") {
        const objKey = `${ns}/${body.metadata?.name}`;
        if (objects.has(objKey)) throw new HttpError(409, "AlreadyExists", `${plural} "${body.metadata?.name}" already exists`);
        const created = this.stamp(kind, { ...body, metadata: { ...body.metadata, namespace: ns } }, null);
        objects.set(objKey, created);
        return { code: 201, body: clone(created) };
      }
      throw new HttpError(405, "MethodNotAllowed", `${method} on a list`);
    }
    const existing = objects.get(key);
    if (method === "GET") {
      if (!existing) throw new HttpError(404, "NotFound", `${plural} "${name}" not found`);
      return { body: clone(existing) };
    }
    if (!existing) throw new HttpError(404, "NotFound", `${plural} "${name}" not found`);
    if (method === "DELETE") {
      objects.delete(key);
      if (plural === "deployments") for (const pod of this.podsOf(existing)) this.store.get("pods")!.delete(`${ns}/${pod.metadata.name}`);
      return { body: { kind: "Status", apiVersion: "v1", status: "Success", code: 200 } };
    }
    let next: Obj;
    if (method === "PUT") {
      const rv = body.metadata?.resourceVersion;
      if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
        throw new HttpError(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      next = { ...body, status: existing.status, metadata: { ...body.metadata, namespace: ns } };
    } else if (method === "PATCH") {
      if (contentType.startsWith("application/json-patch+json")) next = applyJsonPatch(existing, body as unknown as Obj[]);
      else if (contentType.includes("merge-patch")) next = mergePatch(existing, body);
      else throw new HttpError(415, "UnsupportedMediaType", `the fake does not take ${contentType}`);
    } else throw new HttpError(405, "MethodNotAllowed", method);
    if (plural === "services" && existing.spec?.clusterIP && next.spec?.clusterIP !== existing.spec.clusterIP) {
      if (next.spec?.clusterIP === undefined) throw new HttpError(422, "Invalid", 'spec.clusterIP: Invalid value: "": field is immutable');
    }
    if (plural === "deployments" && JSON.stringify(next.spec.selector) !== JSON.stringify(existing.spec.selector)) {
      throw new HttpError(422, "Invalid", "spec.selector: Invalid value: field is immutable");
    }
    const stored = this.stamp(kind, next, existing);
    objects.set(key, stored);
    return { body: clone(stored) };
  }

  private stamp(kind: Kind, obj: Obj, before: Obj | null): Obj {
    const out = clone(obj);
    out.apiVersion = kind.apiVersion;
    out.kind = kind.kind;
    out.metadata = {
      ...out.metadata,
      uid: before?.metadata.uid ?? `uid-${this.rv}`,
      creationTimestamp: before?.metadata.creationTimestamp ?? new Date().toISOString(),
      resourceVersion: String(++this.rv),
    };
    if (kind.plural === "deployments") {
      const changed = !before || JSON.stringify(before.spec) !== JSON.stringify(out.spec);
      out.metadata.generation = (before?.metadata.generation ?? 0) + (changed ? 1 : 0);
      out.status = before?.status ?? { observedGeneration: 0 };
    }
    if (kind.plural === "services" && out.spec) out.spec.clusterIP = before?.spec?.clusterIP ?? `10.96.0.${this.rv % 250}`;
    return out;
  }

  // ---- the controller ----

  private podsOf(deployment: Obj): Obj[] {
    return this.list("pods", deployment.metadata.namespace).filter(
      (p) => p.metadata.annotations?.["fake/owner"] === deployment.metadata.name,
    );
  }

  private behaviourOf(pod: Obj): PodBehaviour {
    if (this.o.behaviour) return this.o.behaviour(pod);
    const image = String(pod.spec.containers[0]?.image ?? "");
    const tag = image.slice(image.lastIndexOf(":") + 1);
    return tag === "crash" || tag === "never-ready" || tag === "bad-image" ? tag : "ready";
  }

  private createPod(d: Obj, hash: string): void {
    const ns = d.metadata.namespace;
    const name = `${d.metadata.name}-${hash.slice(0, 6)}-${(++this.podSeq).toString(36).padStart(5, "0")}`;
    const template = d.spec.template;
    const pod: Obj = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: ns,
        labels: { ...template.metadata.labels },
        annotations: {
          ...template.metadata.annotations,
          "fake/owner": d.metadata.name,
          "fake/hash": hash,
          "fake/born": String(Date.now()),
        },
        uid: `pod-${this.podSeq}`,
        resourceVersion: String(++this.rv),
        creationTimestamp: new Date().toISOString(),
      },
      spec: { ...clone(template.spec), nodeName: `fake-node-${(this.podSeq % 3) + 1}` }, // scheduled at once, round-robin
      status: { phase: "Pending", conditions: [{ type: "Ready", status: "False" }] },
    };
    this.store.get("pods")!.set(`${ns}/${name}`, pod);
  }

  private podLive(p: Obj): boolean {
    return !p.metadata.deletionTimestamp;
  }

  private podIsReady(p: Obj): boolean {
    return this.podLive(p) && p.status.conditions.some((c: Obj) => c.type === "Ready" && c.status === "True");
  }

  private terminate(p: Obj): void {
    const stored = this.store.get("pods")!.get(`${p.metadata.namespace}/${p.metadata.name}`);
    if (!stored || stored.metadata.deletionTimestamp) return;
    stored.metadata.deletionTimestamp = new Date().toISOString();
    stored.status.conditions = [{ type: "Ready", status: "False" }];
  }

  /** One tick: pods age, Deployments roll and report, EndpointSlices follow. */
  private reconcile(): void {
    const now = Date.now();
    for (const [key, p] of this.store.get("pods")!) {
      if (p.metadata.deletionTimestamp) {
        if (now - Date.parse(p.metadata.deletionTimestamp) >= this.o.terminateAfter) this.store.get("pods")!.delete(key);
        continue;
      }
      const age = now - Number(p.metadata.annotations["fake/born"]);
      const behaviour = this.behaviourOf(p);
      const statusOf = (state: Obj, ready: boolean, restarts = 0, last?: Obj): Obj => ({
        phase: behaviour === "bad-image" ? "Pending" : "Running",
        conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
        containerStatuses: [
          {
            name: "app",
            ready,
            restartCount: restarts,
            state,
            ...(last && { lastState: last }),
            image: p.spec.containers[0].image,
            imageID: "",
            started: ready,
          },
        ],
      });
      if (age < this.o.readyAfter / 2) continue;
      if (behaviour === "ready") {
        p.status =
          age >= this.o.readyAfter
            ? statusOf({ running: { startedAt: new Date().toISOString() } }, true)
            : statusOf({ running: {} }, false);
      } else if (behaviour === "never-ready") p.status = statusOf({ running: {} }, false);
      else if (behaviour === "bad-image") {
        p.status = statusOf(
          { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${p.spec.containers[0].image}"` } },
          false,
        );
      } else {
        const restarts = Math.floor(age / this.o.readyAfter);
        p.status =
          restarts >= 2
            ? statusOf(
                { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container=app" } },
                false,
                restarts,
                {
                  terminated: { exitCode: 1, reason: "Error", finishedAt: new Date().toISOString() },
                },
              )
            : statusOf({ running: {} }, false, restarts);
      }
    }
    for (const d of this.store.get("deployments")!.values()) this.rollDeployment(d, now);
    this.reconcileEndpoints();
  }

  private rollDeployment(d: Obj, now: number): void {
    const want: number = d.spec.replicas ?? 1;
    const hash = String(hashOf(JSON.stringify(d.spec.template)));
    const pods = this.podsOf(d).filter((p) => this.podLive(p));
    const fresh = pods.filter((p) => p.metadata.annotations["fake/hash"] === hash);
    const old = pods.filter((p) => p.metadata.annotations["fake/hash"] !== hash);
    const surge = intOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? "25%", want, true);
    const unavailable = intOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? "25%", want, false);
    const ready = pods.filter((p) => this.podIsReady(p)).length;
    // scale up the new template within maxSurge
    if (fresh.length < want && pods.length < want + Math.max(surge, old.length === 0 ? want : 0)) this.createPod(d, hash);
    else if (fresh.length > want) this.terminate(fresh.find((p) => !this.podIsReady(p)) ?? fresh[fresh.length - 1]!);
    // scale down old pods while availability allows (not-ready ones first)
    if (old.length > 0) {
      const notReady = old.find((p) => !this.podIsReady(p));
      if (notReady) this.terminate(notReady);
      else if (ready - 1 >= want - unavailable) this.terminate(old[0]!);
    }
    const live = this.podsOf(d).filter((p) => this.podLive(p));
    const updated = live.filter((p) => p.metadata.annotations["fake/hash"] === hash);
    const available = live.filter((p) => this.podIsReady(p)).length;
    const key = `${d.metadata.generation}:${updated.length}:${available}`;
    const last = this.progress.get(d.metadata.name);
    if (!last || last.key !== key) this.progress.set(d.metadata.name, { key, at: now });
    const since = this.progress.get(d.metadata.name)!.at;
    const complete = updated.length === want && live.length === want && available >= want;
    const deadline = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
    const condition = complete
      ? { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet has successfully progressed.` }
      : now - since > deadline
        ? {
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: `ReplicaSet "${d.metadata.name}-${hash.slice(0, 6)}" has timed out progressing.`,
          }
        : { type: "Progressing", status: "True", reason: "ReplicaSetUpdated", message: `ReplicaSet is progressing.` };
    d.status = {
      observedGeneration: d.metadata.generation,
      replicas: live.length,
      updatedReplicas: updated.length,
      readyReplicas: available,
      availableReplicas: available,
      unavailableReplicas: Math.max(0, want - available),
      conditions: [condition],
    };
  }

  private endpointSlice(service: Obj): Obj {
    const pods = this.list("pods", service.metadata.namespace).filter((p) => selects(service.spec?.selector, p.metadata.labels));
    return {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${service.metadata.name}-fake`,
        namespace: service.metadata.namespace,
        labels: { "kubernetes.io/service-name": service.metadata.name },
      },
      addressType: "IPv4",
      endpoints: pods.map((p, i) => ({
        addresses: [`10.244.0.${(i % 250) + 1}`],
        conditions: { ready: this.podIsReady(p), serving: this.podIsReady(p), terminating: !this.podLive(p) },
        targetRef: { kind: "Pod", name: p.metadata.name, namespace: p.metadata.namespace },
      })),
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    };
  }

  /** Records a moment when a weighted backend of an HTTPRoute has no ready endpoint. */
  private reconcileEndpoints(): void {
    for (const route of this.store.get("httproutes")!.values()) {
      for (const rule of route.spec?.rules ?? []) {
        for (const ref of rule.backendRefs ?? []) {
          if ((ref.weight ?? 1) <= 0) continue;
          const service = this.get("services", ref.name, route.metadata.namespace);
          if (!service) continue;
          if (this.readyEndpoints(ref.name, route.metadata.namespace).length === 0) {
            this.blackholes.push({ at: Date.now(), route: route.metadata.name, backend: ref.name, weight: ref.weight ?? 1 });
          }
        }
      }
    }
  }

  private podLog(key: string, tail: number): string {
    const pod = this.store.get("pods")!.get(key);
    if (!pod) throw new HttpError(404, "NotFound", `pods "${key}" not found`);
    const port = pod.spec.containers[0]?.ports?.[0]?.containerPort ?? 8080;
    const release = pod.metadata.labels?.["slipway.dev/release"] ?? "?";
    const lines = [`starting release ${release}`, `listening on :${port}`];
    return (tail > 0 ? lines.slice(-tail) : lines).join("\n") + "\n";
  }
}

function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
