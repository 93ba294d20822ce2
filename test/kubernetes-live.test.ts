import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/clock.js";
import { parseConfig } from "../src/config/load.js";
import type { Config } from "../src/config/types.js";
import { connectCluster, KubernetesWorkload } from "../src/daemon/kubernetes-workload.js";
import { SlipwayError } from "../src/errors.js";
import { Ledger } from "../src/ledger/ledger.js";
import type { Release } from "../src/ledger/types.js";
import { KubeCluster } from "../src/platform/kubernetes/kube-cluster.js";
import type { Step } from "../src/rollout/workload.js";

/**
 * The Kubernetes scenarios against a real cluster: run when KUBECONFIG is
 * set (its current context), in namespace SLIPWAY_KUBE_NAMESPACE (default
 * "default"), with image SLIPWAY_KUBE_IMAGE (default agnhost, which serves
 * HTTP on the port given). Without KUBECONFIG the suite skips with one line:
 * the project's CI machines have no cluster (see docs/kubernetes.md).
 */

const LIVE = Boolean(process.env.KUBECONFIG);
if (!LIVE) console.log("kubernetes live suite skipped: KUBECONFIG is not set (docs/kubernetes.md, 'How it is tested')");

const NAMESPACE = process.env.SLIPWAY_KUBE_NAMESPACE ?? "default";
const IMAGE = process.env.SLIPWAY_KUBE_IMAGE ?? "registry.k8s.io/e2e-test-images/agnhost:2.53";
const NAME = `slipway-live-${process.pid}`;

describe.skipIf(!LIVE)("platform kubernetes on a real cluster", () => {
  let dir: string;
  let ledger: Ledger;
  let workload: KubernetesWorkload;
  let cluster: KubeCluster;
  let cfg: Config;
  const step = (): Step => ({ signal: new AbortController().signal, checkpoint: () => Promise.resolve(), note: (m) => console.log(m) });
  const release = (version: string): Release => {
    const r = ledger.createRelease({
      version,
      configText: "",
      config: cfg,
      configFile: "slipway.yaml",
      environment: null,
      env: {},
      snapshot: "",
    });
    ledger.setImage(r.id, IMAGE);
    return ledger.release(r.id)!;
  };
  const selector = async () => (await cluster.service(NAME))?.spec?.selector;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "slipway-kube-live-"));
    cfg = parseConfig(
      `name: ${NAME}
platform: kubernetes
app:
  image: ${IMAGE}
  command: ["/agnhost", "netexec", "--http-port=$PORT"]
  replicas: 2
health:
  readiness: { http: /, interval: 1s }
strategy:
  rolling: { maxSurge: 1, maxUnavailable: 0 }
drain: { timeout: 2s }
progressDeadline: 180s
kubernetes: { namespace: ${NAMESPACE} }
`,
      { file: "slipway.yaml", root: dir },
    ).config;
    ledger = Ledger.open(":memory:", systemClock);
    workload = new KubernetesWorkload(connectCluster, systemClock);
    cluster = KubeCluster.connect(cfg.kubernetes, systemClock);
  });

  afterAll(async () => {
    await workload?.down().catch(() => undefined);
    ledger?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("rolls out, rolls to a new release, runs a canary by pods and aborts it, switches blue-green and back, holds the lease", async () => {
    const r1 = release("v1");
    await workload.rollOut(r1, cfg, step());
    expect(await workload.awaitHealthy(r1, cfg, step())).toEqual({ ready: 2, replicas: 2 });
    workload.commit(r1);
    const r2 = release("v2");
    await workload.rollOut(r2, cfg, step());
    workload.commit(r2);
    expect((await cluster.deployment(`${NAME}-ping`))?.metadata?.annotations?.["slipway.dev/release"]).toBe(String(r2.id));

    const r3 = release("v3");
    await workload.startCanary(r3, cfg, 1, step());
    workload.setCanaryWeight(r3, 50);
    await workload.awaitHealthy(r2, cfg, step()); // waits for the weight change to be made
    expect((await selector())?.["slipway.dev/slot"]).toBeUndefined();
    expect(await workload.abandon(r3, r2, { reason: "rollout aborted", restore: true })).toEqual({ restored: true, error: null });
    expect((await selector())?.["slipway.dev/slot"]).toBe("ping");
    expect((await cluster.deployment(`${NAME}-pong`))?.spec?.replicas).toBe(0);

    const r4 = release("v4");
    await workload.startGreen(r4, cfg, 2, step());
    workload.switchTo(r4);
    workload.keepStandby(r2, 60_000);
    await workload.settle(r4, cfg, step());
    workload.commit(r4);
    expect((await selector())?.["slipway.dev/slot"]).toBe("pong");
    workload.switchTo(r2);
    workload.commit(r2);
    await workload.retire(r4);
    expect((await selector())?.["slipway.dev/slot"]).toBe("ping");

    const unclaim = await workload.claim(cfg, "live-test");
    const err = await new KubernetesWorkload(connectCluster, systemClock).claim(cfg, "someone-else").catch((e: unknown) => e);
    expect((err as SlipwayError).code).toBe("LOCK_HELD");
    await unclaim();
  }, 900_000);
});
