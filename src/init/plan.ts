import { ciWorkflow, WORKFLOW_PATH } from "./ci-workflow.js";
import { dockerignore } from "./dockerignore.js";
import { goDockerfile } from "./dockerfile-go.js";
import { nodeDockerfile } from "./dockerfile-node.js";
import { pythonDockerfile } from "./dockerfile-python.js";
import { kubernetesManifests } from "./kubernetes.js";
import type { InitStrategy } from "./options.js";
import type { ProjectDir } from "./project-dir.js";
import { runbook } from "./runbook.js";
import { slipwayConfig } from "./slipway-config.js";
import type { Stack } from "./stack.js";

/** A file init would write: path relative to the project root, `/`-separated. */
export interface PlannedFile {
  path: string;
  content: string;
}

/** A file init leaves alone whatever the flags, and why. */
export interface KeptFile {
  path: string;
  reason: string;
}

export interface InitPlan {
  files: PlannedFile[];
  kept: KeptFile[];
}

/** Names of existing runbook or rollback documents (at the root or in docs/) that stand in for RUNBOOK.md. */
const RUNBOOK_DOC = /^(runbook|rollback|playbook|operations)[\w.-]*\.(md|markdown|txt|rst|adoc)$/i;

/**
 * What init writes for a stack, in order: Dockerfile (unless the project has
 * one: it is kept and configured the rest), .dockerignore, slipway.yaml, the CI
 * workflow, the Kubernetes manifests, and RUNBOOK.md (unless a runbook or
 * rollback document exists). Pure apart from looking for that document.
 *
 * @example
 * planInit(stack, "rolling", project).files.map((f) => f.path);
 * // ["Dockerfile", ".dockerignore", "slipway.yaml", ".github/workflows/ci-cd.yml", "k8s/deployment.yaml", ...]
 */
export function planInit(stack: Stack, strategy: InitStrategy, project: ProjectDir): InitPlan {
  const files: PlannedFile[] = [];
  const kept: KeptFile[] = [];
  const dockerfile = dockerfileFor(stack);
  if (stack.dockerfile) kept.push({ path: "Dockerfile", reason: "it exists and configures the rest (init never rewrites a Dockerfile)" });
  else if (dockerfile) files.push({ path: "Dockerfile", content: dockerfile });
  files.push(
    { path: ".dockerignore", content: dockerignore(stack) },
    { path: "slipway.yaml", content: slipwayConfig(stack, strategy) },
    { path: WORKFLOW_PATH, content: ciWorkflow(stack) },
    ...kubernetesManifests(stack),
  );
  const doc = runbookDoc(project);
  if (doc && doc !== "RUNBOOK.md") kept.push({ path: "RUNBOOK.md", reason: `not written: ${doc} is the runbook` });
  else files.push({ path: "RUNBOOK.md", content: runbook(stack) });
  return { files, kept };
}

function dockerfileFor(stack: Stack): string | undefined {
  const language = stack.language;
  if (language?.language === "node") return nodeDockerfile(stack, language);
  if (language?.language === "go") return goDockerfile(stack, language);
  if (language?.language === "python") return pythonDockerfile(stack, language);
  return undefined;
}

function runbookDoc(project: ProjectDir): string | undefined {
  if (project.has("RUNBOOK.md")) return "RUNBOOK.md";
  const root = project.list(".").find((f) => RUNBOOK_DOC.test(f));
  if (root) return root;
  const docs = project.list("docs").find((f) => RUNBOOK_DOC.test(f));
  return docs ? `docs/${docs}` : undefined;
}
