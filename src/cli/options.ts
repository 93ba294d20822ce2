import { hostname, userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { isDuration, MAX_DURATION_TEXT, parseDuration } from "../config/duration.js";
import { SlipwayError } from "../errors.js";
import { versionLabelProblem } from "../release/version.js";

/** Options every command accepts (see `slipway --help`). */
export interface GlobalOptions {
  config?: string;
  environment?: string;
  json?: boolean;
  debug?: boolean;
}

/** Reads and validates the config (loaded on first use: `slipway status` never needs the schema). */
export async function load(opts: GlobalOptions, deployEnv?: readonly string[]): Promise<LoadedConfig> {
  const { loadConfig } = await import("../config/load.js");
  return loadConfig({ file: opts.config, cwd: process.cwd(), environment: opts.environment, deployEnv });
}

/** The project root: the config file's directory (`-c FILE`), else the working directory. */
export function projectRoot(opts: GlobalOptions): string {
  return opts.config ? dirname(resolve(opts.config)) : process.cwd();
}

/** A duration flag (`--wait-lock 5m`) in ms; refuses bad input and durations past Node's timer limit. */
export function durationOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!isDuration(value)) {
    throw new SlipwayError("USAGE", `${flag} ${value}: not a duration`, { hint: "use a duration like 30s or 5m" });
  }
  try {
    return parseDuration(value);
  } catch {
    throw new SlipwayError("USAGE", `${flag} ${value}: too long, at most ${MAX_DURATION_TEXT}`, {
      hint: `Node's timers cannot wait longer; e.g. ${flag} 24h`,
    });
  }
}

/** `--version LABEL`, checked before anything runs; a long one is shown cut short. */
export function versionOption(value: string | undefined): string | undefined {
  const problem = value === undefined ? null : versionLabelProblem(value);
  if (value === undefined || problem === null) return value;
  const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  throw new SlipwayError("USAGE", `--version ${JSON.stringify(shown)}: ${problem}`, {
    hint: "e.g. --version v1.4.2 or --version 2026-12-02.1",
  });
}

/** A repeatable flag's values (`--env A=1 --env B=2`), with no default shown in help. */
export function collect(value: string, list: string[] = []): string[] {
  return [...list, value];
}

/** A variable name as shells and env files write them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `--env KEY=VALUE` flags as an object. Errors name the key at most: the
 * value (and a flag without `=`, which may be a pasted secret) is never echoed.
 */
export function envOption(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [at, v] of values.entries()) {
    const eq = v.indexOf("=");
    const which = values.length > 1 ? ` (the ${ordinal(at + 1)} --env)` : "";
    if (eq < 0)
      throw new SlipwayError("USAGE", `--env takes KEY=VALUE; this one${which} has no "=" (its text is not shown: it may be a secret)`, {
        hint: "e.g. --env LOG_LEVEL=debug",
      });
    const name = v.slice(0, eq);
    if (!ENV_NAME.test(name)) {
      // "BAD KEY" is shown; "postgres://admin:pw@db/x?mode" (a value pasted without its name) is not
      const problem =
        name === ""
          ? `--env=...${which}: the name before "=" is empty`
          : /^[\w .-]{1,64}$/.test(name)
            ? `--env ${JSON.stringify(name)}=...${which}: not a variable name`
            : `--env${which}: the text before "=" is not a variable name (not shown: it may be a secret)`;
      throw new SlipwayError("USAGE", problem, {
        hint: "names are letters, digits and _, not starting with a digit; e.g. --env LOG_LEVEL=debug",
      });
    }
    env[name] = v.slice(eq + 1);
  }
  return env;
}

function ordinal(n: number): string {
  return `${n}${n % 10 === 1 && n % 100 !== 11 ? "st" : n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th"}`;
}

export function intOption(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new SlipwayError("USAGE", `${flag} ${value}: must be a whole number`, { hint: `e.g. ${flag} 3` });
  return n;
}

export function holder(): string {
  return `${userInfo().username}@${hostname()} (pid ${process.pid})`;
}
