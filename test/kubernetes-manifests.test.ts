import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import type { Config } from "../src/config/types.js";
import {
  appService,
  canaryPodsFor,
  containerCommand,
  deployLease,
  kubeProbe,
  routeWeightsPatch,
  slotDeployment,
} from "../src/platform/kubernetes/manifests.js";
import { deploymentProgress, podTrouble } from "../src/platform/kubernetes/pod-status.js";
import { applyJsonPatch } from "./support/fake-kube-api.js";
import { validateKubeObject } from "./support/kube-schemas.js";

/** The objects platform kubernetes builds, pure, each checked against the official schemas. */

function config(extra = ""): Config {
  return parseConfig(
    `name: shop
platform: kubernetes
app:
  image: shop:1
  replicas: 4
  command: ["node", "server.js", "--port", "$PORT", "--id", "$SLIPWAY_INSTANCE", "--cost", "$$(not-a-var)"]
  shutdown: { signal: SIGTERM, timeout: 10s }
  resources: { cpus: 0.5, memory: 256MB }
health:
  startup: { http: /health, interval: 500ms, timeout: 300ms, failureThreshold: 30 }
  readiness: { http: { path: /ready, port: 9000 }, interval: 2s, failureThreshold: 3, successThreshold: 2 }
  liveness: { exec: ["./alive.sh"], interval: 10s, initialDelay: 5s }
strategy:
  rolling: { maxSurge: 25%, maxUnavailable: 0, minReady: 1500ms }
drain: { timeout: 3s }
progressDeadline: 90s
retain: 5
kubernetes:
  namespace: shop-prod
  port: 3000
  serviceAccount: shop
  imagePullSecrets: [regcred]
  envFrom: [shop-secrets]
${extra}`,
    { file: "slipway.yaml", root: "/srv/shop" },
  ).config;
}

const deployment = () =>
  slotDeployment(
    {
      app: "shop",
      slot: "pong",
      releaseId: 7,
      version: "v1.2.0+build.5",
      image: "registry.example.com/shop:release-7",
      replicas: 4,
      env: { LOG_LEVEL: "debug", SLIPWAY_RELEASE: "7" },
      config: config(),
    },
    "shop-prod",
  );

describe("the slot Deployment", () => {
  it("passes the apps/v1 schema with every setting mapped", () => {
    const d = deployment();
    validateKubeObject(d);
    expect(d.metadata).toMatchObject({
      name: "shop-pong",
      namespace: "shop-prod",
      annotations: { "slipway.dev/release": "7", "slipway.dev/version": "v1.2.0+build.5" },
    });
    expect(d.spec!.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "shop", "slipway.dev/slot": "pong" });
    // the release is in the pod template's labels (a new release is a new template: the Deployment's rolling update)
    expect(d.spec!.template.metadata!.labels).toEqual({
      "app.kubernetes.io/name": "shop",
      "slipway.dev/slot": "pong",
      "slipway.dev/release": "7",
    });
    expect(d.spec!.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } });
    expect([d.spec!.minReadySeconds, d.spec!.progressDeadlineSeconds, d.spec!.revisionHistoryLimit]).toEqual([2, 90, 5]);
    const pod = d.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe("shop");
    expect(pod.imagePullSecrets).toEqual([{ name: "regcred" }]);
    // preStop sleeps drain.timeout (endpoint removal reaches every proxy first), then the app has shutdown.timeout
    expect(pod.terminationGracePeriodSeconds).toBe(13);
    const c = pod.containers[0]!;
    expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 3 } } });
    expect(c.ports).toEqual([{ name: "http", containerPort: 3000, protocol: "TCP" }]);
    expect(c.env).toEqual([
      { name: "LOG_LEVEL", value: "debug" },
      { name: "PORT", value: "3000" },
      { name: "SLIPWAY_RELEASE", value: "7" },
      { name: "SLIPWAY_INSTANCE", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ]);
    expect(c.envFrom).toEqual([{ secretRef: { name: "shop-secrets" } }]);
    expect(c.resources).toEqual({ limits: { cpu: "0.5", memory: "268435456" }, requests: { cpu: "0.5", memory: "268435456" } });
    expect(c.command).toEqual(["node", "server.js", "--port", "3000", "--id", "$(SLIPWAY_INSTANCE)", "--cost", "$$(not-a-var)"]);
  });

  it("maps each probe to the kubelet's, in whole seconds rounded up", () => {
    const { startupProbe, readinessProbe, livenessProbe } = deployment().spec!.template.spec!.containers[0]!;
    expect(startupProbe).toEqual({
      httpGet: { path: "/health", port: 3000 },
      initialDelaySeconds: 0,
      periodSeconds: 1,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 30,
    });
    expect(readinessProbe).toEqual({
      httpGet: { path: "/ready", port: 9000 },
      initialDelaySeconds: 0,
      periodSeconds: 2,
      timeoutSeconds: 1,
      successThreshold: 2,
      failureThreshold: 3,
    });
    expect(livenessProbe).toMatchObject({ exec: { command: ["./alive.sh"] }, initialDelaySeconds: 5, periodSeconds: 10 });
    expect(
      kubeProbe({ check: { kind: "tcp" }, initialDelay: 0, interval: 1500, timeout: 2500, successThreshold: 1, failureThreshold: 3 }, 80),
    ).toEqual({
      tcpSocket: { port: 80 },
      initialDelaySeconds: 0,
      periodSeconds: 2,
      timeoutSeconds: 3,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it("a string command runs with sh -c, its own $( escaped from Kubernetes' expansion", () => {
    expect(containerCommand(["sh", "-c", "exec node s.js --at $(date +%s)"], "shell", {}, [])).toEqual([
      "sh",
      "-c",
      "exec node s.js --at $$(date +%s)",
    ]);
  });
});

describe("Services, the Lease and the HTTPRoute patch", () => {
  it("builds Services and a Lease that pass their schemas", () => {
    const slot = appService("shop", "shop-ping", "ping", "shop-prod", 3000);
    const app = appService("shop", "shop", null, "shop-prod", 3000, { "slipway.dev/serving-slot": "ping" });
    for (const o of [slot, app, deployLease("shop", "shop-prod", "alice@laptop", 30, new Date(0))]) validateKubeObject(o);
    expect(slot.spec!.selector).toEqual({ "app.kubernetes.io/name": "shop", "slipway.dev/slot": "ping" });
    expect(app.spec!.selector).toEqual({ "app.kubernetes.io/name": "shop" });
    expect(slot.spec!.ports).toEqual([{ name: "http", port: 3000, targetPort: "http", protocol: "TCP" }]);
  });

  it("patches the weights of every rule that lists both slot Services, guarded by tests, leaving other backends alone", () => {
    const route = {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "web", namespace: "shop-prod" },
      spec: {
        parentRefs: [{ name: "gw" }],
        rules: [
          { backendRefs: [{ name: "other", port: 80, weight: 1 }] },
          {
            backendRefs: [
              { name: "shop-pong", port: 3000 },
              { name: "shop-ping", port: 3000, weight: 100 },
            ],
          },
        ],
      },
    };
    const ops = routeWeightsPatch(route, "shop", { ping: 70, pong: 30 }, "web");
    expect(ops).toEqual([
      { op: "test", path: "/spec/rules/1/backendRefs/1/name", value: "shop-ping" },
      { op: "replace", path: "/spec/rules/1/backendRefs/1/weight", value: 70 },
      { op: "test", path: "/spec/rules/1/backendRefs/0/name", value: "shop-pong" },
      { op: "add", path: "/spec/rules/1/backendRefs/0/weight", value: 30 },
    ]);
    const patched = applyJsonPatch(route, ops);
    validateKubeObject(patched);
    expect(patched.spec.rules[0]).toEqual(route.spec.rules[0]);
    // a route reordered since it was read: the tests refuse the patch
    const reordered = {
      ...route,
      spec: { ...route.spec, rules: [route.spec.rules[0]!, { backendRefs: [...route.spec.rules[1]!.backendRefs].reverse() }] },
    };
    expect(() => applyJsonPatch(reordered, ops)).toThrow(/test failed/);
  });
});

describe("the canary's share by pods (no HTTPRoute)", () => {
  it("rounds to the nearest pod count beside the stable pods, at least one", () => {
    expect([0, 5, 10, 20, 25, 50, 75, 100].map((w) => canaryPodsFor(w, 4))).toEqual([0, 1, 1, 1, 1, 4, 12, 4]);
  });
});

describe("reading a rollout like kubectl rollout status", () => {
  const d = (status: object, generation = 2): V1Deployment => ({
    metadata: { name: "shop-ping", generation },
    spec: { replicas: 3, selector: {}, template: {} },
    status,
  });

  it("is done only when the new spec is observed and every pod is updated and available", () => {
    expect(deploymentProgress(d({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }))).toMatchObject({
      done: false,
      failed: null,
    });
    expect(deploymentProgress(d({ observedGeneration: 2, replicas: 4, updatedReplicas: 2, availableReplicas: 3 }))).toEqual({
      done: false,
      failed: null,
      summary: "2/3 updated, 2 old, 3 available",
    });
    expect(deploymentProgress(d({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 })).done).toBe(true);
  });

  it("fails at ProgressDeadlineExceeded, but not on the previous rollout's condition before the controller saw the spec", () => {
    const stalled = {
      type: "Progressing",
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: 'ReplicaSet "x" has timed out progressing.',
    };
    expect(deploymentProgress(d({ observedGeneration: 2, conditions: [stalled] })).failed).toBe(
      'Deployment shop-ping exceeded its progress deadline: ReplicaSet "x" has timed out progressing.',
    );
    expect(deploymentProgress(d({ observedGeneration: 1, conditions: [stalled] })).failed).toBeNull();
  });

  it("names the pod trouble that will not pass by itself", () => {
    const pod = (state: object, lastState?: object) => ({
      status: {
        containerStatuses: [
          { name: "app", ready: false, restartCount: 3, image: "i", imageID: "", state, ...(lastState && { lastState }) },
        ],
      },
    });
    expect(
      podTrouble(
        pod({ waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } }, { terminated: { exitCode: 137, reason: "OOMKilled" } }),
      ),
    ).toBe("CrashLoopBackOff (last exit 137, OOMKilled): back-off 40s");
    expect(podTrouble(pod({ waiting: { reason: "ContainerCreating" } }))).toBeNull();
    expect(podTrouble(pod({ running: {} }))).toBeNull();
  });
});
