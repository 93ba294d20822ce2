import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiException } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock, type Clock } from "../src/clock.js";
import { apiStatus, isTransient, KubeApiError, RETRY_DELAYS, retrying } from "../src/platform/kubernetes/api-failure.js";
import { DeployLease } from "../src/platform/kubernetes/deploy-lease.js";
import { KubeCluster } from "../src/platform/kubernetes/kube-cluster.js";
import { FakeKubeApi } from "./support/fake-kube-api.js";

/**
 * KubeCluster's calls when the API server falters: the real client over
 * real HTTP against the fake API server (test/support/fake-kube-api.ts),
 * or against a loopback port nothing listens on. The clock below records
 * the waits between attempts and returns at once; it does not model time
 * passing (nothing here reads `now`).
 */

let fake: FakeKubeApi;
let dir: string;
let slept: number[];
const clock: Clock = {
  ...systemClock,
  sleep: (ms) => {
    slept.push(ms);
    return Promise.resolve();
  },
};

function cluster(server = fake): KubeCluster {
  const kubeconfig = server.writeKubeconfig(join(dir, "kubeconfig"));
  return KubeCluster.connect({ kubeconfig, port: 8080, imagePullSecrets: [], envFrom: [] }, clock);
}

const DEPLOYMENT = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "shop-ping", namespace: "default" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "shop" } },
    template: { metadata: { labels: { app: "shop" } }, spec: { containers: [{ name: "app", image: "shop:v1" }] } },
  },
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-kube-api-"));
  fake = await new FakeKubeApi().start();
  slept = [];
});

afterEach(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("transient failures are tried again", () => {
  it("a 503 twice, then the answer: the caller sees only the answer, after waits of 250 and 500 ms", async () => {
    const c = cluster();
    await c.applyDeployment(DEPLOYMENT);
    fake.failNext("GET", /\/deployments\/shop-ping$/, 503, 2);
    const d = await c.deployment("shop-ping");
    expect(d?.spec?.replicas).toBe(1);
    expect(slept).toEqual([250, 500]);
  });

  it("a read-then-write is repeated whole: a create answered 503 is tried again as a read, then a create", async () => {
    const c = cluster();
    fake.failNext("POST", /\/deployments$/, 503, 1);
    await c.applyDeployment(DEPLOYMENT);
    expect(fake.get("deployments", "shop-ping")?.spec.template.spec.containers[0].image).toBe("shop:v1");
    expect(fake.calls.filter((call) => call.method === "POST" && call.path.endsWith("/deployments"))).toHaveLength(2);
    expect(slept).toEqual([250]);
  });

  it("honours the server's Retry-After (429), capped at 5 s", async () => {
    const c = cluster();
    fake.failNext("GET", /\/services\/shop$/, 429, 1, 2);
    fake.failNext("GET", /\/services\/shop$/, 503, 1, 60);
    expect(await c.service("shop")).toBeNull();
    expect(slept).toEqual([2_000, 5_000]);
  });

  it("gives up after 6 attempts with one line: the call, the namespace, the status, the server's message and the count", async () => {
    const c = cluster();
    fake.failNext("PATCH", /\/deployments\/shop-ping$/, 503, 100);
    const err = await c.scale("shop-ping", 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as Error).message).toBe(
      "Kubernetes API: scale Deployment shop-ping to 3 in namespace default: 503 injected failure 503 (6 attempts)",
    );
    expect(apiStatus(err)).toBe(503);
    expect((err as KubeApiError).transient).toBe(true);
    expect(slept).toEqual([...RETRY_DELAYS]);
    expect(fake.calls.filter((call) => call.method === "PATCH")).toHaveLength(6);
  });

  it("a connection refused is tried again, then reported in one line", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const gone = new FakeKubeApi();
    gone.url = `http://127.0.0.1:${port}`;
    const err = await cluster(gone)
      .pods("shop")
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^Kubernetes API: list the pods of shop in namespace default: request to http://127\\.0\\.0\\.1:${port}/.* failed, reason: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(6 attempts\\)$`,
      ),
    );
    expect(apiStatus(err)).toBeUndefined();
    expect(slept).toHaveLength(5);
  });
});

describe("answers are not tried again", () => {
  it("a 403 fails at once, in one line without the client's body and headers dump", async () => {
    const c = cluster();
    fake.failNext("GET", /\/httproutes\/web$/, 403, 1);
    const err = await c.route("web").catch((e: unknown) => e);
    expect((err as Error).message).toBe("Kubernetes API: read HTTPRoute web in namespace default: 403 injected failure 403");
    expect((err as Error).message).not.toContain("\n");
    expect(apiStatus(err)).toBe(403);
    expect(isTransient(err)).toBe(false);
    expect(slept).toEqual([]);
  });

  it("a 404 on a read is 'none', not an error", async () => {
    expect(await cluster().deployment("nothing")).toBeNull();
    expect(slept).toEqual([]);
  });

  it("a lease write is tried once: a 409 on the replace still reaches the lease as another holder, a 503 on the create fails in one line", async () => {
    const c = cluster();
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    fake.put("leases", {
      metadata: { name: "shop-slipway-deploy", namespace: "default" },
      spec: { holderIdentity: "carol@three", leaseDurationSeconds: 30, acquireTime: hourAgo, renewTime: hourAgo },
    });
    // carol's lease expired; bob's replace loses to another writer (409), and the lease reads back as held
    fake.failNext("PUT", /\/leases\/shop-slipway-deploy$/, 409, 1);
    const lost = await new DeployLease(c, "shop", systemClock).acquire("bob@two").catch((e: unknown) => e);
    expect((lost as Error).message).toMatch(
      /^another Slipway is rolling out shop in namespace default: lease shop-slipway-deploy held by carol@three/,
    );
    expect(fake.calls.filter((call) => call.method === "PUT")).toHaveLength(1);

    await c.deleteLease("shop-slipway-deploy");
    fake.failNext("POST", /\/leases$/, 503, 1);
    const failed = await new DeployLease(c, "shop", systemClock).acquire("bob@two").catch((e: unknown) => e);
    expect((failed as Error).message).toBe(
      "Kubernetes API: create Lease shop-slipway-deploy in namespace default: 503 injected failure 503",
    );
    expect(fake.calls.filter((call) => call.method === "POST")).toHaveLength(1);
    expect(slept).toEqual([]);
  });
});

describe("retrying, on its own", () => {
  it("a failure that is neither an API answer nor a network error is kept to its first line", async () => {
    const err = await retrying(clock, "do a thing", () => Promise.reject(new Error("first line\nsecond line"))).catch((e: unknown) => e);
    expect((err as Error).message).toBe("Kubernetes API: do a thing: first line");
    expect(slept).toEqual([]);
  });

  it("a proxy's HTML page in front of the API server is named by its status, not dumped", async () => {
    const page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    const bad = () => Promise.reject(new ApiException(502, "Unknown API Status Code!", page, { "content-type": "text/html" }));
    const err = await retrying(clock, "read Service shop", bad).catch((e: unknown) => e);
    expect((err as Error).message).toBe("Kubernetes API: read Service shop: 502 Bad Gateway (6 attempts)");
    expect(slept).toEqual([...RETRY_DELAYS]);
  });
});
