import ignore from "ignore";
import type { AuditIgnore } from "../config/types.js";
import type { Finding } from "./types.js";
import type { YamlDoc } from "./yamldocs.js";

/**
 * Applies `audit.ignore` from slipway.yaml: drops the findings an entry covers (same rule,
 * file matching `path` when given) while its `until` date (inclusive) has not passed, and
 * reports every expired entry as SW0003 at its line in `configFile`. Inline suppressions
 * (suppress.ts) are applied before this, per file.
 *
 * @example
 * applyConfigIgnores(findings, [{ rule: "SW1002", reason: "renovate pins digests" }], { configFile: "slipway.yaml", today: "2026-11-26" });
 */
export function applyConfigIgnores(
  findings: readonly Finding[],
  entries: readonly AuditIgnore[],
  where: { configFile: string; doc?: YamlDoc; today: string },
): Finding[] {
  const live = entries.filter((e) => e.until === undefined || e.until >= where.today);
  const matchers = live.map((e) => ({ rule: e.rule, path: e.path === undefined ? undefined : ignore().add(e.path) }));
  const kept = findings.filter((f) => !matchers.some((m) => m.rule === f.rule && (!m.path || matchesPath(m.path, f.file))));
  entries.forEach((e, i) => {
    if (e.until === undefined || e.until >= where.today) return;
    kept.push({
      rule: "SW0003",
      file: where.configFile,
      line: where.doc?.line(["audit", "ignore", i]) ?? 1,
      message: `audit.ignore of ${e.rule}${e.path ? ` in ${e.path}` : ""} expired on ${e.until} (reason was: ${e.reason})`,
    });
  });
  return kept;
}

/** Files are relative paths; URLs of live findings only match a path-less entry. */
function matchesPath(path: ReturnType<typeof ignore>, file: string): boolean {
  return !/^[a-z]+:\/\//.test(file) && path.ignores(file);
}

/** `YYYY-MM-DD` of a date in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
