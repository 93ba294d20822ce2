/**
 * Cross-field rules that one field's schema cannot express. Each guard is a
 * named function from the normalized config to its problems (empty when the
 * rule holds), so every rule is listed, testable and reported together.
 * Single-field rules (e.g. probe thresholds >= 1) live in the schema.
 */
import { addressesClash, formatAddress } from "./address.js";
import type { Problem } from "./problem.js";
import type { AnalysisConfig, CheckSpec, Config, IntOrPercent, ListenAddress } from "./types.js";

/** Resolves a count-or-percent against `total` (percentages round up, or down with `roundDown`). */
export function resolveIntOrPercent(value: IntOrPercent, total: number, roundDown = false): number {
  if ("count" in value) return value.count;
  const exact = (value.percent * total) / 100;
  return roundDown ? Math.floor(exact) : Math.ceil(exact);
}

/** maxSurge and maxUnavailable cannot both be 0: no instance could ever be replaced. */
export function ensureRollingCanProgress(config: Config): Problem[] {
  const { maxSurge, maxUnavailable } = config.strategy.rolling;
  const replicas = config.app.replicas;
  if (resolveIntOrPercent(maxSurge, replicas) > 0 || resolveIntOrPercent(maxUnavailable, replicas, true) > 0) return [];
  const rounded = "percent" in maxSurge || "percent" in maxUnavailable ? ` (with ${replicas} replicas both round to 0)` : "";
  return [
    {
      path: ["strategy", "rolling"],
      message: `maxSurge and maxUnavailable cannot both be 0${rounded}, or no instance could ever be replaced`,
    },
  ];
}

/** strategy.type canary needs a strategy.canary section; blue-green needs strategy.blueGreen.previewListen. */
export function ensureStrategySection(config: Config): Problem[] {
  const { type, canary, blueGreen } = config.strategy;
  if (type === "canary" && !canary) {
    return [{ path: ["strategy", "canary"], message: "is required when strategy.type is canary (with at least one step)" }];
  }
  if (type === "blue-green" && !blueGreen) {
    return [{ path: ["strategy", "blueGreen", "previewListen"], message: "is required when strategy.type is blue-green" }];
  }
  return [];
}

/** A canary must run at least one instance. */
export function ensureCanaryHasInstances(config: Config): Problem[] {
  const canary = config.strategy.canary;
  if (!canary || resolveIntOrPercent(canary.replicas, config.app.replicas) >= 1) return [];
  return [{ path: ["strategy", "canary", "replicas"], message: "must be at least 1 (or a percentage above 0%)" }];
}

/** Startup and liveness probes decide on one success, as in Kubernetes. */
export function ensureSingleSuccessProbes(config: Config): Problem[] {
  return (["startup", "liveness"] as const).flatMap((kind): Problem[] => {
    const threshold = config.health[kind]?.successThreshold ?? 1;
    if (threshold === 1) return [];
    return [{ path: ["health", kind, "successThreshold"], message: `must be 1 for ${kind} probes (as in Kubernetes)` }];
  });
}

/** listen, router.tls.listen, metrics.listen and strategy.blueGreen.previewListen must not share a socket. */
export function ensureDistinctListeners(config: Config): Problem[] {
  const listeners: { path: string[]; address: ListenAddress }[] = [{ path: ["listen"], address: config.listen }];
  if (config.router.tls) listeners.push({ path: ["router", "tls", "listen"], address: config.router.tls.listen });
  if (config.metrics) listeners.push({ path: ["metrics", "listen"], address: config.metrics.listen });
  const preview = config.strategy.blueGreen?.previewListen;
  if (preview) listeners.push({ path: ["strategy", "blueGreen", "previewListen"], address: preview });
  const problems: Problem[] = [];
  listeners.forEach((later, i) => {
    const earlier = listeners.slice(0, i).find((other) => addressesClash(other.address, later.address));
    if (!earlier) return;
    problems.push({
      path: later.path,
      message: `${formatAddress(later.address)} clashes with ${earlier.path.join(".")} (${formatAddress(earlier.address)}); they must differ`,
    });
  });
  return problems;
}

/** platform process needs app.command; docker, swarm and kubernetes need exactly one of app.build and app.image. */
export function ensurePlatformInputs(config: Config): Problem[] {
  const { app } = config;
  if (config.platform === "process") {
    const problems: Problem[] = [];
    if (app.command.length === 0) problems.push({ path: ["app", "command"], message: "is required for platform process" });
    for (const key of ["build", "image", "resources"] as const) {
      if (app[key] !== undefined) problems.push({ path: ["app", key], message: "only applies to platforms docker, swarm and kubernetes" });
    }
    return problems;
  }
  // docker, swarm and kubernetes
  if (app.build && app.image) return [{ path: ["app", "image"], message: "cannot be combined with app.build: pick one" }];
  if (!app.build && !app.image) {
    return [{ path: ["app", "build"], message: `is required for platform ${config.platform} (or app.image for a prebuilt image)` }];
  }
  return [];
}

/** Where a config's analyses are: the canary's background one, its analysis steps, blue-green's postPromotion. */
function analyses(config: Config): { path: (string | number)[]; analysis: AnalysisConfig }[] {
  const { canary, blueGreen } = config.strategy;
  const found: { path: (string | number)[]; analysis: AnalysisConfig }[] = [];
  if (canary?.analysis) found.push({ path: ["strategy", "canary", "analysis"], analysis: canary.analysis });
  canary?.steps.forEach((step, i) => {
    if (step.kind === "analysis") found.push({ path: ["strategy", "canary", "steps", i, "analysis"], analysis: step.analysis });
  });
  if (blueGreen?.postPromotion) found.push({ path: ["strategy", "blueGreen", "postPromotion"], analysis: blueGreen.postPromotion });
  return found;
}

/**
 * What platform kubernetes cannot do as written: the cluster pulls images
 * (a built one must be pushed), stops pods with SIGTERM, and carries the
 * app's traffic itself, so Slipway's router sees no request (no metric to
 * analyse, no preview to send a `path` check to).
 */
export function ensureKubernetesFits(config: Config): Problem[] {
  if (config.platform !== "kubernetes") return [];
  const problems: Problem[] = [];
  const { app } = config;
  if (app.build && !config.registry) {
    problems.push({
      path: ["app", "build"],
      message: "needs registry.repository on platform kubernetes: the cluster pulls the image from a registry (or give app.image)",
    });
  }
  if (app.shared.length > 0) {
    problems.push({
      path: ["app", "shared"],
      message: "is not supported on platform kubernetes: keep such data in a PersistentVolumeClaim or a database (docs/kubernetes.md)",
    });
  }
  if (app.shutdown.signal !== "SIGTERM") {
    problems.push({
      path: ["app", "shutdown", "signal"],
      message: "must be SIGTERM on platform kubernetes: the kubelet stops containers with it",
    });
  }
  const pathChecks = (checks: CheckSpec[], at: (string | number)[]) =>
    checks.forEach((check, i) => {
      if (check.kind === "http" && check.path !== undefined) {
        problems.push({
          path: [...at, i, "http", "path"],
          message:
            "cannot be used on platform kubernetes (the cluster, not Slipway's router, serves the app): give url, e.g. through your Gateway",
        });
      }
    });
  for (const { path, analysis } of analyses(config)) {
    const metrics = (["maxErrorRate", "maxLatency", "compareToStable"] as const).filter((key) => analysis[key] !== undefined);
    if (metrics.length > 0) {
      problems.push({
        path: [...path, metrics[0]!],
        message:
          "needs request metrics from Slipway's router, which carries no traffic on platform kubernetes: judge the release with checks (a run check can query Prometheus)",
      });
    }
    pathChecks(analysis.checks, [...path, "checks"]);
  }
  if (config.strategy.blueGreen) pathChecks(config.strategy.blueGreen.prePromotion, ["strategy", "blueGreen", "prePromotion"]);
  return problems;
}

/** Every guard, in the order their problems are reported. */
export const CONFIG_GUARDS: readonly ((config: Config) => Problem[])[] = [
  ensurePlatformInputs,
  ensureRollingCanProgress,
  ensureStrategySection,
  ensureCanaryHasInstances,
  ensureSingleSuccessProbes,
  ensureDistinctListeners,
  ensureKubernetesFits,
];

/** Runs every guard and returns all their problems. */
export function checkGuards(config: Config): Problem[] {
  return CONFIG_GUARDS.flatMap((guard) => guard(config));
}
