import type { AuditReport } from "./audit.js";
import { RULES, ruleById } from "./rules.js";
import { SECTIONS, SEVERITIES, type Severity } from "./rule.js";

export const FORMATS = ["pretty", "json", "sarif", "junit"] as const;
export type Format = (typeof FORMATS)[number];

/** Renders a report in one of FORMATS. `version` is Slipway's, for SARIF's tool.driver.version. */
export function formatReport(report: AuditReport, format: Format, version: string): string {
  if (format === "json") return JSON.stringify(jsonReport(report), null, 2);
  if (format === "sarif") return JSON.stringify(sarifReport(report, version), null, 2);
  if (format === "junit") return junitReport(report);
  return prettyReport(report);
}

function counts(report: AuditReport): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of report.findings) c[ruleById(f.rule).severity]++;
  return c;
}

/** Plain data: every finding with its rule's severity, section and fix. */
export function jsonReport(report: AuditReport): object {
  return {
    root: report.root,
    filesScanned: report.filesScanned,
    durationMs: report.durationMs,
    score: report.score,
    counts: counts(report),
    rulesRun: report.rulesRun,
    findings: report.findings.map((f) => {
      const r = ruleById(f.rule);
      return { ...f, severity: r.severity, section: r.section, title: r.title, fix: r.fix };
    }),
  };
}

/** Grouped by checklist section: `file:line  SW1001 error  message` and the fix, then the score. */
export function prettyReport(report: AuditReport): string {
  const lines: string[] = [];
  for (const section of SECTIONS) {
    const inSection = report.findings.filter((f) => ruleById(f.rule).section === section);
    if (inSection.length === 0) continue;
    lines.push(section);
    for (const f of inSection) {
      const r = ruleById(f.rule);
      lines.push(`  ${f.file}:${f.line}  ${f.rule} ${r.severity}  ${f.message}`, `      fix: ${r.fix}`);
    }
    lines.push("");
  }
  const c = counts(report);
  const summary = SEVERITIES.map((s) => `${c[s]} ${s}`).join(", ");
  if (report.findings.length === 0) lines.push(`no findings in ${report.filesScanned} files (${report.rulesRun.length} rules)`);
  lines.push(`score: ${report.score}/100 (${summary}; ${report.filesScanned} files in ${report.durationMs} ms)`);
  return lines.join("\n");
}

const SARIF_LEVEL: Record<Severity, string> = { error: "error", warning: "warning", info: "note" };

/** SARIF 2.1.0 as GitHub code scanning expects it (uris relative to the audited root). */
export function sarifReport(report: AuditReport, version: string): object {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "slipway",
            version,
            informationUri: "https://github.com/slipway/slipway/blob/main/docs/audit.md",
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.reason },
              help: { text: `Fix: ${r.fix}`, markdown: `**Fix:** ${r.fix}` },
              defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
              properties: { tags: [r.section.toLowerCase(), ...r.equivalents], section: r.section, equivalents: r.equivalents },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? 0,
          level: SARIF_LEVEL[ruleById(f.rule).severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: artifactLocation(f.file),
                region: { startLine: Math.max(1, f.line) },
              },
            },
          ],
        })),
      },
    ],
  };
}

const xml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c);

/** JUnit XML: one testcase per rule that ran, one failure per finding of that rule. */
export function junitReport(report: AuditReport): string {
  const cases = report.rulesRun.map((id) => {
    const r = ruleById(id);
    const own = report.findings.filter((f) => f.rule === id);
    const failures = own.map(
      (f) =>
        `      <failure message="${xml(`${f.file}:${f.line} ${f.message}`)}" type="${r.severity}">${xml(`${f.file}:${f.line}  ${f.message}\nfix: ${r.fix}`)}</failure>`,
    );
    const open = `    <testcase classname="slipway.audit.${r.section}" name="${xml(`${id} ${r.title}`)}"`;
    return failures.length === 0 ? `${open}/>` : [`${open}>`, ...failures, "    </testcase>"].join("\n");
  });
  const failed = report.rulesRun.filter((id) => report.findings.some((f) => f.rule === id)).length;
  const attrs = `name="slipway audit" tests="${report.rulesRun.length}" failures="${failed}" time="${(report.durationMs / 1000).toFixed(3)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs}>`,
    `  <testsuite ${attrs}>`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
  ].join("\n");
}

/** A repository file is relative to %SRCROOT%; a live finding's URL is an absolute URI of its own. */
function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  if (/^https?:\/\//.test(file)) return { uri: new URL(file).href };
  return { uri: file.split("/").map(encodeURIComponent).join("/"), uriBaseId: "%SRCROOT%" };
}
