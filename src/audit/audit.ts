import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { discoverFiles, isGitignored } from "./discover.js";
import { composeChecker } from "./compose.js";
import { dockerfileChecker } from "./dockerfile.js";
import { kubernetesChecker } from "./kubernetes.js";
import { RULES, ruleById, type RuleId } from "./rules.js";
import { secretsChecker } from "./secrets.js";
import { applySuppressions, parseSuppressions } from "./suppress.js";
import type { Severity } from "./rule.js";
import type { AuditFile, Checker, Finding, ProjectChecker, ProjectView } from "./types.js";
import { disruptionChecker } from "./disruption.js";
import { healthRoutesChecker } from "./health-routes.js";
import { applyConfigIgnores, isoDay } from "./ignores.js";
import { migrationsChecker } from "./migrations.js";
import { repositoryChecker } from "./repository.js";
import { DEFAULT_AUDIT_SETTINGS, parseSlipwayConfig, slipwayConfigChecker } from "./slipway-config.js";
import { workflowChecker } from "./workflow.js";
import { yamlChecker } from "./yaml.js";

/** Files larger than this are not read (a Dockerfile or YAML file that large is reported as SW0001). */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Points taken from 100 per finding. */
export const SCORE_PENALTY: Record<Severity, number> = { error: 10, warning: 3, info: 1 };

export const CHECKERS: readonly Checker[] = [
  dockerfileChecker,
  yamlChecker,
  workflowChecker,
  composeChecker,
  kubernetesChecker,
  secretsChecker,
  slipwayConfigChecker,
  migrationsChecker,
];

export const PROJECT_CHECKERS: readonly ProjectChecker[] = [disruptionChecker, repositoryChecker, healthRoutesChecker];

/** What runAudit can be given besides the root. */
export interface AuditOptions {
  checkers?: readonly Checker[];
  /**
   * Findings made outside the file walk (the live `--url` checks), with the rules that ran to
   * make them. They are sorted, scored and suppressed by `audit.ignore` like the rest.
   */
  extra?: { rules: readonly RuleId[]; findings: readonly Finding[] };
  /** Repository-level checkers run once after the files (default: PROJECT_CHECKERS). */
  projectCheckers?: readonly ProjectChecker[];
  /** Today's date for `audit.ignore[].until` (injected clock; default: now). */
  now?: Date;
}

export interface AuditReport {
  root: string;
  filesScanned: number;
  /** Rule IDs that ran (their checker matched at least one file), in registry order. */
  rulesRun: RuleId[];
  /** Sorted by file, then line, then rule. */
  findings: Finding[];
  score: number;
  durationMs: number;
}

/**
 * Audits every file under `root` (see discoverFiles) with every checker. Never throws
 * for a file: unreadable or malformed files become SW0001 findings.
 *
 * @example
 * const report = runAudit("/srv/app");
 * report.findings; // [{ rule: "SW1003", file: "Dockerfile", line: 1, message: "..." }]
 */
export function runAudit(root: string, options: AuditOptions = {}): AuditReport {
  const checkers = options.checkers ?? CHECKERS;
  const projectCheckers = options.projectCheckers ?? PROJECT_CHECKERS;
  const started = performance.now();
  const rels = discoverFiles(root);
  const present = new Set(rels);
  const texts = new Map<string, string | undefined>();
  const read = (rel: string): string | undefined => {
    if (!present.has(rel)) return undefined;
    if (!texts.has(rel)) texts.set(rel, readText(root, rel).text);
    return texts.get(rel);
  };
  const configFile = ["slipway.yaml", "slipway.yml"].find((f) => present.has(f));
  const config = configFile === undefined ? undefined : parseSlipwayConfig(read(configFile) ?? "", configFile);
  const settings = config?.config?.audit ?? DEFAULT_AUDIT_SETTINGS;
  const project: ProjectView = { read, files: rels, settings, ignored: (rel) => isGitignored(root, rel) };
  const ran = new Set<RuleId>(["SW0001", "SW0002"]);
  const findings: Finding[] = [];
  for (const rel of rels) {
    const matching = checkers.filter((c) => c.matches(rel));
    const specific = matching.some((c) => c !== secretsChecker);
    const read = readText(root, rel, specific);
    if (read.problem) {
      findings.push({ rule: "SW0001", file: rel, line: 1, message: `cannot read ${rel}: ${read.problem}` });
      continue;
    }
    if (read.text === undefined) continue;
    texts.set(rel, read.text);
    const file: AuditFile = { rel, text: read.text };
    const own: Finding[] = [];
    for (const c of matching) {
      c.rules.forEach((r) => ran.add(r));
      try {
        own.push(...c.check(file, project));
      } catch (err) {
        own.push({
          rule: "SW0001",
          file: rel,
          line: 1,
          message: `cannot parse ${rel} (${c.kind}): ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    findings.push(...applySuppressions(rel, own, parseSuppressions(read.text)));
  }
  for (const c of projectCheckers) {
    if (!c.applies(project)) continue;
    c.rules.forEach((r) => ran.add(r));
    let own: Finding[];
    try {
      own = c.check(project);
    } catch (err) {
      const message = `the ${c.kind} checks failed: ${err instanceof Error ? err.message : String(err)}`;
      own = [{ rule: "SW0001", file: ".", line: 1, message }];
    }
    // Inline suppressions of the file a finding points at (SW0002 for reasonless ones was reported with that file).
    for (const file of new Set(own.map((f) => f.file))) {
      const reasoned = parseSuppressions(read(file) ?? "").filter((m) => m.reason !== "");
      findings.push(
        ...applySuppressions(
          file,
          own.filter((f) => f.file === file),
          reasoned,
        ),
      );
    }
  }
  if (options.extra) {
    options.extra.rules.forEach((r) => ran.add(r));
    findings.push(...options.extra.findings);
  }
  let reported = withoutConsequences(findings);
  if (configFile !== undefined && settings.ignore.length > 0) {
    ran.add("SW0003");
    const today = isoDay(options.now ?? new Date());
    reported = applyConfigIgnores(findings, settings.ignore, { configFile, doc: config?.doc, today });
  }
  reported.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.rule.localeCompare(b.rule)));
  return {
    root,
    filesScanned: rels.length,
    rulesRun: RULES.map((r) => r.id).filter((id) => ran.has(id)),
    findings: reported,
    score: score(reported),
    durationMs: Math.round(performance.now() - started),
  };
}

/** 100 minus SCORE_PENALTY per finding (error 10, warning 3, info 1), floored at 0. */
export function score(findings: readonly Finding[]): number {
  return Math.max(0, 100 - findings.reduce((sum, f) => sum + SCORE_PENALTY[ruleById(f.rule).severity], 0));
}

/**
 * Reads a file as text. `text` undefined without `problem` means "skip quietly" (binary or large,
 * and no checker needs it); `problem` is set when a file that must be checked cannot be.
 */
function readText(root: string, rel: string, required = false): { text?: string; problem?: string } {
  try {
    const abs = join(root, rel);
    if (statSync(abs).size > MAX_FILE_BYTES) return required ? { problem: `larger than ${MAX_FILE_BYTES} bytes` } : {};
    const buf = readFileSync(abs);
    if (buf.subarray(0, 8000).includes(0)) return required ? { problem: "binary file (contains NUL bytes)" } : {};
    return { text: buf.toString("utf8") };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code ? `${code} ${(err as Error).message.split(",")[0]?.replace(`${code}: `, "")}` : String(err) };
  }
}

/**
 * One root cause, one finding: a project with no tests at all (SW7002) is not
 * also told that its CI runs none (SW3001); writing tests is the fix for both.
 */
function withoutConsequences(findings: Finding[]): Finding[] {
  if (!findings.some((f) => f.rule === "SW7002")) return findings;
  return findings.filter((f) => f.rule !== "SW3001");
}
