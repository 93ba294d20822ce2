import { isDeepStrictEqual } from "node:util";
import type { AuditFile, Checker, Finding } from "./types.js";
import { arr, floatingImage, isObj, obj, str, yamlDocs, type Obj, type YamlDoc } from "./yamldocs.js";
import type { RuleId } from "./rules.js";

const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
/** A cheap pre-filter before parsing: does the text hold any kind these rules look at? */
export const KUBERNETES_KINDS = /^kind:\s*["']?(Deployment|StatefulSet|DaemonSet|HorizontalPodAutoscaler|PodDisruptionBudget)\b/m;

/**
 * Kubernetes rules SW5001–SW5013 and SW5015–SW5016: every document of any YAML file with
 * `apiVersion: apps/v1` and `kind: Deployment|StatefulSet|DaemonSet`, every
 * HorizontalPodAutoscaler and PodDisruptionBudget. SW5014 looks across files (disruption.ts).
 *
 * @example
 * kubernetesChecker.check({ rel: "k8s/app.yaml", text }, project); // [{ rule: "SW5001", line: 17, ... }]
 */
export const kubernetesChecker: Checker = {
  kind: "kubernetes",
  rules: [
    "SW5001",
    "SW5002",
    "SW5003",
    "SW5004",
    "SW5005",
    "SW5006",
    "SW5007",
    "SW5008",
    "SW5009",
    "SW5010",
    "SW5011",
    "SW5012",
    "SW5013",
    "SW5015",
    "SW5016",
  ],
  matches: (rel) => /\.ya?ml$/i.test(rel),
  check(file: AuditFile): Finding[] {
    if (!KUBERNETES_KINDS.test(file.text)) return [];
    const out: Finding[] = [];
    for (const doc of yamlDocs(file.text)) {
      const root = obj(doc.value);
      const kind = str(root["kind"]);
      if (kind === "HorizontalPodAutoscaler" || kind === "PodDisruptionBudget") {
        out.push(...(kind === "HorizontalPodAutoscaler" ? autoscalerBounds : budgetAllowance)(root, doc, file.rel));
        continue;
      }
      if (str(root["apiVersion"]) !== "apps/v1" || !WORKLOADS.has(kind)) continue;
      const name = `${kind} ${str(obj(root["metadata"])["name"]) || "(unnamed)"}`;
      const spec = obj(root["spec"]);
      const pod = obj(obj(spec["template"])["spec"]);
      const podPath = ["spec", "template", "spec"];
      const at = (rule: RuleId, path: (string | number)[], message: string): void =>
        void out.push({ rule, file: file.rel, line: doc.line(path), message });
      if (kind !== "DaemonSet") {
        const replicas = spec["replicas"];
        if (replicas === undefined) at("SW5011", ["spec"], `${name} has no replicas (defaults to 1)`);
        else if (typeof replicas === "number" && replicas < 2) at("SW5011", ["spec", "replicas"], `${name} has ${replicas} replica(s)`);
      }
      if (pod["terminationGracePeriodSeconds"] === undefined) {
        at("SW5013", podPath, `${name} does not set terminationGracePeriodSeconds`);
      }
      const podSecurity = obj(pod["securityContext"]);
      arr(pod["containers"]).forEach((raw, i) => {
        if (!isObj(raw)) return;
        const c = raw;
        const path = [...podPath, "containers", i];
        const cname = `${name} container ${str(c["name"]) || String(i)}`;
        if (!isObj(c["readinessProbe"])) at("SW5001", path, `${cname} has no readinessProbe`);
        if (!isObj(c["livenessProbe"])) at("SW5002", path, `${cname} has no livenessProbe`);
        if (!isObj(c["startupProbe"])) at("SW5003", path, `${cname} has no startupProbe`);
        if (isObj(c["livenessProbe"]) && isDeepStrictEqual(c["livenessProbe"], c["readinessProbe"])) {
          at("SW5004", [...path, "livenessProbe"], `${cname}: livenessProbe is identical to readinessProbe`);
        }
        const resources = obj(c["resources"]);
        const requests = obj(resources["requests"]);
        const limits = obj(resources["limits"]);
        const missingReq = ["cpu", "memory"].filter((k) => requests[k] === undefined);
        if (missingReq.length > 0) at("SW5005", path, `${cname} has no ${missingReq.join(" and ")} request`);
        if (limits["memory"] === undefined) at("SW5006", path, `${cname} has no memory limit`);
        const sc = obj(c["securityContext"]);
        const scPath = isObj(c["securityContext"]) ? [...path, "securityContext"] : path;
        const nonRoot = sc["runAsNonRoot"] ?? podSecurity["runAsNonRoot"];
        if (nonRoot !== true) at("SW5007", scPath, `${cname} does not set runAsNonRoot: true`);
        if (sc["readOnlyRootFilesystem"] !== true) at("SW5008", scPath, `${cname} does not set readOnlyRootFilesystem: true`);
        if (sc["allowPrivilegeEscalation"] !== false) at("SW5009", scPath, `${cname} does not set allowPrivilegeEscalation: false`);
        const image = str(c["image"]);
        if (image === "" || floatingImage(image)) {
          at("SW5010", [...path, "image"], `${cname} uses image ${image || "(none)"} without a version tag`);
        }
        if (!isObj(obj(c["lifecycle"])["preStop"])) at("SW5012", path, `${cname} has no preStop hook`);
      });
    }
    return out;
  },
};

/** SW5015: minReplicas >= 2 (absent means 1) and maxReplicas above it. */
function autoscalerBounds(root: Obj, doc: YamlDoc, rel: string): Finding[] {
  const spec = obj(root["spec"]);
  const name = `HorizontalPodAutoscaler ${str(obj(root["metadata"])["name"]) || "(unnamed)"}`;
  const min = typeof spec["minReplicas"] === "number" ? spec["minReplicas"] : 1;
  const max = spec["maxReplicas"];
  const out: Finding[] = [];
  if (min < 2) {
    const where = spec["minReplicas"] === undefined ? ["spec"] : ["spec", "minReplicas"];
    out.push({ rule: "SW5015", file: rel, line: doc.line(where), message: `${name} may scale down to ${min} replica` });
  }
  if (typeof max === "number" && max <= min) {
    out.push({
      rule: "SW5015",
      file: rel,
      line: doc.line(["spec", "maxReplicas"]),
      message: `${name}: maxReplicas ${max} <= minReplicas ${min}`,
    });
  }
  return out;
}

/** SW5016: a budget of maxUnavailable 0 (or 0%) or minAvailable 100% never lets a pod be evicted. */
function budgetAllowance(root: Obj, doc: YamlDoc, rel: string): Finding[] {
  const spec = obj(root["spec"]);
  const name = `PodDisruptionBudget ${str(obj(root["metadata"])["name"]) || "(unnamed)"}`;
  const maxUnavailable = str(spec["maxUnavailable"]);
  if (maxUnavailable === "0" || maxUnavailable === "0%") {
    return [
      { rule: "SW5016", file: rel, line: doc.line(["spec", "maxUnavailable"]), message: `${name} has maxUnavailable: ${maxUnavailable}` },
    ];
  }
  if (str(spec["minAvailable"]) === "100%") {
    return [{ rule: "SW5016", file: rel, line: doc.line(["spec", "minAvailable"]), message: `${name} has minAvailable: 100%` }];
  }
  return [];
}
