import { parseAllDocuments } from "yaml";
import type { AuditFile, Checker, Finding } from "./types.js";
import { MAX_ALIAS_COUNT } from "./yamldocs.js";

/**
 * Every *.yml / *.yaml must parse, and expand with at most MAX_ALIAS_COUNT aliases
 * (SW0001 with the parser's message otherwise).
 * Compose, Kubernetes and slipway.yaml rules build on this later.
 */
export const yamlChecker: Checker = {
  kind: "yaml",
  rules: [],
  matches: (rel) => /\.ya?ml$/i.test(rel),
  check(file: AuditFile): Finding[] {
    const out: Finding[] = [];
    for (const doc of parseAllDocuments(file.text)) {
      if (doc.errors.length === 0) {
        try {
          doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
        } catch (err) {
          out.push({
            rule: "SW0001",
            file: file.rel,
            line: 1,
            message: `cannot expand YAML: ${err instanceof Error ? err.message : String(err)}`,
          });
        }
      }
      for (const e of doc.errors) {
        const line = e.linePos?.[0].line ?? 1;
        out.push({
          rule: "SW0001",
          file: file.rel,
          line,
          message: `cannot parse YAML: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`,
        });
      }
    }
    return out.slice(0, 1);
  },
};
