import { parseAllDocuments } from "yaml";
import type { AuditFile, Checker, Finding } from "./types.js";

/**
 * Every *.yml / *.yaml must parse (SW0001 with the parser's message otherwise).
 * Compose, Kubernetes and slipway.yaml rules build on this later.
 */
export const yamlChecker: Checker = {
  kind: "yaml",
  rules: [],
  matches: (rel) => /\.ya?ml$/i.test(rel),
  check(file: AuditFile): Finding[] {
    const out: Finding[] = [];
    for (const doc of parseAllDocuments(file.text)) {
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
