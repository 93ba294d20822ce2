/**
 * What of the daemon's own environment an instance, a hook or a check gets:
 * the names of `DEFAULT_PASS_ENV` and `app.passEnv`, nothing else. Pure and
 * zod-free, so the daemon, the CLI's deploy check and the ledger migration
 * share one reading of a `passEnv` list.
 */
import { DEFAULT_PASS_ENV } from "./defaults.js";

/** A passEnv entry: a variable name, or a prefix ending in `*` (`LC_*`). */
export const PASS_ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/**
 * Whether `name` is matched by one of `patterns` (exact names, or prefixes ending in `*`).
 *
 * @example
 * passes("LC_TIME", ["PATH", "LC_*"]); // true
 * passes("GITHUB_TOKEN", ["PATH", "LC_*"]); // false
 */
export function passes(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

/**
 * The variables of `parent` that `patterns` let through (unset ones are left out).
 *
 * @example
 * passedEnv({ PATH: "/usr/bin", GITHUB_TOKEN: "ghp_..." }, ["PATH"]); // { PATH: "/usr/bin" }
 */
export function passedEnv(parent: Readonly<Record<string, string | undefined>>, patterns: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) if (value !== undefined && passes(name, patterns)) out[name] = value;
  return out;
}

/**
 * The passEnv patterns of a workload. A process, a hook and a `run` check run
 * on this host and get `DEFAULT_PASS_ENV` plus `app.passEnv`; a container
 * keeps its image's PATH, HOME... and gets `app.passEnv` alone.
 *
 * @example
 * passEnvFor("process", ["SENTRY_DSN"]); // ["PATH", "HOME", ..., "TMPDIR", "SENTRY_DSN"]
 * passEnvFor("container", ["SENTRY_DSN"]); // ["SENTRY_DSN"]
 */
export function passEnvFor(workload: "process" | "container", passEnv: readonly string[]): string[] {
  return workload === "process" ? [...DEFAULT_PASS_ENV, ...passEnv] : [...passEnv];
}

/** Options of {@link workloadEnv}. */
export interface WorkloadEnvOptions {
  /** The environment variables are passed from: the daemon's (or, for the CLI's check, its own). */
  parent: Readonly<Record<string, string | undefined>>;
  workload: "process" | "container";
  /** `app.passEnv` of the release. */
  passEnv: readonly string[];
  /** The release's own variables: `app.env` under `--env`. */
  releaseEnv: Readonly<Record<string, string>>;
}

/**
 * The environment of an instance, a hook or a check before Slipway adds its
 * own variables (PORT, SLIPWAY_*): the passed variables under the release's.
 *
 * @example
 * workloadEnv({ parent: process.env, workload: "process", passEnv: [], releaseEnv: { LOG_LEVEL: "debug" } });
 * // { PATH: "...", HOME: "...", LANG: "...", LOG_LEVEL: "debug" }
 */
export function workloadEnv(o: WorkloadEnvOptions): Record<string, string> {
  return { ...passedEnv(o.parent, passEnvFor(o.workload, o.passEnv)), ...o.releaseEnv };
}
