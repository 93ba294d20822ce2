import type { RouteGroup, Target } from "./types.js";

/**
 * The public routing table of an app, whichever workload runs it: one group
 * with every serving target; during a canary a "canary" group first (cookie
 * stickiness names it) with the canary's share (percent) and a "stable"
 * group with the rest (pure).
 *
 * @example
 * trafficGroups("shop", [a, b], null); // [{ name: "shop", weight: 1, targets: [a, b] }]
 * trafficGroups("shop", [a, b], { weight: 10, targets: [c] }); // canary 10 [c], stable 90 [a, b]
 */
export function trafficGroups(app: string, stable: Target[], canary: { weight: number; targets: Target[] } | null): RouteGroup[] {
  if (!canary) return [{ name: app, weight: 1, targets: stable }];
  return [
    { name: "canary", weight: canary.weight, targets: canary.targets },
    { name: "stable", weight: 100 - canary.weight, targets: stable },
  ];
}
