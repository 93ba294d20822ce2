/**
 * Cross-field rules that one field's schema cannot express. Each guard is a
 * named function from the normalized config to its problems (empty when the
 * rule holds), so every rule is listed, testable and reported together.
 * Single-field rules (e.g. probe thresholds >= 1) live in the schema.
 */
import { addressesClash, formatAddress } from "./address.js";
import type { Problem } from "./problem.js";
import type { Config, IntOrPercent, ListenAddress } from "./types.js";

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

/** platform process needs app.command; docker and swarm need exactly one of app.build and app.image. */
export function ensurePlatformInputs(config: Config): Problem[] {
  const { app } = config;
  if (config.platform === "process") {
    const problems: Problem[] = [];
    if (app.command.length === 0) problems.push({ path: ["app", "command"], message: "is required for platform process" });
    for (const key of ["build", "image", "resources"] as const) {
      if (app[key] !== undefined) problems.push({ path: ["app", key], message: "only applies to platforms docker and swarm" });
    }
    return problems;
  }
  // docker and swarm
  if (app.build && app.image) return [{ path: ["app", "image"], message: "cannot be combined with app.build: pick one" }];
  if (!app.build && !app.image) {
    return [{ path: ["app", "build"], message: `is required for platform ${config.platform} (or app.image for a prebuilt image)` }];
  }
  return [];
}

/** Every guard, in the order their problems are reported. */
export const CONFIG_GUARDS: readonly ((config: Config) => Problem[])[] = [
  ensurePlatformInputs,
  ensureRollingCanProgress,
  ensureStrategySection,
  ensureCanaryHasInstances,
  ensureSingleSuccessProbes,
  ensureDistinctListeners,
];

/** Runs every guard and returns all their problems. */
export function checkGuards(config: Config): Problem[] {
  return CONFIG_GUARDS.flatMap((guard) => guard(config));
}
