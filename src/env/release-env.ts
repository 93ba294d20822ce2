/**
 * The environment a Slipway release gets, checked against the app's schema
 * before `slipway deploy` creates the release (and by `slipway env check
 * --release`). Not part of `slipway/env`: the CLI's side.
 *
 * An instance gets the variables `DEFAULT_PASS_ENV` and `app.passEnv` name
 * from the daemon's environment (`app.passEnv` alone for a container), then
 * `app.env`, then `--env`, then PORT and SLIPWAY_*; the app's `defineEnv`
 * lays that over `.env` in its release directory. The CLI cannot see a
 * running daemon's environment, so it passes from its own, which is what a
 * daemon started from here has.
 */
import { join, relative } from "node:path";
import { workloadEnv } from "../config/pass-env.js";
import type { Config } from "../config/types.js";
import { IgnoreList } from "../release/ignore.js";
import { checkEnv, type CheckResult } from "./check.js";
import { EnvError } from "./error.js";
import type { EnvShape } from "./schema.js";
import { DEFAULT_ENV_FILE, readEnvFiles } from "./sources.js";

/** What to do about a release environment with problems. */
export const RELEASE_ENV_HINT =
  "set them under app.env in slipway.yaml, pass --env NAME=VALUE, or name them in app.passEnv to take them from the daemon's environment (Slipway sets PORT and SLIPWAY_*)";

/**
 * Variables Slipway sets on every instance itself: taken as present and valid.
 *
 * @example
 * providedBySlipway("PORT"); // true
 * providedBySlipway("SLIPWAY_VERSION"); // true
 */
export function providedBySlipway(name: string): boolean {
  return name === "PORT" || name.startsWith("SLIPWAY_");
}

/** What a release environment check found (when it found no problem). */
export interface ReleaseEnvCheck {
  /** Where the variables came from, most important first: "--env over app.env over passed variables of the process environment over .env". */
  sources: string;
  warnings: string[];
  values: CheckResult["values"];
}

/** Options of `checkReleaseEnv`. */
export interface ReleaseEnvOptions {
  /** `--env` values of the deploy. */
  flags: Record<string, string>;
  /** Path of the schema module, shown in the error. */
  schemaFile: string;
  /** Where the schema path came from, shown before it ("app.envSchema"). */
  origin?: string;
  /** Check as NODE_ENV=production even when the release environment says otherwise. */
  production?: boolean;
}

/**
 * Checks the environment a release of `config` would get against `schema`:
 * `.env` in app.cwd (unless .slipwayignore leaves it out of the snapshot),
 * under what passes from the CLI's environment (config/pass-env.ts), under
 * `app.env`, under `--env`. PORT and
 * SLIPWAY_* are skipped. Throws an `EnvError` (exit 2) listing every problem.
 *
 * @example
 * const { warnings } = checkReleaseEnv(config, schema, { flags: { LOG_LEVEL: "debug" }, schemaFile: file, origin: "app.envSchema" });
 */
export function checkReleaseEnv(config: Config, schema: EnvShape, options: ReleaseEnvOptions): ReleaseEnvCheck {
  const ships = !IgnoreList.load(config.app.cwd).ignores(DEFAULT_ENV_FILE);
  const files = readEnvFiles(ships ? [DEFAULT_ENV_FILE] : [], config.app.cwd);
  const workload = config.platform === "process" ? "process" : "container";
  const release = workloadEnv({
    parent: process.env,
    workload,
    passEnv: config.app.passEnv,
    releaseEnv: { ...config.app.env, ...options.flags },
  });
  const vars = { ...files.vars, ...release };
  const production = options.production === true || vars["NODE_ENV"] === "production";
  const result = checkEnv(schema, vars, { production, provided: providedBySlipway });
  const problems = [...files.problems, ...result.problems];
  if (problems.length > 0) {
    const origin = options.origin ? `${options.origin} ` : "";
    const context = `checked against ${origin}${relative(process.cwd(), options.schemaFile) || options.schemaFile}`;
    throw new EnvError(problems, result.warnings, { subject: "the release environment", context, hint: RELEASE_ENV_HINT });
  }
  const dotenv = files.read.length > 0 ? [relative(process.cwd(), join(config.app.cwd, DEFAULT_ENV_FILE))] : [];
  const sources = ["--env", "app.env", "passed variables of the process environment", ...dotenv].join(" over ");
  return { sources, warnings: result.warnings, values: result.values };
}
