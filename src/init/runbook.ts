import { WORKFLOW_PATH } from "./ci-workflow.js";
import { K8S_DIR } from "./kubernetes.js";
import type { Stack } from "./stack.js";

/**
 * `RUNBOOK.md`: how to deploy, check and roll back, with Slipway and with
 * Kubernetes. Short on purpose: the page someone opens during an incident.
 *
 * @example
 * runbook(stack); // "# web runbook\n\n## Deploy\n..."
 */
export function runbook(stack: Stack): string {
  const { name, port } = stack;
  const { liveness, readiness } = stack.health;
  const paths = [...new Set([liveness, readiness])];
  const answers =
    liveness === readiness
      ? `answers \`GET ${liveness}\` while it is alive and can serve traffic (liveness and readiness)`
      : `answers \`GET ${liveness}\` while the process is alive\n(liveness) and \`GET ${readiness}\` while it can serve traffic (readiness)`;
  return `# ${name} runbook

Written by \`slipway init\`; keep it current. The service listens on \`$PORT\`
(${port} by default), ${answers}.
${stack.shared.length > 0 ? sharedSection(stack) : ""}
## Deploy

- **CI** (\`${WORKFLOW_PATH}\`): every push to \`main\` is linted, type-checked
  ${stack.tests ? "and tested" : "(not tested: the project has no tests yet)"}, built into \`ghcr.io/<owner>/<repo>:<commit>\`, deployed to
  staging, smoke-tested, then deployed to production once approved in the
  \`production\` environment.
- **Kubernetes by hand**: \`kubectl apply -k ${K8S_DIR} --namespace ${name}\`
  (set the image first: \`cd ${K8S_DIR} && kustomize edit set image ${stack.image}=IMAGE:TAG\`),
  then \`kubectl rollout status deployment/${name} --namespace ${name}\`.
- **A host run by Slipway**: \`slipway deploy\` (reads \`slipway.yaml\`; \`slipway status\`
  shows the rollout). A rollout that fails its health checks rolls back by itself.

## Roll back

Roll back first, investigate after.

- **Slipway**: \`slipway rollback\` returns to the previous successful release
  (\`slipway releases\` lists them; \`slipway rollback --to ID\` picks one). During a
  canary, \`slipway abort\` sends all traffic back to the stable release at once.
- **Kubernetes**: \`kubectl rollout undo deployment/${name} --namespace ${name}\`
  (\`kubectl rollout history deployment/${name}\` lists revisions; \`--to-revision N\`
  picks one). Then revert the commit on \`main\` so the next deploy does not bring it back.
- **Database migrations**: a rollback runs the old code against the new schema.
  Keep migrations backward compatible (add columns, never drop or rename in the
  same release) so rolling back never needs a down migration.

## Check

- Health: ${paths.map((p) => `\`curl -fsS http://HOST${p}\``).join(" and ")}.
- Slipway: \`slipway status\`, \`slipway logs -f\`.
- Kubernetes: \`kubectl get pods -l app.kubernetes.io/name=${name}\`,
  \`kubectl logs -l app.kubernetes.io/name=${name} --tail 100\`,
  \`kubectl describe pod POD\` (probe failures and restarts are in its events).
`;
}

function sharedSection(stack: Stack): string {
  const dirs = stack.shared.map((d) => `\`${d}/\``).join(", ");
  return `
## Data

The app writes ${dirs} (\`app.shared\` in \`slipway.yaml\`): Slipway keeps ${stack.shared.length > 1 ? "them" : "it"} across
releases and rollbacks (a named volume per path on Docker), shared by every instance.
Back ${stack.shared.length > 1 ? "them" : "it"} up; a rollback does not undo what the new release wrote.
`;
}
