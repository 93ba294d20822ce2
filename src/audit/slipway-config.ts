import { dirname } from "node:path";
import { formatAddress } from "../config/address.js";
import { parseConfig } from "../config/load.js";
import type { AuditConfig, Config } from "../config/types.js";
import { SlipwayError } from "../errors.js";
import type { AuditFile, Checker, Finding } from "./types.js";
import { yamlDocs, type YamlDoc } from "./yamldocs.js";
import type { RuleId } from "./rules.js";

/** A host only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** slipway.yaml / slipway.yml, at the root or in a sub-project. */
export function isSlipwayConfig(rel: string): boolean {
  return /(^|\/)slipway\.ya?ml$/.test(rel);
}

export const DEFAULT_AUDIT_SETTINGS: AuditConfig = Object.freeze({ ignore: [], actionPinning: "tag" });

/** A slipway.yaml parsed for the audit: the config, or why it is not valid. */
export interface ParsedSlipwayConfig {
  config?: Readonly<Config>;
  /** Problems of an invalid config, each "path: message (file:line)". */
  problems: string[];
  doc?: YamlDoc;
}

/**
 * Parses slipway.yaml text with Slipway's own loader (the same rules as `slipway deploy`),
 * never throwing: YAML syntax errors give no doc (the yaml checker reports them).
 *
 * @example
 * parseSlipwayConfig("name: web\napp: { command: node server.js }\n", "slipway.yaml").config?.retain; // 5
 */
export function parseSlipwayConfig(text: string, rel: string): ParsedSlipwayConfig {
  const doc = yamlDocs(text)[0];
  if (!doc) return { problems: [] };
  try {
    return { config: parseConfig(text, { file: rel, root: `/${dirname(rel)}` }).config, problems: [], doc };
  } catch (err) {
    if (!(err instanceof SlipwayError)) throw err;
    return { problems: err.details.length > 0 ? err.details : [err.message], doc };
  }
}

/**
 * slipway.yaml rules: SW6001 no readiness probe, SW6002 canary without analysis,
 * SW6003 retain < 2, SW6005 plain HTTP only beyond loopback, SW6006 HTTPS without
 * HSTS or redirect; an invalid config is SW0001 with its first problem.
 *
 * @example
 * slipwayConfigChecker.check({ rel: "slipway.yaml", text: "name: web\napp: { command: x }\nretain: 1\n" }, project);
 * // [{ rule: "SW6001", ... }, { rule: "SW6003", line: 3, ... }]
 */
export const slipwayConfigChecker: Checker = {
  kind: "slipway-config",
  rules: ["SW6001", "SW6002", "SW6003", "SW6005", "SW6006"],
  matches: isSlipwayConfig,
  check(file: AuditFile): Finding[] {
    const { config, problems, doc } = parseSlipwayConfig(file.text, file.rel);
    if (!doc) return [];
    const at = (rule: RuleId, path: string[], message: string): Finding => ({ rule, file: file.rel, line: doc.line(path), message });
    if (!config) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more: slipway config validate)` : "";
      const first = problems[0] ?? "invalid";
      const line = /:(\d+)\)$/.exec(first)?.[1];
      return [{ rule: "SW0001", file: file.rel, line: line ? Number(line) : 1, message: `invalid Slipway config: ${first}${more}` }];
    }
    const out: Finding[] = [];
    if (!config.health.readiness) out.push(at("SW6001", ["health"], `${file.rel} defines no readiness probe (health.readiness)`));
    const canary = config.strategy.canary;
    if (config.strategy.type === "canary" && canary && !canary.analysis && !canary.steps.some((s) => s.kind === "analysis")) {
      out.push(at("SW6002", ["strategy", "canary"], "the canary has no analysis (strategy.canary.analysis or an analysis step)"));
    }
    if (config.retain < 2) out.push(at("SW6003", ["retain"], `retain: ${config.retain} keeps no release to roll back to`));
    const { tls, trustedProxies } = config.router;
    if (!tls && !isLoopback(config.listen.host) && trustedProxies.length === 0) {
      out.push(
        at(
          "SW6005",
          ["listen"],
          `the router serves ${formatAddress(config.listen)} over plain HTTP only (no router.tls, no proxy in router.trustedProxies)`,
        ),
      );
    }
    if (tls && (!tls.redirect || tls.hsts === null)) {
      const missing = [
        ...(tls.redirect ? [] : ["plain HTTP is served (router.tls.redirect: false)"]),
        ...(tls.hsts === null ? ["no HSTS (router.tls.hsts)"] : []),
      ];
      out.push(at("SW6006", ["router", "tls"], `HTTPS is on, but ${missing.join(" and ")}`));
    }
    return out;
  },
};
