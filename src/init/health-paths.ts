import type { ProjectDir } from "./project-dir.js";
import type { HealthPaths } from "./stack.js";

/** The path probed when the source names no health route. */
export const DEFAULT_HEALTH_PATH = "/healthz";
/** Extensions of the source files scanned for health routes. */
const SOURCE_EXTENSIONS = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx", ".py", ".go"];
/** Candidates in order of preference; the first one found in the source wins. */
const LIVENESS = ["/livez", "/healthz", "/health/live", "/health/liveness", "/health", "/live"];
const READINESS = ["/readyz", "/health/ready", "/health/readiness", "/ready"];
/** slipway/health's default routes (DEFAULT_HEALTH_PATHS in src/health/health.ts). */
const SLIPWAY_HEALTH: HealthPaths = { liveness: "/health", readiness: "/health/ready" };

/**
 * Health routes named in the project's source: quoted strings such as
 * "/healthz" or "/readyz" (Django's "healthz/" too), or an import of
 * slipway/health (its /health and /health/ready). Each is absent when not found.
 *
 * @example
 * findHealthPaths(projectDir("/srv/web")); // { liveness: "/healthz", readiness: "/readyz" }
 * findHealthPaths(projectDir("/srv/empty")); // {}
 */
export function findHealthPaths(project: ProjectDir): Partial<HealthPaths> {
  const found = new Set<string>();
  let usesSlipwayHealth = false;
  for (const rel of project.sources(SOURCE_EXTENSIONS)) {
    const text = project.read(rel) ?? "";
    if (/["']slipway\/health["']/.test(text)) usesSlipwayHealth = true;
    for (const m of text.matchAll(/["'`]\/?((?:health|healthz|livez|readyz|ready|live)(?:\/\w+)?)\/?["'`]/g)) found.add(`/${m[1]}`);
  }
  const liveness = LIVENESS.find((p) => found.has(p));
  const readiness = READINESS.find((p) => found.has(p));
  if (!liveness && !readiness) return usesSlipwayHealth ? SLIPWAY_HEALTH : {};
  return { ...(liveness ? { liveness } : {}), ...(readiness ? { readiness } : {}) };
}
