import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../src/clock.js";
import { parseConfig } from "../src/config/load.js";
import type { Config } from "../src/config/types.js";
import { connectCluster, KubernetesWorkload } from "../src/daemon/kubernetes-workload.js";
import { SlipwayError } from "../src/errors.js";
import { Ledger } from "../src/ledger/ledger.js";
import type { Release } from "../src/ledger/types.js";
import type { Step } from "../src/rollout/workload.js";
import { FakeKubeApi, type ApiCall } from "./support/fake-kube-api.js";
import { validateKubeObject } from "./support/kube-schemas.js";
import { waitFor } from "./support/project.js";

/**
 * platform kubernetes' workload against the fake API server
 * (test/support/fake-kube-api.ts: real HTTP, the real client; pods simulated),
 * each scenario from a fresh cluster. Every object Slipway sends is checked
 * against the official schemas at the end of each test.
 */

let fake: FakeKubeApi;
let dir: string;
let ledger: Ledger;
let workload: KubernetesWorkload;
let notes: string[];

function config(extra = "", replicas = 3): Config {
  const yaml = `name: shop
platform: kubernetes
app:
  image: shop:unused
  replicas: ${replicas}
  env: { LOG_LEVEL: debug }
  command: ["node", "server.js", "--port", "$PORT"]
  shutdown: { signal: SIGTERM, timeout: 5s }
  resources: { cpus: 0.5, memory: 256MB }
health:
  startup: { http: /health, interval: 500ms, failureThreshold: 30 }
  readiness: { http: /health, interval: 1s, timeout: 2s, failureThreshold: 3 }
  liveness: { tcp: {}, interval: 5s }
strategy:
  rolling: { maxSurge: 1, maxUnavailable: 0 }
  canary: { replicas: 1, steps: [{ setWeight: 20 }] }
drain: { timeout: 2s }
progressDeadline: 4s
kubernetes:
  kubeconfig: ${join(dir, "kubeconfig")}
${extra}`;
  return parseConfig(yaml, { file: "slipway.yaml", root: dir }).config;
}

function release(cfg: Config, version: string, image = `shop:${version}`): Release {
  const r = ledger.createRelease({
    version,
    configText: "",
    config: cfg,
    configFile: "slipway.yaml",
    environment: null,
    env: {},
    snapshot: "",
  });
  ledger.setImage(r.id, image);
  return ledger.release(r.id)!;
}

function step(signal = new AbortController().signal): Step {
  return { signal, checkpoint: () => Promise.resolve(), note: (m) => notes.push(m) };
}

const ROUTE = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "HTTPRoute",
  metadata: { name: "web", namespace: "default" },
  spec: {
    parentRefs: [{ name: "gateway" }],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix", value: "/" } }],
        backendRefs: [
          { name: "shop-ping", port: 8080, weight: 100 },
          { name: "shop-pong", port: 8080, weight: 0 },
        ],
      },
    ],
  },
};

function weights(): Record<string, number> {
  const route = fake.get("httproutes", "web")!;
  return Object.fromEntries((route.spec.rules[0].backendRefs as { name: string; weight: number }[]).map((r) => [r.name, r.weight]));
}

function replicas(slot: "ping" | "pong"): number | undefined {
  return fake.get("deployments", `shop-${slot}`)?.spec.replicas;
}

function podsOf(releaseId: number): string[] {
  return fake
    .list("pods")
    .filter((p) => p.metadata.labels["slipway.dev/release"] === String(releaseId) && !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name as string);
}

/** Release v1 deployed and committed, then a v2 release made: the start of every progressive scenario. */
async function servingV1(cfg: Config): Promise<{ r1: Release; r2: Release }> {
  const r1 = release(cfg, "v1");
  await workload.rollOut(r1, cfg, step());
  workload.commit(r1);
  return { r1, r2: release(cfg, "v2") };
}

/** Index of the first call matching, for order assertions. */
function callIndex(match: (c: ApiCall) => boolean): number {
  return fake.calls.findIndex(match);
}

/** Index of the last call matching. */
function lastCallIndex(match: (c: ApiCall) => boolean): number {
  for (let i = fake.calls.length - 1; i >= 0; i--) if (match(fake.calls[i]!)) return i;
  return -1;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-kube-"));
  fake = await new FakeKubeApi().start();
  fake.writeKubeconfig(join(dir, "kubeconfig"));
  ledger = Ledger.open(":memory:", systemClock);
  workload = new KubernetesWorkload(connectCluster, systemClock);
  notes = [];
});

afterEach(async () => {
  await workload.down().catch(() => undefined);
  // every object Slipway created or replaced, and every patched result, passes the official schemas
  for (const call of fake.calls) {
    if ((call.method === "POST" || call.method === "PUT") && call.body && typeof call.body === "object") validateKubeObject(call.body);
  }
  for (const plural of ["deployments", "services", "httproutes", "leases"]) for (const o of fake.list(plural)) validateKubeObject(o);
  await fake.stop();
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("rolling: the serving Deployment's own rolling update", () => {
  it("creates the Services and a slot Deployment, then rolls it to the next release and follows its progress", async () => {
    const cfg = config();
    const r1 = release(cfg, "v1");
    await workload.rollOut(r1, cfg, step());
    expect(await workload.awaitHealthy(r1, cfg, step())).toEqual({ ready: 3, replicas: 3 });
    workload.commit(r1);
    expect(fake.list("services").map((s) => [s.metadata.name, s.spec.selector])).toEqual([
      ["shop", { "app.kubernetes.io/name": "shop", "slipway.dev/slot": "ping" }],
      ["shop-ping", { "app.kubernetes.io/name": "shop", "slipway.dev/slot": "ping" }],
      ["shop-pong", { "app.kubernetes.io/name": "shop", "slipway.dev/slot": "pong" }],
    ]);
    expect(fake.readyEndpoints("shop")).toHaveLength(3);
    expect(notes.some((n) => /Deployment shop-ping: 3\/3 updated, 3 available/.test(n))).toBe(true);

    const r2 = release(cfg, "v2");
    await workload.rollOut(r2, cfg, step());
    const d = fake.get("deployments", "shop-ping")!;
    expect(d.metadata.annotations["slipway.dev/release"]).toBe(String(r2.id));
    expect(podsOf(r1.id)).toEqual([]);
    expect(podsOf(r2.id)).toHaveLength(3);
    expect(fake.get("deployments", "shop-pong")).toBeUndefined(); // the other slot is never made for a rolling deploy
    await waitFor(
      "status from the pods",
      () => workload.instances().length === 3 && workload.instances().every((i) => i.state === "ready"),
    );
    expect(workload.instances().map((i) => [i.release, i.version, i.inRotation])).toEqual([
      [r2.id, "v2", true],
      [r2.id, "v2", true],
      [r2.id, "v2", true],
    ]);
    expect(workload.runningReleases()).toEqual([r2.id]);
  });

  it("a release whose pods never become ready fails at the Deployment's progress deadline; the undo applies the previous release again", async () => {
    const cfg = config();
    const r1 = release(cfg, "v1");
    await workload.rollOut(r1, cfg, step());
    workload.commit(r1);
    const r2 = release(cfg, "v2", "shop:never-ready");
    await expect(workload.rollOut(r2, cfg, step())).rejects.toThrow(
      /did not finish within progressDeadline|exceeded its progress deadline/,
    );
    // maxUnavailable 0: the old pods kept serving throughout
    expect(fake.readyEndpoints("shop").length).toBeGreaterThanOrEqual(3);
    const undone = await workload.abandon(r2, r1, { reason: "rollout failed", restore: true, note: (m) => notes.push(m) });
    expect(undone.error).toBeNull();
    expect(undone.restored).toBe(true);
    expect(fake.get("deployments", "shop-ping")!.metadata.annotations["slipway.dev/release"]).toBe(String(r1.id));
    await waitFor("release 2's pods to be gone", () => podsOf(r2.id).length === 0);
    expect(podsOf(r1.id)).toHaveLength(3);
  });

  it("a crashing pod fails the rollout at once, naming the pod and CrashLoopBackOff", async () => {
    const cfg: Config = { ...config(), progressDeadline: 60_000 };
    const r1 = release(cfg, "v1", "shop:crash");
    const started = Date.now();
    const err = await workload.rollOut(r1, cfg, step()).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^pod shop-ping-\w+-\w+ of release 1: CrashLoopBackOff \(last exit 1, Error\)/);
    expect(Date.now() - started).toBeLessThan(60_000); // long before the deadline
  });
});

describe("canary with an HTTPRoute: weights in one guarded JSON patch", () => {
  beforeEach(() => fake.put("httproutes", ROUTE));

  it("starts the canary in the other slot with no traffic until ready, shifts weight, promotes by weight, then scales the old slot down", async () => {
    const cfg = config("  httpRoute: web\n");
    const r1 = release(cfg, "v1");
    await workload.rollOut(r1, cfg, step());
    workload.commit(r1);
    fake.blackholes.length = 0;
    const r2 = release(cfg, "v2");
    await workload.startCanary(r2, cfg, 1, step());
    expect(podsOf(r2.id)).toHaveLength(1);
    expect(fake.readyEndpoints("shop-pong")).toHaveLength(1);
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
    expect(fake.get("services", "shop-preview")!.spec.selector["slipway.dev/slot"]).toBe("pong");

    workload.setCanaryWeight(r2, 20);
    await waitFor("the weights", () => weights()["shop-pong"] === 20);
    expect(weights()).toEqual({ "shop-ping": 80, "shop-pong": 20 });
    const patch = fake.calls.find((c) => c.path.endsWith("/httproutes/web") && JSON.stringify(c.body).includes('"value":20'))!;
    expect(patch.contentType).toBe("application/json-patch+json");
    expect(patch.body).toEqual([
      { op: "test", path: "/spec/rules/0/backendRefs/0/name", value: "shop-ping" },
      { op: "replace", path: "/spec/rules/0/backendRefs/0/weight", value: 80 },
      { op: "test", path: "/spec/rules/0/backendRefs/1/name", value: "shop-pong" },
      { op: "replace", path: "/spec/rules/0/backendRefs/1/weight", value: 20 },
    ]);
    // the slot Services' selectors never changed
    expect(fake.calls.filter((c) => /\/services\/shop-p[io]ng$/.test(c.path))).toEqual([]);

    await workload.promote(r2, cfg, step());
    expect(weights()).toEqual({ "shop-ping": 0, "shop-pong": 100 });
    expect(replicas("pong")).toBe(3);
    expect(replicas("ping")).toBe(0);
    // all traffic moved before the old slot was scaled down
    const moved = callIndex((c) => c.path.endsWith("/httproutes/web") && JSON.stringify(c.body).includes('"value":100'));
    const scaledDown = callIndex((c) => c.path.endsWith("/deployments/shop-ping") && JSON.stringify(c.body).includes('"value":0'));
    expect(moved).toBeGreaterThan(-1);
    expect(scaledDown).toBeGreaterThan(moved);
    expect(fake.get("services", "shop")!.metadata.annotations["slipway.dev/serving-slot"]).toBe("pong");
    expect(fake.blackholes).toEqual([]); // no weighted backend was ever without a ready endpoint
  });

  it("an abort sends all traffic back to the stable slot before the canary's pods go: no blackhole, nothing Degraded", async () => {
    const cfg = config("  httpRoute: web\n");
    const { r1, r2 } = await servingV1(cfg);
    await workload.startCanary(r2, cfg, 1, step());
    workload.setCanaryWeight(r2, 50);
    fake.blackholes.length = 0;
    const undone = await workload.abandon(r2, r1, { reason: "rollout aborted", restore: true });
    expect(undone).toEqual({ restored: true, error: null });
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
    const back = lastCallIndex((c) => c.path.endsWith("/httproutes/web"));
    const scaled = lastCallIndex((c) => c.path.endsWith("/deployments/shop-pong"));
    expect(scaled).toBeGreaterThan(back);
    await waitFor("the canary's pods to be gone", () => podsOf(r2.id).length === 0);
    expect(fake.readyEndpoints("shop-ping")).toHaveLength(3);
    expect(fake.blackholes).toEqual([]);
  });

  it("a route without both slot Services is refused with what to add", async () => {
    fake.put("httproutes", { ...ROUTE, spec: { rules: [{ backendRefs: [{ name: "shop", port: 8080 }] }] } });
    const cfg = config("  httpRoute: web\n");
    const r1 = release(cfg, "v1");
    await expect(workload.rollOut(r1, cfg, step())).rejects.toThrow(
      'HTTPRoute web has no rule whose backendRefs list both Services shop-ping and shop-pong; add them (docs/kubernetes.md, "Traffic")',
    );
  });

  it("an API server that falters: the route's patches and reads are tried again, a lasting failure is one line, and the abort still restores", async () => {
    const cfg = config("  httpRoute: web\n");
    const { r1, r2 } = await servingV1(cfg);
    // the weight-0 patch at the canary's start (awaited directly, not queued) and a read of the route answer 503 twice
    fake.failNext("PATCH", /\/httproutes\/web$/, 503, 2);
    fake.failNext("GET", /\/httproutes\/web$/, 503, 1);
    await workload.startCanary(r2, cfg, 1, step());
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
    fake.failNext("PATCH", /\/httproutes\/web$/, 502, 2);
    workload.setCanaryWeight(r2, 20);
    await waitFor("the weights", () => weights()["shop-pong"] === 20);

    // six 503s in a row: the queued change gives up, and the rollout's next step says so in one line
    fake.failNext("PATCH", /\/httproutes\/web$/, 503, 6);
    workload.setCanaryWeight(r2, 50);
    const err = await workload.promote(r2, cfg, step()).catch((e: unknown) => e);
    expect((err as Error).message).toBe("Kubernetes API: patch HTTPRoute web in namespace default: 503 injected failure 503 (6 attempts)");
    expect(weights()).toEqual({ "shop-ping": 80, "shop-pong": 20 });

    // the undo meets one more 503 and goes through it
    fake.failNext("PATCH", /\/httproutes\/web$/, 503, 1);
    expect(await workload.abandon(r2, r1, { reason: "rollout aborted", restore: true })).toEqual({ restored: true, error: null });
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
    await waitFor("the canary's pods to be gone", () => podsOf(r2.id).length === 0);
  });

  it("a weight patch whose guard the server refuses (422: the route changed since it was read) is built again from a fresh read", async () => {
    const cfg = config("  httpRoute: web\n");
    const { r2 } = await servingV1(cfg);
    await workload.startCanary(r2, cfg, 1, step());
    fake.failNext("PATCH", /\/httproutes\/web$/, 422, 1);
    const before = fake.calls.length;
    workload.setCanaryWeight(r2, 20);
    await waitFor("the weights", () => weights()["shop-pong"] === 20);
    expect(fake.calls.slice(before).filter((c) => c.method === "PATCH" && c.path.endsWith("/httproutes/web"))).toHaveLength(2);
    await workload.promote(r2, cfg, step());
    expect(weights()).toEqual({ "shop-ping": 0, "shop-pong": 100 });
  });

  it("a route that the server keeps refusing (422) fails the next step after three fresh reads, in one line", async () => {
    const cfg = config("  httpRoute: web\n");
    const { r2 } = await servingV1(cfg);
    await workload.startCanary(r2, cfg, 1, step());
    fake.failNext("PATCH", /\/httproutes\/web$/, 422, 3);
    workload.setCanaryWeight(r2, 20);
    await expect(workload.promote(r2, cfg, step())).rejects.toThrow(
      /^Kubernetes API: patch HTTPRoute web in namespace default: 422 injected failure 422$/,
    );
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
  });
});

describe("without an HTTPRoute: the canary's share is its share of the Service's pods", () => {
  it("scales the canary to the share, widens the Service <app> to both slots, and narrows it back on abort", async () => {
    const cfg = config("", 4);
    const { r1, r2 } = await servingV1(cfg);
    await workload.startCanary(r2, cfg, 1, step());
    expect(fake.get("services", "shop")!.spec.selector).toEqual({ "app.kubernetes.io/name": "shop", "slipway.dev/slot": "ping" }); // weight 0
    workload.setCanaryWeight(r2, 50);
    await waitFor("4 canary pods beside 4 stable ones", () => replicas("pong") === 4);
    await waitFor("the Service to select both slots", () => !fake.get("services", "shop")!.spec.selector["slipway.dev/slot"]);
    await waitFor("8 ready endpoints", () => fake.readyEndpoints("shop").length === 8);
    await workload.abandon(r2, r1, { reason: "rollout aborted", restore: true });
    expect(fake.get("services", "shop")!.spec.selector).toEqual({ "app.kubernetes.io/name": "shop", "slipway.dev/slot": "ping" });
    expect(replicas("pong")).toBe(0);
  });
});

describe("blue-green: green at full size in the other slot, one switch, an instant switch back", () => {
  it("switches by weight, keeps blue as standby, and a rollback switches back without starting a pod", async () => {
    fake.put("httproutes", ROUTE);
    const cfg = config("  httpRoute: web\n");
    const { r1, r2 } = await servingV1(cfg);
    await workload.startGreen(r2, cfg, 3, step());
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
    workload.switchTo(r2);
    workload.keepStandby(r1, 60_000);
    await workload.settle(r2, cfg, step());
    expect(weights()).toEqual({ "shop-ping": 0, "shop-pong": 100 });
    expect(await workload.awaitHealthy(r2, cfg, step())).toEqual({ ready: 3, replicas: 3 });
    workload.commit(r2);
    await waitFor("blue counted as standby", () => workload.standbyReady(r1.id) === 3);
    expect(workload.standby).toMatchObject({ release: r1.id, version: "v1" });
    const podsBefore = fake.calls.filter((c) => c.path.includes("/deployments")).length;

    // slipway rollback: a switch (Rollouts.switchBack), then the release left retires
    workload.switchTo(r1);
    workload.commit(r1);
    await workload.retire(r2);
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
    expect(fake.get("services", "shop")!.metadata.annotations["slipway.dev/serving-slot"]).toBe("ping");
    expect(replicas("ping")).toBe(3);
    expect(replicas("pong")).toBe(0);
    // no Deployment was applied for the switch back: only green's scale-down
    expect(
      fake.calls
        .filter((c) => c.path.includes("/deployments"))
        .slice(podsBefore)
        .map((c) => c.method),
    ).toEqual(["PATCH"]);
  });
});

describe("a daemon restarted: the cluster is read back", () => {
  it("finds the serving slot from the Service <app> and scales down a canary left by an interrupted rollout", async () => {
    fake.put("httproutes", ROUTE);
    const cfg = config("  httpRoute: web\n");
    const { r1, r2 } = await servingV1(cfg);
    await workload.startCanary(r2, cfg, 1, step());
    workload.setCanaryWeight(r2, 20);
    await waitFor("the weights", () => weights()["shop-pong"] === 20);

    const restarted = new KubernetesWorkload(connectCluster, systemClock);
    try {
      await restarted.recover(r1, cfg, step());
      expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
      expect(replicas("pong")).toBe(0);
      await waitFor("status of the adopted pods", () => restarted.instances().filter((i) => i.state === "ready").length === 3);
      expect(restarted.runningReleases()).toContain(r1.id);
    } finally {
      await restarted.down();
    }
  });

  it("deploys the current release again when the app was deleted meanwhile", async () => {
    const cfg = config();
    const r1 = release(cfg, "v1");
    await workload.recover(r1, cfg, step());
    expect(podsOf(r1.id)).toHaveLength(3);
  });
});

describe("the deploy lease: one Slipway at a time per app and namespace, across machines", () => {
  it("refuses a second holder while held, frees on release, and takes over a lease that expired", async () => {
    const cfg = config();
    const release1 = await workload.claim(cfg, "alice@laptop");
    const other = new KubernetesWorkload(connectCluster, systemClock);
    const err = await other.claim(cfg, "bob@ci").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe("LOCK_HELD");
    expect((err as SlipwayError).message).toMatch(
      /^another Slipway is rolling out shop in namespace default: lease shop-slipway-deploy held by alice@laptop, renewed \d+s ago$/,
    );
    await release1();
    expect(fake.get("leases", "shop-slipway-deploy")).toBeUndefined();
    const release2 = await other.claim(cfg, "bob@ci");
    expect(fake.get("leases", "shop-slipway-deploy")!.spec.holderIdentity).toBe("bob@ci");
    await release2();

    // a Slipway that died holding it: its lease expired 30 s after the last renewal
    const stale = new Date(Date.now() - 120_000).toISOString();
    fake.put("leases", {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "shop-slipway-deploy", namespace: "default" },
      spec: { holderIdentity: "crashed@host", leaseDurationSeconds: 30, acquireTime: stale, renewTime: stale },
    });
    const release3 = await workload.claim(cfg, "alice@laptop");
    expect(fake.get("leases", "shop-slipway-deploy")!.spec.holderIdentity).toBe("alice@laptop");
    await release3();
  });

  it("a missing kubeconfig is one config error before anything is sent", async () => {
    const cfg = config().kubernetes;
    const err = await new KubernetesWorkload(connectCluster, systemClock)
      .claim({ ...config(), kubernetes: { ...cfg, kubeconfig: join(dir, "nope") } }, "alice")
      .catch((e: unknown) => e);
    expect((err as SlipwayError).code).toBe("CONFIG_INVALID");
    expect((err as SlipwayError).message).toBe(`kubernetes.kubeconfig: ${join(dir, "nope")} does not exist`);
    expect(fake.calls).toEqual([]);
  });
});

describe("logs, status and down", () => {
  it("reads each pod's log lines, prefixed with the pod; down deletes the app's Deployments and Services but not the user's HTTPRoute", async () => {
    fake.put("httproutes", ROUTE);
    const cfg = config("  httpRoute: web\n", 2);
    const r1 = release(cfg, "v1");
    await workload.rollOut(r1, cfg, step());
    const lines: string[] = [];
    for await (const line of workload.logs(r1).tail(5)) lines.push(line);
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => /^shop-ping-\w+-\w+ \| (starting release 1|listening on :8080)$/.test(l))).toBe(true);
    const pod = podsOf(r1.id)[0]!;
    expect(await workload.tail(pod, 1)).toEqual(["listening on :8080"]);
    await workload.down();
    expect(fake.list("deployments")).toEqual([]);
    expect(fake.list("services")).toEqual([]);
    expect(fake.get("httproutes", "web")).toBeDefined();
    expect(workload.instances()).toEqual([]);
  });
});
