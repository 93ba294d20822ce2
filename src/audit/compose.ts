import type { AuditFile, Checker, Finding } from "./types.js";
import { floatingImage, isObj, obj, str, yamlDocs } from "./yamldocs.js";
import type { RuleId } from "./rules.js";

/** compose.yml, compose.yaml, docker-compose.yml, docker-compose.yaml (any folder). */
export function isComposeFile(rel: string): boolean {
  return /(^|\/)(docker-)?compose\.ya?ml$/.test(rel);
}

/**
 * Docker Compose rules SW4001–SW4004, per service.
 *
 * @example
 * composeChecker.check({ rel: "compose.yaml", text: "services:\n  web:\n    image: nginx\n" }, project); // SW4001..SW4004
 */
export const composeChecker: Checker = {
  kind: "compose",
  rules: ["SW4001", "SW4002", "SW4003", "SW4004"],
  matches: isComposeFile,
  check(file: AuditFile): Finding[] {
    const out: Finding[] = [];
    for (const doc of yamlDocs(file.text)) {
      const services = obj(obj(doc.value)["services"]);
      for (const [name, raw] of Object.entries(services)) {
        if (!isObj(raw)) continue;
        const at = (rule: RuleId, message: string, path: string[] = []): void =>
          void out.push({ rule, file: file.rel, line: doc.line(["services", name, ...path]), message });
        const healthcheck = raw["healthcheck"];
        if (!isObj(healthcheck)) at("SW4001", `service ${name} has no healthcheck`);
        else if (healthcheck["disable"] === true) at("SW4001", `service ${name} disables its healthcheck`, ["healthcheck"]);
        const deploy = obj(raw["deploy"]);
        const limits = obj(obj(deploy["resources"])["limits"]);
        if (Object.keys(limits).length === 0 && raw["mem_limit"] === undefined && raw["cpus"] === undefined) {
          at("SW4002", `service ${name} has no resource limits`);
        }
        const restart = str(raw["restart"]);
        if ((restart === "" || restart === "no") && !isObj(deploy["restart_policy"])) {
          at("SW4003", `service ${name} has no restart policy`, restart === "no" ? ["restart"] : []);
        }
        const image = str(raw["image"]);
        if (floatingImage(image)) {
          at("SW4004", `service ${name} uses image ${image} without a version tag`, ["image"]);
        }
      }
    }
    return out;
  },
};
