import { hostname, userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import { loadConfig, type LoadedConfig } from "../config/load.js";
import { isDuration, MAX_DURATION_TEXT, parseDuration } from "../config/duration.js";
import { SlipwayError } from "../errors.js";

/** Options every command accepts (see `slipway --help`). */
export interface GlobalOptions {
  config?: string;
  environment?: string;
  json?: boolean;
  debug?: boolean;
}

export function load(opts: GlobalOptions, deployEnv?: readonly string[]): LoadedConfig {
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

export function envOption(values: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new SlipwayError("USAGE", `--env ${v}: expected KEY=VALUE`, { hint: "e.g. --env LOG_LEVEL=debug" });
    env[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return env;
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
