import type { AuditFile, Checker, Finding, ProjectView } from "./types.js";
import { arr, isObj, obj, str, yamlDocs, type Obj } from "./yamldocs.js";
import type { RuleId } from "./rules.js";

/** .github/workflows/*.yml|yaml at the root of the audited directory. */
export function isWorkflow(rel: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/i.test(rel);
}

const TEST = /\btest\b|\b(pytest|jest|vitest|mocha|ava|tox|nox)\b/i;
const LINT = /\blint\b|\beslint\b|prettier\s+(--check|-c)\b|\bruff\b|\bgolangci-lint\b|\bflake8\b|\brubocop\b/i;
const TYPECHECK = /\btype-?check\b|\btsc\b|\bmypy\b|\bpyright\b/i;
const BUILD_OR_DEPLOY = /build|deploy|release|publish/i;
const DEPLOY = /deploy/i;
const MAIN_REF = /refs\/heads\/(main|master)\b/;
const BRANCH_REFS = new Set(["main", "master", "HEAD", "develop", "dev", "trunk", "latest"]);
const EVENT_IN_RUN = /\$\{\{[^}]*\bgithub\.event\./;
const ECHO_SECRET = /\becho\b[^\n;&|]*\$\{\{\s*secrets\./;

interface Job {
  id: string;
  job: Obj;
  steps: Obj[];
  runs: string;
}

/**
 * GitHub Actions workflow rules SW3001–SW3012.
 *
 * @example
 * workflowChecker.check({ rel: ".github/workflows/ci.yml", text }, project); // [{ rule: "SW3007", line: 1, ... }]
 */
export const workflowChecker: Checker = {
  kind: "github-workflow",
  rules: ["SW3001", "SW3002", "SW3003", "SW3004", "SW3005", "SW3006", "SW3007", "SW3008", "SW3009", "SW3010", "SW3011", "SW3012"],
  matches: isWorkflow,
  check(file: AuditFile, project: ProjectView): Finding[] {
    const doc = yamlDocs(file.text)[0];
    if (!doc) return [];
    const root = obj(doc.value);
    const out: Finding[] = [];
    const at = (rule: RuleId, path: (string | number)[], message: string): void =>
      void out.push({ rule, file: file.rel, line: doc.line(path), message });
    const on = triggers(root["on"] ?? root["true"]);
    const jobs: Job[] = Object.entries(obj(root["jobs"])).map(([id, raw]) => {
      const job = obj(raw);
      const steps = arr(job["steps"]).map(obj);
      return { id, job, steps, runs: steps.map((s) => str(s["run"])).join("\n") };
    });
    const jobsPath = root["jobs"] === undefined ? [] : ["jobs"];

    // SW3001-SW3003: only for workflows that check code (push or pull_request).
    if (on.has("push") || on.has("pull_request")) {
      const all = jobs.map((j) => j.runs).join("\n");
      if (!TEST.test(all)) at("SW3001", jobsPath, "no step runs the tests");
      if (!LINT.test(all)) at("SW3002", jobsPath, "no step runs a linter");
      if (!TYPECHECK.test(all)) at("SW3003", jobsPath, "no step runs a type check");
    }

    // SW3004: build/deploy jobs depend (transitively) on a test job.
    const testJobs = new Set(jobs.filter((j) => TEST.test(j.runs)).map((j) => j.id));
    const needs = new Map(jobs.map((j) => [j.id, needsOf(j.job)]));
    const dependsOnTest = (id: string, seen = new Set<string>()): boolean => {
      if (seen.has(id)) return false;
      seen.add(id);
      return (needs.get(id) ?? []).some((n) => testJobs.has(n) || dependsOnTest(n, seen));
    };
    for (const j of jobs) {
      const label = `${j.id} ${str(j.job["name"])}`;
      if (testJobs.size > 0 && BUILD_OR_DEPLOY.test(label) && !testJobs.has(j.id) && !dependsOnTest(j.id)) {
        at("SW3004", ["jobs", j.id], `job ${j.id} does not need the test job (${[...testJobs].join(", ")})`);
      }
      if (DEPLOY.test(label)) {
        if (!MAIN_REF.test(str(j.job["if"])) && !on.mainOnly) {
          at("SW3005", ["jobs", j.id], `deploy job ${j.id} is not limited to the main branch`);
        }
        if (j.job["environment"] === undefined) at("SW3006", ["jobs", j.id], `deploy job ${j.id} has no environment`);
      }
      j.steps.forEach((step, i) => {
        const uses = str(step["uses"]);
        if (uses) checkUses(uses, project.settings.actionPinning, (rule, message) => at(rule, ["jobs", j.id, "steps", i, "uses"], message));
        const run = str(step["run"]);
        if (EVENT_IN_RUN.test(run)) {
          at("SW3011", ["jobs", j.id, "steps", i, "run"], `step ${i + 1} of job ${j.id} interpolates \${{ github.event.* }} into a script`);
        }
        if (ECHO_SECRET.test(run)) at("SW3012", ["jobs", j.id, "steps", i, "run"], `step ${i + 1} of job ${j.id} echoes a secret`);
      });
    }

    // SW3007/SW3008: top-level permissions.
    const perms = root["permissions"];
    if (perms === undefined) {
      if (!jobs.every((j) => j.job["permissions"] !== undefined)) at("SW3007", [], "the workflow has no top-level permissions");
    } else if (perms === "write-all") at("SW3008", ["permissions"], "top-level permissions are write-all");
    return out;
  },
};

/** Event names of `on`, and whether push is the only code trigger and limited to main/master (or tags). */
function triggers(on: unknown): Set<string> & { mainOnly: boolean } {
  const names = typeof on === "string" ? [on] : Array.isArray(on) ? on.map(str) : Object.keys(obj(on));
  const set = Object.assign(new Set(names), { mainOnly: false });
  if (isObj(on) && !set.has("pull_request") && !set.has("pull_request_target")) {
    const push = obj(on["push"]);
    const branches = arr(push["branches"]).map(str);
    set.mainOnly =
      branches.length > 0
        ? branches.every((b) => b === "main" || b === "master")
        : push["tags"] !== undefined && !set.has("workflow_dispatch");
  }
  return set;
}

function needsOf(job: Obj): string[] {
  const n = job["needs"];
  return typeof n === "string" ? [n] : arr(n).map(str);
}

/** SW3009/SW3010 for one `uses:`; with pinning "sha" a tag is not enough (SW3009). */
function checkUses(uses: string, pinning: "tag" | "sha", report: (rule: RuleId, message: string) => void): void {
  if (uses.startsWith("./") || uses.startsWith("docker://")) return;
  const owner = uses.split("/")[0] ?? "";
  if (owner === "actions" || owner === "github") return;
  const at = uses.indexOf("@");
  const ref = at < 0 ? "" : uses.slice(at + 1);
  if (ref === "" || BRANCH_REFS.has(ref)) report("SW3009", `${uses} is not pinned to a tag or commit`);
  else if (/^[0-9a-f]{40}$/.test(ref)) return;
  else if (pinning === "sha") report("SW3009", `${uses} is pinned by tag; audit.actionPinning requires a commit SHA`);
  else report("SW3010", `${uses} is pinned by tag, not by commit SHA`);
}
