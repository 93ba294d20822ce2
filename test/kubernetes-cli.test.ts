import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { FakeKubeApi } from "./support/fake-kube-api.js";
import { validateKubeObject } from "./support/kube-schemas.js";
import { TestProject, waitFor } from "./support/project.js";

/**
 * platform kubernetes end to end: the built CLI and a real daemon (its own
 * process) against the fake API server (test/support/fake-kube-api.ts, in
 * this process, over loopback HTTP): what the daemon wires, not what the
 * workload does (test/kubernetes-workload.test.ts).
 */

let fake: FakeKubeApi;
let project: TestProject | undefined;
let kubeconfigDir: string;
let kubeconfig: string;

function kubeConfig(port: number, kubeconfig: string, route = ""): string {
  return `name: shop
platform: kubernetes
listen: 127.0.0.1:${port}
app:
  image: registry.example.com/shop:1
  replicas: 2
  env: { GREETING: hello }
health:
  readiness: { http: /health, interval: 1s, failureThreshold: 3 }
strategy:
  type: rolling
  rolling: { maxSurge: 1, maxUnavailable: 0 }
  canary:
    replicas: 1
    steps: [{ setWeight: 20 }, { pause: {} }]
drain: { timeout: 1s }
progressDeadline: 20s
kubernetes:
  kubeconfig: ${kubeconfig}
${route}`;
}

/** A canary whose analysis step is a check alone (no request metrics on this platform): `check` is its command. */
function analysedCanary(port: number, check: string): string {
  return kubeConfig(port, kubeconfig)
    .replace(
      "steps: [{ setWeight: 20 }, { pause: {} }]",
      `steps: [{ setWeight: 50 }, { analysis: { interval: 200ms, window: 600ms, failureLimit: 0, checks: [{ run: "${check}" }] } }]`,
    )
    .replace("type: rolling", "type: canary");
}

function weights(): Record<string, number> {
  const route = fake.get("httproutes", "web")!;
  return Object.fromEntries((route.spec.rules[0].backendRefs as { name: string; weight: number }[]).map((r) => [r.name, r.weight]));
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

beforeEach(async () => {
  fake = await new FakeKubeApi().start();
  kubeconfigDir = mkdtempSync(join(tmpdir(), "slipway-kubeconfig-"));
  kubeconfig = fake.writeKubeconfig(join(kubeconfigDir, "kubeconfig"));
});

afterEach(async () => {
  await project?.cleanup();
  project = undefined;
  await fake.stop();
  rmSync(kubeconfigDir, { recursive: true, force: true });
});

describe("slipway deploy --dry-run", () => {
  it("prints the objects a first deploy applies, valid against the schemas, and starts nothing", async () => {
    const p = (project = await TestProject.create((port) => kubeConfig(port, "/nonexistent/kubeconfig")));
    const r = await p.run("deploy", "--dry-run", "--version", "v7", "--env", "MODE=fast");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      "Service/shop",
      "Service/shop-ping",
      "Service/shop-pong",
      "Deployment/shop-ping",
    ]);
    for (const d of docs) validateKubeObject(d);
    expect(r.stdout).toContain("value: fast");
    expect(existsSync(join(p.dir, ".slipway"))).toBe(false); // no daemon, no state
  });

  it("on another platform says the config is valid and that there is nothing to print", async () => {
    const p = (project = await TestProject.create());
    const r = await p.run("deploy", "--dry-run");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "hello: the config is valid; platform process applies no manifests (--dry-run prints them for platform kubernetes)\n",
    );
    expect(existsSync(join(p.dir, ".slipway"))).toBe(false);
  });
});

describe("slipway on platform kubernetes, through the daemon", () => {
  it("judges a canary by its checks alone: a passing check promotes it, a failing one rolls it back", async () => {
    const p = (project = await TestProject.create((port) => analysedCanary(port, "true")));
    await p.ok("deploy", "--version", "v1", "--strategy", "rolling");
    const good = await p.run("deploy", "--version", "v2");
    expect(good.stderr).toBe("");
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/analysis #1: pass/);
    expect(fake.get("services", "shop")!.metadata.annotations["slipway.dev/serving-slot"]).toBe("pong");

    p.writeConfig(analysedCanary(Number(new URL(p.url).port), "false"));
    const bad = await p.run("deploy", "--version", "v3");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/check .* failed/);
    expect((await p.status()).current?.version).toBe("v2");
    await waitFor("the canary's slot scaled to 0", () => fake.get("deployments", "shop-ping")?.spec.replicas === 0);
    expect(fake.get("deployments", "shop-pong")!.metadata.annotations["slipway.dev/version"]).toBe("v2");
  });

  it("deploys, shows the pods, binds no listener of its own, runs a canary by HTTPRoute weights, aborts it, rolls back and goes down", async () => {
    fake.put("httproutes", {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "web", namespace: "default" },
      spec: {
        rules: [
          {
            backendRefs: [
              { name: "shop-ping", port: 8080, weight: 100 },
              { name: "shop-pong", port: 8080, weight: 0 },
            ],
          },
        ],
      },
    });
    const p = (project = await TestProject.create((port) => kubeConfig(port, kubeconfig, "  httpRoute: web\n")));

    const v1 = await p.run("deploy", "--version", "v1");
    expect(v1.stderr).toBe("");
    expect(v1.code).toBe(0);
    expect(v1.stdout).toContain("Deployment shop-ping: 2/2 updated, 2 available");
    const s1 = await waitFor("two ready pods in status", async () => {
      const s = await p.status();
      return s.instances.length === 2 && s.instances.every((i) => i.state === "ready") ? s : undefined;
    });
    expect(s1.current?.version).toBe("v1");
    expect(s1.instances.map((i) => [i.version, i.inRotation])).toEqual([
      ["v1", true],
      ["v1", true],
    ]);
    expect(await refused(Number(new URL(p.url).port))).toBe(true); // the cluster serves the app, not Slipway's router
    const text = (await p.ok("status")).stdout;
    expect(text).toContain("traffic: the cluster: Service shop and HTTPRoute web in namespace default; serving slot ping");
    expect(text).toMatch(/shop-ping-\w+-\w+ +r1 v1 +ready +serving +pod on fake-node-\d, slot ping/);
    const logs = (await p.ok("logs", "-n", "1")).stdout.trim().split("\n");
    expect(logs).toHaveLength(2);
    expect(logs.every((l) => /shop-ping-\w+-\w+ \| listening on :8080$/.test(l))).toBe(true);

    // A slow and faltering API server: the route's patches answer 1.5 s late, and the first two
    // (weight 0 at the canary's start) with a 503. Slipway tries them again; deploy says
    // "paused at 20%" only once the HTTPRoute says so too.
    fake.delayNext("PATCH", /\/httproutes\/web$/, 1500, 4);
    fake.failNext("PATCH", /\/httproutes\/web$/, 503, 2);
    const canary = await p.run("deploy", "--version", "v2", "--strategy", "canary");
    expect(canary.code, canary.stderr).toBe(0);
    expect(canary.stdout).toContain("is paused");
    expect(weights()).toEqual({ "shop-ping": 80, "shop-pong": 20 });
    expect(fake.get("leases", "shop-slipway-deploy")).toBeDefined(); // held while the rollout runs

    const aborted = await p.run("abort");
    expect(aborted.code).toBe(0);
    expect(weights()).toEqual({ "shop-ping": 100, "shop-pong": 0 });
    await waitFor("the canary scaled to 0", () => fake.get("deployments", "shop-pong")?.spec.replicas === 0);
    await waitFor("the lease released", () => fake.get("leases", "shop-slipway-deploy") === undefined);

    await p.ok("deploy", "--version", "v3");
    expect(fake.get("deployments", "shop-ping")!.metadata.annotations["slipway.dev/version"]).toBe("v3");
    const back = await p.run("rollback");
    expect(back.code).toBe(0);
    expect(fake.get("deployments", "shop-ping")!.metadata.annotations["slipway.dev/version"]).toBe("v1");
    expect((await p.status()).current?.version).toBe("v1");

    await p.ok("down");
    expect(fake.list("deployments")).toEqual([]);
    expect(fake.list("services")).toEqual([]);
  });
});
