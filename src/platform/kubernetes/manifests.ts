/**
 * The objects platform kubernetes sends, built from a release and its config
 * (pure: no API call). An app runs in two slot Deployments, `<app>-ping` and
 * `<app>-pong`, each with its Service of the same name whose selector is the
 * slot and never changes (Argo Rollouts' "ping-pong"): the app's release
 * serves from one slot, a canary or green from the other, and promotion is a
 * weight change on the HTTPRoute, never a selector flip under traffic. The
 * Service `<app>` follows the serving slot for clients that use no Gateway,
 * and `<app>-preview` the other slot (blue-green's preview).
 */
import type { V1Container, V1Deployment, V1Lease, V1Probe, V1Service } from "@kubernetes/client-node";
import { commandVarNames, wordPieces } from "../../config/command-vars.js";
import type { Config, IntOrPercent, ProbeSpec } from "../../config/types.js";

export type Slot = "ping" | "pong";

export const SLOTS: readonly Slot[] = ["ping", "pong"];

/** Labels and annotations Slipway sets and selects by. */
export const LABEL = {
  app: "app.kubernetes.io/name",
  managedBy: "app.kubernetes.io/managed-by",
  slot: "slipway.dev/slot",
  release: "slipway.dev/release",
} as const;

export const ANNOTATION = {
  version: "slipway.dev/version",
  release: "slipway.dev/release",
  /** On the Service `<app>`: the slot serving the app's release. */
  servingSlot: "slipway.dev/serving-slot",
} as const;

export function otherSlot(slot: Slot): Slot {
  return slot === "ping" ? "pong" : "ping";
}

/** The names of an app's objects. */
export function kubeNames(app: string): { slot: (slot: Slot) => string; service: string; preview: string; lease: string } {
  return {
    slot: (slot) => `${app}-${slot}`,
    service: app,
    preview: `${app}-preview`,
    lease: `${app}-slipway-deploy`,
  };
}

/** What a slot's Deployment runs: one release of the app at a size. */
export interface SlotRelease {
  app: string;
  slot: Slot;
  releaseId: number;
  version: string;
  image: string;
  replicas: number;
  /** The release's environment (app.env, passEnv), SLIPWAY_RELEASE and SLIPWAY_VERSION included. */
  env: Record<string, string>;
  config: Config;
}

/** Seconds for a duration in ms, rounded up, at least `min` (Kubernetes counts whole seconds). */
export function seconds(ms: number, min = 1): number {
  return Math.max(min, Math.ceil(ms / 1000));
}

/** `$(` in a word Kubernetes would expand, taken literally. */
function literal(text: string): string {
  return text.replaceAll("$(", () => "$$("); // a function: in a replacement string "$$" means "$"
}

/**
 * The container's command. A list's references to Slipway's variables and
 * the release's env are filled in here; SLIPWAY_INSTANCE (the pod's name)
 * differs per pod and becomes Kubernetes' own `$(SLIPWAY_INSTANCE)`. A string
 * runs with `sh -c` and expands its variables itself. Either way a `$(` the
 * user wrote is escaped so Kubernetes leaves it alone.
 *
 * @example
 * containerCommand(["node", "s.js", "--port", "$PORT"], "words", { PORT: "8080" }, []); // ["node", "s.js", "--port", "8080"]
 */
export function containerCommand(
  command: readonly string[],
  form: Config["app"]["commandForm"],
  env: Readonly<Record<string, string>>,
  names: readonly string[],
): string[] {
  if (form !== "words") return command.map(literal); // ["sh", "-c", line] or words already split
  return command.map((word) =>
    wordPieces(word, names)
      .map((piece) =>
        typeof piece === "string" ? literal(piece) : piece.name in env ? literal(env[piece.name] ?? "") : `$(${piece.name})`,
      )
      .join(""),
  );
}

/** A probe of the config as the kubelet's: whole seconds (rounded up), the app's port unless the probe names one. */
export function kubeProbe(spec: ProbeSpec, port: number): V1Probe {
  const { check } = spec;
  const action: V1Probe =
    check.kind === "http"
      ? { httpGet: { path: check.path, port: check.port ?? port } }
      : check.kind === "tcp"
        ? { tcpSocket: { port: check.port ?? port } }
        : { exec: { command: [...check.command] } };
  return {
    ...action,
    initialDelaySeconds: spec.initialDelay > 0 ? seconds(spec.initialDelay) : 0,
    periodSeconds: seconds(spec.interval),
    timeoutSeconds: seconds(spec.timeout),
    successThreshold: spec.successThreshold,
    failureThreshold: spec.failureThreshold,
  };
}

function intOrPercent(value: IntOrPercent): number | string {
  return "count" in value ? value.count : `${value.percent}%`;
}

/**
 * The pod's stop: a preStop sleep of drain.timeout keeps it serving while
 * endpoint removal reaches every proxy and Gateway (the kubelet sends SIGTERM
 * only after preStop), then app.shutdown.timeout for the app to finish; the
 * grace period covers both.
 */
function stopping(config: Config): { preStopSeconds: number; gracePeriod: number } {
  const preStopSeconds = seconds(config.drain.timeout);
  return { preStopSeconds, gracePeriod: preStopSeconds + seconds(config.app.shutdown.timeout) };
}

/** The Deployment of one slot running one release. */
export function slotDeployment(r: SlotRelease, namespace: string): V1Deployment {
  const { config } = r;
  const k = config.kubernetes;
  const names = kubeNames(r.app);
  const selector = { [LABEL.app]: r.app, [LABEL.slot]: r.slot };
  const env = { ...r.env, PORT: String(k.port) };
  const { preStopSeconds, gracePeriod } = stopping(config);
  const resources = config.app.resources;
  const limits: Record<string, string> = {};
  if (resources?.cpus !== undefined) limits["cpu"] = String(resources.cpus);
  if (resources?.memory !== undefined) limits["memory"] = String(resources.memory);
  const { startup, readiness, liveness } = config.health;
  const container: V1Container = {
    name: "app",
    image: r.image,
    ...(config.app.command.length > 0 && {
      command: containerCommand(config.app.command, config.app.commandForm, env, commandVarNames("kubernetes", r.env)),
    }),
    ports: [{ name: "http", containerPort: k.port, protocol: "TCP" }],
    env: [
      ...Object.entries(env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value })),
      { name: "SLIPWAY_INSTANCE", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
    ...(k.envFrom.length > 0 && { envFrom: k.envFrom.map((name) => ({ secretRef: { name } })) }),
    ...(Object.keys(limits).length > 0 && { resources: { limits, requests: limits } }),
    ...(startup && { startupProbe: kubeProbe(startup, k.port) }),
    ...(readiness && { readinessProbe: kubeProbe(readiness, k.port) }),
    ...(liveness && { livenessProbe: kubeProbe(liveness, k.port) }),
    lifecycle: { preStop: { sleep: { seconds: preStopSeconds } } },
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: names.slot(r.slot),
      namespace,
      labels: { [LABEL.app]: r.app, [LABEL.managedBy]: "slipway", [LABEL.slot]: r.slot },
      annotations: { [ANNOTATION.release]: String(r.releaseId), [ANNOTATION.version]: r.version },
    },
    spec: {
      replicas: r.replicas,
      selector: { matchLabels: selector },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: {
          maxSurge: intOrPercent(config.strategy.rolling.maxSurge),
          maxUnavailable: intOrPercent(config.strategy.rolling.maxUnavailable),
        },
      },
      minReadySeconds: config.strategy.rolling.minReady > 0 ? seconds(config.strategy.rolling.minReady) : 0,
      progressDeadlineSeconds: seconds(config.progressDeadline),
      revisionHistoryLimit: Math.max(1, config.retain),
      template: {
        metadata: {
          labels: { ...selector, [LABEL.release]: String(r.releaseId) },
          annotations: { [ANNOTATION.version]: r.version },
        },
        spec: {
          containers: [container],
          terminationGracePeriodSeconds: gracePeriod,
          ...(k.serviceAccount !== undefined && { serviceAccountName: k.serviceAccount }),
          ...(k.imagePullSecrets.length > 0 && { imagePullSecrets: k.imagePullSecrets.map((name) => ({ name })) }),
        },
      },
    },
  };
}

/**
 * A Service of the app: a slot's (its selector the slot, for good), the
 * app's (`<app>`, the serving slot, or every pod of the app while a canary
 * without an HTTPRoute takes its share by pods) or the preview (the other slot).
 */
export function appService(
  app: string,
  name: string,
  selectSlot: Slot | null,
  namespace: string,
  port: number,
  annotations: Record<string, string> = {},
): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace,
      labels: { [LABEL.app]: app, [LABEL.managedBy]: "slipway" },
      ...(Object.keys(annotations).length > 0 && { annotations }),
    },
    spec: {
      type: "ClusterIP",
      selector: selectSlot ? { [LABEL.app]: app, [LABEL.slot]: selectSlot } : { [LABEL.app]: app },
      ports: [{ name: "http", port, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/** The deploy lock across machines: a Lease held by one Slipway while it rolls out. */
export function deployLease(app: string, namespace: string, holder: string, durationSeconds: number, now: Date): V1Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: kubeNames(app).lease, namespace, labels: { [LABEL.app]: app, [LABEL.managedBy]: "slipway" } },
    spec: { holderIdentity: holder, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now },
  };
}

/** One JSON Patch operation (RFC 6902). */
export type JsonPatchOp = { op: "test" | "replace" | "add"; path: string; value: unknown };

/** An HTTPRoute as far as weights go. */
export interface RouteRules {
  spec?: { rules?: { backendRefs?: { name: string; kind?: string; group?: string; weight?: number }[] }[] };
}

/**
 * The JSON Patch that gives the slot Services their weights in every rule of
 * the HTTPRoute that lists both. Each replace is preceded by a `test` of the
 * backend's name at that index, so a route reordered meanwhile is refused
 * (422) rather than given weights in the wrong place; a merge patch would
 * have replaced the whole list. Throws, naming what is missing, when no rule
 * lists both slot Services.
 */
export function routeWeightsPatch(route: RouteRules, app: string, weights: Record<Slot, number>, routeName: string): JsonPatchOp[] {
  const names = kubeNames(app);
  const ops: JsonPatchOp[] = [];
  (route.spec?.rules ?? []).forEach((rule, i) => {
    const refs = rule.backendRefs ?? [];
    const at = SLOTS.map((slot) => refs.findIndex((ref) => ref.name === names.slot(slot) && (ref.kind ?? "Service") === "Service"));
    if (at.some((j) => j < 0)) return;
    SLOTS.forEach((slot, s) => {
      const j = at[s]!;
      ops.push({ op: "test", path: `/spec/rules/${i}/backendRefs/${j}/name`, value: names.slot(slot) });
      ops.push({
        op: refs[j]!.weight === undefined ? "add" : "replace",
        path: `/spec/rules/${i}/backendRefs/${j}/weight`,
        value: weights[slot],
      });
    });
  });
  if (ops.length === 0) {
    throw new Error(
      `HTTPRoute ${routeName} has no rule whose backendRefs list both Services ${names.slot("ping")} and ${names.slot("pong")}; add them (docs/kubernetes.md, "Traffic")`,
    );
  }
  return ops;
}

/** Pods a canary needs for `weight` percent beside `stable` pods when its share is its share of the pods (no HTTPRoute). */
export function canaryPodsFor(weight: number, stable: number): number {
  if (weight <= 0) return 0;
  if (weight >= 100) return stable;
  return Math.max(1, Math.round((stable * weight) / (100 - weight)));
}
