import { KUBERNETES_KINDS } from "./kubernetes.js";
import type { Finding, ProjectChecker, ProjectView } from "./types.js";
import { obj, str, yamlDocs, type Obj } from "./yamldocs.js";

interface Workload {
  name: string;
  kind: string;
  namespace: string;
  replicas: number;
  labels: Obj;
  file: string;
  line: number;
}

interface Budget {
  namespace: string;
  matchLabels: Obj;
  minAvailable: unknown;
  file: string;
  line: number;
  name: string;
}

/**
 * SW5014 across every Kubernetes YAML file: a Deployment or StatefulSet with 2+ replicas (or
 * scaled by an HPA) needs a PodDisruptionBudget in its namespace whose `matchLabels` all match
 * its pod labels. Also SW5016 for a budget whose numeric `minAvailable` reaches the replicas.
 *
 * @example
 * disruptionChecker.check(project); // [{ rule: "SW5014", file: "k8s/deploy.yaml", line: 4, ... }]
 */
export const disruptionChecker: ProjectChecker = {
  kind: "kubernetes-disruption",
  rules: ["SW5014"],
  applies: (project) => manifests(project).length > 0,
  check(project: ProjectView): Finding[] {
    const workloads: Workload[] = [];
    const budgets: Budget[] = [];
    const scaled = new Set<string>();
    for (const { rel, text } of manifests(project)) {
      for (const doc of yamlDocs(text)) {
        const root = obj(doc.value);
        const kind = str(root["kind"]);
        const meta = obj(root["metadata"]);
        const namespace = str(meta["namespace"]) || "default";
        const spec = obj(root["spec"]);
        if (kind === "Deployment" || kind === "StatefulSet") {
          const replicas = typeof spec["replicas"] === "number" ? spec["replicas"] : 1;
          const labels = obj(obj(obj(spec["template"])["metadata"])["labels"]);
          workloads.push({ name: str(meta["name"]), kind, namespace, replicas, labels, file: rel, line: doc.line(["kind"]) });
        } else if (kind === "HorizontalPodAutoscaler") {
          const target = obj(spec["scaleTargetRef"]);
          scaled.add(`${namespace}/${str(target["kind"])}/${str(target["name"])}`);
        } else if (kind === "PodDisruptionBudget") {
          const matchLabels = obj(obj(spec["selector"])["matchLabels"]);
          budgets.push({
            namespace,
            matchLabels,
            minAvailable: spec["minAvailable"],
            file: rel,
            line: doc.line(["spec", "minAvailable"]),
            name: str(meta["name"]),
          });
        }
      }
    }
    const out: Finding[] = [];
    for (const w of workloads) {
      const autoscaled = scaled.has(`${w.namespace}/${w.kind}/${w.name}`);
      if (w.replicas < 2 && !autoscaled) continue;
      const covering = budgets.filter((b) => b.namespace === w.namespace && selects(b.matchLabels, w.labels));
      const label = `${w.kind} ${w.name || "(unnamed)"}`;
      if (covering.length === 0) {
        const why = autoscaled ? "is autoscaled" : `has ${w.replicas} replicas`;
        out.push({ rule: "SW5014", file: w.file, line: w.line, message: `${label} ${why} but no PodDisruptionBudget selects its pods` });
      }
      for (const b of covering) {
        if (!autoscaled && typeof b.minAvailable === "number" && b.minAvailable >= w.replicas) {
          const message = `PodDisruptionBudget ${b.name || "(unnamed)"} has minAvailable ${b.minAvailable} of ${w.replicas} replicas of ${label}`;
          out.push({ rule: "SW5016", file: b.file, line: b.line, message });
        }
      }
    }
    return out;
  },
};

function manifests(project: ProjectView): { rel: string; text: string }[] {
  const out: { rel: string; text: string }[] = [];
  for (const rel of project.files) {
    if (!/\.ya?ml$/i.test(rel)) continue;
    const text = project.read(rel);
    if (text !== undefined && KUBERNETES_KINDS.test(text)) out.push({ rel, text });
  }
  return out;
}

/** A budget selects a pod when it names labels and every one matches (an empty selector is ignored: it selects everything in policy/v1 but is rarely meant). */
function selects(matchLabels: Obj, labels: Obj): boolean {
  const keys = Object.keys(matchLabels);
  return keys.length > 0 && keys.every((k) => str(matchLabels[k]) === str(labels[k]));
}
