import type { Finding } from "./types.js";

/** `# slipway-ignore SW1001: reason` (or `// ...`, several IDs separated by commas). */
const MARK = /slipway-ignore\s+(SW\d{4}(?:\s*,\s*SW\d{4})*)(?:\s*:\s*(.*?))?\s*(?:-->|\*\/)?\s*$/;

/** One inline suppression: the IDs it names, on its 1-based line, and its reason ("" when missing). */
export interface Suppression {
  line: number;
  rules: string[];
  reason: string;
}

/** Finds the inline suppressions in a file's text. */
export function parseSuppressions(text: string): Suppression[] {
  if (!text.includes("slipway-ignore")) return [];
  const out: Suppression[] = [];
  const lines = text.split("\n");
  lines.forEach((content, i) => {
    const m = MARK.exec(content);
    if (!m) return;
    out.push({ line: i + 1, rules: (m[1] ?? "").split(",").map((s) => s.trim()), reason: (m[2] ?? "").trim() });
  });
  return out;
}

/**
 * Drops the findings a suppression with a reason covers (same line or the line before),
 * and reports every suppression without a reason as SW0002 (which suppresses nothing).
 */
export function applySuppressions(file: string, findings: Finding[], suppressions: Suppression[]): Finding[] {
  const kept = findings.filter(
    (f) => !suppressions.some((s) => s.reason !== "" && s.rules.includes(f.rule) && (s.line === f.line || s.line === f.line - 1)),
  );
  for (const s of suppressions) {
    if (s.reason === "") {
      kept.push({ rule: "SW0002", file, line: s.line, message: `slipway-ignore ${s.rules.join(", ")} has no reason` });
    }
  }
  return kept;
}
