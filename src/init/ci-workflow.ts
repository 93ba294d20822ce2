import { stringify } from "yaml";
import { ciSteps, type Step } from "./ci-steps.js";
import { K8S_DIR } from "./kubernetes.js";
import type { Stack } from "./stack.js";

/** Where the workflow is written. */
export const WORKFLOW_PATH = ".github/workflows/ci-cd.yml";
const RUNNER = "ubuntu-24.04";
const CHECKOUT: Step = { name: "Check out", uses: "actions/checkout@v4" };
/** The image CI builds: lowercase (GitHub repository names may not be), tagged with the commit. */
const IMAGE = "ghcr.io/${GITHUB_REPOSITORY,,}:${GITHUB_SHA}";

/**
 * `.github/workflows/ci-cd.yml`: lint, type check and test on every push and
 * pull request; build the image once they pass; on main, push it, deploy to
 * staging, smoke-test staging, then deploy to production behind the
 * protected `production` environment. Least-privilege permissions, no
 * `${{ github.event.* }}` in scripts, secrets passed through `env:`.
 *
 * @example
 * ciWorkflow(stack); // "# CI/CD for web ...\nname: ci-cd\non:\n  push:\n..."
 */
export function ciWorkflow(stack: Stack): string {
  const steps = ciSteps(stack);
  const health = [...new Set([stack.health.liveness, stack.health.readiness])].join(" ");
  return `# CI/CD for ${stack.name}, written by \`slipway init\` (see docs/init.md).
# Pull requests: lint, type check${stack.tests ? ", test" : ""}, build the image.
# main: the same, then push the image, deploy it to staging, smoke-test staging, and deploy to
# production. Setup in GitHub (Settings > Environments): "staging" and "production" each with a
# KUBE_CONFIG secret (a kubeconfig allowed to deploy to its namespace); STAGING_URL (a variable of
# staging) for the smoke test; required reviewers on "production" so a person approves each deploy.
# Deploying to a host run by Slipway instead of Kubernetes: use a self-hosted runner on that host
# and replace the deploy steps with \`slipway deploy --version "$GITHUB_SHA"\` (see slipway.yaml).
name: ci-cd
on:
  push:
    branches: [main]
  pull_request:
# Least privilege: every job reads the repository; only the build job may also push packages.
permissions:
  contents: read
env:
  # The image named in ${K8S_DIR}/deployment.yaml, replaced by the commit's image on each deploy.
  MANIFEST_IMAGE: ${stack.image}
jobs:
  test:
    name: ${stack.tests ? "lint, type check, test" : "lint, type check (no tests yet; add a Test step with them)"}
    runs-on: ${RUNNER}
    timeout-minutes: 20
    steps:
${renderSteps([CHECKOUT, ...steps.setup, steps.lint, steps.typecheck, ...(steps.test ? [steps.test] : []), ...(steps.after ?? [])])}
  build:
    name: build image
    # Only code that passed the checks is built (and pushed).
    needs: [test]
    runs-on: ${RUNNER}
    timeout-minutes: 20
    permissions:
      contents: read
      packages: write
    steps:
${renderSteps([
  CHECKOUT,
  { name: "Build the image", run: `docker build --tag "${IMAGE}" .` },
  {
    name: "Push the image (main only)",
    if: "github.ref == 'refs/heads/main'",
    env: { REGISTRY_TOKEN: "${{ secrets.GITHUB_TOKEN }}" },
    run: `printf '%s' "$REGISTRY_TOKEN" | docker login ghcr.io --username "$GITHUB_ACTOR" --password-stdin\ndocker push "${IMAGE}"`,
  },
])}
${deployJob(stack, "staging", "build")}
  smoke-test:
    name: smoke test staging
    needs: [deploy-staging]
    if: github.ref == 'refs/heads/main'
    runs-on: ${RUNNER}
    timeout-minutes: 10
    environment: staging
    steps:
${renderSteps([
  {
    name: "Check staging's health endpoints",
    env: { BASE_URL: "${{ vars.STAGING_URL }}" },
    run: `: "\${BASE_URL:?set the STAGING_URL variable of the staging environment}"
for path in ${health}; do
  curl --fail --silent --show-error --max-time 5 --retry 10 --retry-delay 3 --retry-all-errors "$BASE_URL$path"
done`,
  },
])}
${deployJob(stack, "production", "smoke-test")}`;
}

function deployJob(stack: Stack, environment: "staging" | "production", after: string): string {
  const namespace = environment === "production" ? stack.name : `${stack.name}-staging`;
  const deployment = `deployment/${stack.name}`;
  return `  deploy-${environment}:
    name: deploy to ${environment}
    needs: [${after}]
    # Deploys only from main, never from a pull request or another branch.
    if: github.ref == 'refs/heads/main'
    runs-on: ${RUNNER}
    timeout-minutes: 15
    # The environment holds this deploy's secrets${environment === "production" ? " and its protection rules (required reviewers)" : ""}.
    environment: ${environment}
    # One deploy at a time per environment; a newer one waits rather than cancelling one half-way.
    concurrency:
      group: deploy-${environment}
      cancel-in-progress: false
    steps:
${renderSteps([
  CHECKOUT,
  {
    name: `Deploy to ${environment} (rolled back if the rollout fails)`,
    env: { KUBE_CONFIG: "${{ secrets.KUBE_CONFIG }}", NAMESPACE: `\${{ vars.KUBE_NAMESPACE || '${namespace}' }}` },
    run: `printf '%s' "$KUBE_CONFIG" > "$RUNNER_TEMP/kubeconfig"
export KUBECONFIG="$RUNNER_TEMP/kubeconfig"
(cd ${K8S_DIR} && kustomize edit set image "$MANIFEST_IMAGE=${IMAGE}")
kubectl apply -k ${K8S_DIR} --namespace "$NAMESPACE"
if ! kubectl rollout status ${deployment} --namespace "$NAMESPACE" --timeout 5m; then
  kubectl rollout undo ${deployment} --namespace "$NAMESPACE"
  exit 1
fi`,
  },
])}`;
}

/** Steps as YAML under `steps:` (6 spaces deep), without a trailing newline. */
function renderSteps(steps: Step[]): string {
  const ordered = steps.map(({ name, if: when, uses, with: inputs, env, run }) => ({
    name,
    ...(when ? { if: when } : {}),
    ...(uses ? { uses } : {}),
    ...(inputs ? { with: inputs } : {}),
    ...(env ? { env } : {}),
    ...(run ? { run } : {}),
  }));
  return stringify(ordered, { lineWidth: 0 })
    .trimEnd()
    .split("\n")
    .map((line) => `      ${line}`)
    .join("\n");
}
