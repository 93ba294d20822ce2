import type { Command } from "commander";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { runAudit } from "../../audit/audit.js";
import { FORMATS, formatReport, type Format } from "../../audit/format.js";
import {
  DEFAULT_BURST,
  DEFAULT_HEALTH_SLOW_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  liveAudit,
  MAX_BURST,
  MAX_LIVE_MS,
  parseLiveNumber,
  type LiveResult,
} from "../../audit/live.js";
import { RULES, ruleById } from "../../audit/rules.js";
import { SEVERITIES, type Severity } from "../../audit/rule.js";
import { SlipwayError } from "../../errors.js";
import type { GlobalOptions } from "../options.js";

/** Default of --fail-on: findings of this severity or worse make `slipway audit` exit 1. */
export const DEFAULT_FAIL_ON = "error";
const FAIL_ON = [...SEVERITIES, "none"] as const;

interface AuditOptions {
  format: string;
  failOn: string;
  listRules?: boolean;
  url?: string;
  healthPath?: string;
  healthSlow?: string;
  burst?: string;
  requestTimeout?: string;
}

/** Options that only make sense with --url. */
const LIVE_FLAGS = {
  healthPath: "--health-path",
  healthSlow: "--health-slow",
  burst: "--burst",
  requestTimeout: "--request-timeout",
} as const;

/** `slipway audit [DIR]`: the production-readiness checklist (exit 0 clean, 1 findings at/above --fail-on, 2 usage). */
export function registerAuditCommands(program: Command): void {
  program
    .command("audit")
    .description("check a project against the production-readiness checklist (files; with --url also a running service); see docs/audit.md")
    .argument("[dir]", "directory to audit (default: the working directory)")
    .option("-f, --format <format>", `output format: ${FORMATS.join(", ")}`, "pretty")
    .option("--fail-on <severity>", `exit 1 on findings at or above: ${FAIL_ON.join(", ")}`, DEFAULT_FAIL_ON)
    .option("--list-rules", "print every rule (with --json: as JSON) and exit")
    .option("--url <url>", "also check the service running at this http(s) URL (only that host, a bounded number of requests)")
    .option("--health-path <path>", "with --url: health endpoint path (default: the first of /health, /healthz, /readyz not answering 404)")
    .option("--health-slow <ms>", `with --url: a health answer slower than this is a finding (default ${DEFAULT_HEALTH_SLOW_MS})`)
    .option("--burst <n>", `with --url: requests in the rate-limit burst, 0 to skip (default ${DEFAULT_BURST}, max ${MAX_BURST})`)
    .option("--request-timeout <ms>", `with --url: timeout of each request (default ${DEFAULT_REQUEST_TIMEOUT_MS})`)
    .action(async (dir: string | undefined, o: AuditOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (o.listRules) return void console.log(g.json ? JSON.stringify(RULES, null, 2) : listRules());
      const format = parseChoice("--format", o.format, FORMATS) as Format;
      const failOn = parseChoice("--fail-on", o.failOn, FAIL_ON);
      const root = auditRoot(dir);
      const live = await liveChecks(o);
      const report = runAudit(root, { extra: live });
      console.log(formatReport(report, g.json && o.format === "pretty" ? "json" : format, version()));
      if (failOn !== "none" && report.findings.some((f) => atOrAbove(ruleById(f.rule).severity, failOn))) process.exitCode = 1;
    });
}

/** The directory to audit, which must exist (a typo must not pass as a clean, empty project). */
function auditRoot(dir: string | undefined): string {
  const root = resolve(dir ?? process.cwd());
  const hint = "pass the project's directory: slipway audit [dir]";
  const stat = statSync(root, { throwIfNoEntry: false });
  if (!stat) throw new SlipwayError("USAGE", `${dir ?? root}: no such directory`, { hint });
  if (!stat.isDirectory()) throw new SlipwayError("USAGE", `${dir ?? root}: not a directory`, { hint });
  return root;
}

/** Runs the live checks when --url is given (usage errors first: before any request or file read). */
async function liveChecks(o: AuditOptions): Promise<LiveResult | undefined> {
  if (o.url === undefined) {
    const stray = Object.entries(LIVE_FLAGS).find(([key]) => o[key as keyof typeof LIVE_FLAGS] !== undefined);
    if (stray)
      throw new SlipwayError("USAGE", `${stray[1]} needs --url`, {
        hint: `add --url https://staging.example.com/ (the service to check), or drop ${stray[1]}`,
      });
    return undefined;
  }
  const number = (flag: string, value: string | undefined, min: number, max: number) =>
    value === undefined ? undefined : parseLiveNumber(flag, value, min, max);
  return liveAudit(o.url, {
    healthPath: o.healthPath,
    healthSlowMs: number("--health-slow", o.healthSlow, 1, MAX_LIVE_MS),
    burst: number("--burst", o.burst, 0, MAX_BURST),
    requestTimeoutMs: number("--request-timeout", o.requestTimeout, 1, MAX_LIVE_MS),
  });
}

function parseChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new SlipwayError("USAGE", `${flag} ${value}: unknown value`, { hint: `use one of ${choices.join(", ")}` });
}

function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

function listRules(): string {
  return RULES.map(
    (r) =>
      `${r.id}  ${r.severity.padEnd(7)}  ${r.section.padEnd(14)}  ${r.title}${r.equivalents.length ? `  (${r.equivalents.join(", ")})` : ""}`,
  ).join("\n");
}

function version(): string {
  return (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}
