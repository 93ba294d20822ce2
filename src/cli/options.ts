import { hostname, userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { isDuration, MAX_DURATION_TEXT, parseDuration, parseSpan } from "../config/duration.js";
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

/** A length of time nothing waits for (`--failure-window 2d`): a duration with d and w too, no timer limit. */
export function spanOption(flag: string, value: string): number {
  const ms = parseSpan(value);
  if (ms === undefined)
    throw new SlipwayError("USAGE", `${flag} ${shown(value)}: not a duration`, {
      hint: `use a duration like 12h, 2d or 1w, e.g. ${flag} 24h`,
    });
  return ms;
}

/** `2026-11-01`, `2026-11-01T09:30`, `2026-11-01 09:30:15.250`, with `Z` or `+01:00` after a time. */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/**
 * An ISO 8601 date or date and time (`--until 2026-12-01`) in ms since the
 * epoch; UTC unless it names an offset. Refuses what is not one, and dates
 * that do not exist (2026-02-30).
 *
 * @example
 * instantOption("--until", "2026-12-01"); // Date.UTC(2026, 11, 1)
 */
export function instantOption(flag: string, value: string): number {
  const m = INSTANT.exec(value.trim());
  const at = m ? instantOf(m) : undefined;
  if (at === undefined)
    throw new SlipwayError("USAGE", `${flag} ${shown(value)}: not a date`, {
      hint: `use an ISO date or date and time (UTC unless it says otherwise), e.g. ${flag} 2026-11-01 or ${flag} 2026-11-01T09:30`,
    });
  return at;
}

/** The instant INSTANT matched, or undefined when its date or time does not exist. */
function instantOf(m: RegExpExecArray): number | undefined {
  const part = (i: number) => Number(m[i] ?? 0);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  const ms = Number((m[7] ?? "").padEnd(3, "0"));
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  if (at.getUTCFullYear() !== year || at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const zone = m[8]?.toUpperCase() ?? "Z";
  const offsetMinutes = zone === "Z" ? 0 : (zone.startsWith("-") ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return at.getTime() - offsetMinutes * 60_000;
}

/** A flag's value as an error line shows it: quoted when it has spaces, cut short when long. */
function shown(value: string): string {
  const cut = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  return /\s|^$/.test(cut) ? JSON.stringify(cut) : cut;
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
