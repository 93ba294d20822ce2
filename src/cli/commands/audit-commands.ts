import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runAudit } from "../../audit/audit.js";
import { FORMATS, formatReport, type Format } from "../../audit/format.js";
import { RULES, ruleById } from "../../audit/rules.js";
import { SEVERITIES, type Severity } from "../../audit/types.js";
import { SlipwayError } from "../../errors.js";
import type { GlobalOptions } from "../options.js";

/** Default of --fail-on: findings of this severity or worse make `slipway audit` exit 1. */
export const DEFAULT_FAIL_ON = "error";
const FAIL_ON = [...SEVERITIES, "none"] as const;

interface AuditOptions {
  format: string;
  failOn: string;
  listRules?: boolean;
}

/** `slipway audit [DIR]`: the production-readiness checklist (exit 0 clean, 1 findings at/above --fail-on, 2 usage). */
export function registerAuditCommands(program: Command): void {
  program
    .command("audit")
    .description("check a project against the production-readiness checklist (Dockerfile, secrets); see docs/audit.md")
    .argument("[dir]", "directory to audit (default: the working directory)")
    .option("-f, --format <format>", `output format: ${FORMATS.join(", ")}`, "pretty")
    .option("--fail-on <severity>", `exit 1 on findings at or above: ${FAIL_ON.join(", ")}`, DEFAULT_FAIL_ON)
    .option("--list-rules", "print every rule (with --json: as JSON) and exit")
    .action((dir: string | undefined, o: AuditOptions, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (o.listRules) return void console.log(g.json ? JSON.stringify(RULES, null, 2) : listRules());
      const format = parseChoice("--format", o.format, FORMATS) as Format;
      const failOn = parseChoice("--fail-on", o.failOn, FAIL_ON);
      const report = runAudit(resolve(dir ?? process.cwd()));
      console.log(formatReport(report, g.json && o.format === "pretty" ? "json" : format, version()));
      if (failOn !== "none" && report.findings.some((f) => atOrAbove(ruleById(f.rule).severity, failOn))) process.exitCode = 1;
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
