import { afterAll, describe, expect, it } from "vitest";
import { RULES } from "../src/audit/rules.js";
import { audit, cleanupTrees, ruleIds } from "./fixtures/audit/support.js";

afterAll(cleanupTrees);

const SHA = "b4ffde65f46336ab88eb53be808477a3936bae11";

/** A workflow that breaks no rule. */
const WORKFLOW = `name: ci
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: pnpm/action-setup@${SHA} # v4.0.0
      - run: npm ci
      - run: npm run lint
      - run: npm run typecheck
      - run: npm test
  build:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: docker build .
  deploy:
    needs: [build]
    if: github.ref == 'refs/heads/main'
    environment: production
    runs-on: ubuntu-latest
    steps:
      - run: ./deploy.sh
        env:
          TOKEN: \${{ secrets.DEPLOY_TOKEN }}
`;

/** A Compose file that breaks no rule. */
const COMPOSE = `services:
  web:
    image: ghcr.io/acme/web:1.4.2
    restart: unless-stopped
    mem_limit: 512m
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:3000/healthz"]
  worker:
    build: .
    deploy:
      resources:
        limits: { cpus: "0.5", memory: 256M }
      restart_policy: { condition: on-failure }
    healthcheck:
      test: ["CMD", "true"]
`;

/** A Deployment that breaks no rule (after a Service, to test multi-document files). */
const K8S = `apiVersion: v1
kind: Service
metadata: { name: web }
spec: { ports: [{ port: 80 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 40
      securityContext:
        runAsNonRoot: true
      containers:
        - name: web
          image: ghcr.io/acme/web:1.4.2
          readinessProbe:
            httpGet: { path: /readyz, port: 3000 }
          livenessProbe:
            httpGet: { path: /healthz, port: 3000 }
          startupProbe:
            httpGet: { path: /healthz, port: 3000 }
            failureThreshold: 30
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { memory: 256Mi }
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
          lifecycle:
            preStop:
              exec: { command: ["sleep", "5"] }
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: web }
spec:
  maxUnavailable: 1
  selector: { matchLabels: { app: web } }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: 3
  maxReplicas: 10
`;

const WF = ".github/workflows/ci.yml";
const NO_HPA = K8S.replace(/---\napiVersion: autoscaling[^]*$/, "");

/** [rule, file name, text that triggers it, text that does not]. */
const CASES: [string, string, string, string][] = [
  ["SW3001", WF, WORKFLOW.replace("      - run: npm test\n", ""), WORKFLOW],
  [
    "SW3001",
    WF,
    WORKFLOW.replace("      - run: npm test\n", "      - run: python -m build\n"),
    WORKFLOW.replace("      - run: npm test\n", "      - run: pytest -q\n"),
  ],
  ["SW3002", WF, WORKFLOW.replace("npm run lint", "npm run fmt"), WORKFLOW.replace("npm run lint", "npx eslint .")],
  ["SW3003", WF, WORKFLOW.replace("npm run typecheck", "npm run fmt"), WORKFLOW.replace("npm run typecheck", "npx tsc --noEmit")],
  ["SW3004", WF, WORKFLOW.replace("    needs: test\n", ""), WORKFLOW.replace("needs: [build]", "needs: [build, test]")],
  [
    "SW3005",
    WF,
    WORKFLOW.replace("    if: github.ref == 'refs/heads/main'\n", ""),
    WORKFLOW.replace("  pull_request:\n", "").replace("    if: github.ref == 'refs/heads/main'\n", ""),
  ],
  ["SW3006", WF, WORKFLOW.replace("    environment: production\n", ""), WORKFLOW],
  ["SW3007", WF, WORKFLOW.replace("permissions:\n  contents: read\n", ""), WORKFLOW],
  ["SW3008", WF, WORKFLOW.replace("permissions:\n  contents: read\n", "permissions: write-all\n"), WORKFLOW],
  ["SW3009", WF, WORKFLOW.replace(`@${SHA}`, "@main"), WORKFLOW.replace("actions/checkout@v4", "actions/checkout@main")],
  ["SW3009", WF, WORKFLOW.replace(`@${SHA}`, ""), WORKFLOW.replace(`@${SHA}`, "@v4.0.0")],
  ["SW3010", WF, WORKFLOW.replace(`@${SHA}`, "@v4"), WORKFLOW],
  [
    "SW3011",
    WF,
    WORKFLOW.replace("./deploy.sh", 'echo "${{ github.event.pull_request.title }}"'),
    WORKFLOW.replace("./deploy.sh", 'echo "$TITLE"').replace(
      "TOKEN: ${{ secrets.DEPLOY_TOKEN }}",
      "TITLE: ${{ github.event.pull_request.title }}",
    ),
  ],
  ["SW3012", WF, WORKFLOW.replace("./deploy.sh", "echo ${{ secrets.DEPLOY_TOKEN }}"), WORKFLOW.replace("./deploy.sh", 'echo "deploying"')],
  ["SW4001", "compose.yaml", COMPOSE.replace(/ {4}healthcheck:\n.*\n(?= {2}worker)/, ""), COMPOSE],
  ["SW4001", "compose.yml", COMPOSE.replace('test: ["CMD", "true"]', "disable: true"), COMPOSE],
  ["SW4002", "docker-compose.yml", COMPOSE.replace("    mem_limit: 512m\n", ""), COMPOSE.replace("mem_limit: 512m", 'cpus: "1.5"')],
  ["SW4003", "docker-compose.yaml", COMPOSE.replace("restart: unless-stopped", "restart: no"), COMPOSE],
  ["SW4004", "compose.yaml", COMPOSE.replace("web:1.4.2", "web:latest"), COMPOSE.replace("web:1.4.2", "web@sha256:" + "a".repeat(64))],
  [
    "SW4004",
    "compose.yaml",
    COMPOSE.replace("ghcr.io/acme/web:1.4.2", "localhost:5000/web"),
    COMPOSE.replace("ghcr.io/acme/web:1.4.2", "localhost:5000/web:2"),
  ],
  ["SW5001", "k8s/web.yaml", K8S.replace(/ {10}readinessProbe:\n.*\n/, ""), K8S],
  ["SW5002", "k8s/web.yaml", K8S.replace(/ {10}livenessProbe:\n.*\n/, ""), K8S],
  ["SW5003", "k8s/web.yaml", K8S.replace(/ {10}startupProbe:\n.*\n.*\n/, ""), K8S],
  [
    "SW5004",
    "k8s/web.yaml",
    K8S.replace("path: /healthz, port: 3000 }\n          startup", "path: /readyz, port: 3000 }\n          startup"),
    K8S,
  ],
  ["SW5005", "k8s/web.yaml", K8S.replace("cpu: 100m, memory: 128Mi", "memory: 128Mi"), K8S],
  [
    "SW5006",
    "k8s/web.yaml",
    K8S.replace("limits: { memory: 256Mi }", "limits: { cpu: 500m }"),
    K8S.replace("{ memory: 256Mi }", "{ cpu: 1, memory: 1Gi }"),
  ],
  [
    "SW5007",
    "k8s/web.yaml",
    K8S.replace("runAsNonRoot: true", "runAsUser: 1000"),
    K8S.replace("runAsNonRoot: true", "fsGroup: 1000").replace(
      "readOnlyRootFilesystem: true",
      "readOnlyRootFilesystem: true\n            runAsNonRoot: true",
    ),
  ],
  ["SW5008", "k8s/web.yaml", K8S.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"), K8S],
  ["SW5009", "k8s/web.yaml", K8S.replace("            allowPrivilegeEscalation: false\n", ""), K8S],
  ["SW5010", "k8s/web.yaml", K8S.replace("web:1.4.2", "web"), K8S],
  ["SW5010", "k8s/web.yaml", K8S.replace("web:1.4.2", "web:latest"), K8S.replace("apiVersion: apps/v1", "apiVersion: v1")],
  [
    "SW5011",
    "k8s/web.yaml",
    K8S.replace("replicas: 3", "replicas: 1"),
    K8S.replace("kind: Deployment", "kind: DaemonSet").replace("replicas: 3", "selector: {}"),
  ],
  ["SW5011", "k8s/web.yaml", K8S.replace("replicas: 3", "selector: {}"), K8S.replace("kind: Deployment", "kind: StatefulSet")],
  ["SW5012", "k8s/web.yaml", K8S.replace(/ {10}lifecycle:\n.*\n.*\n/, ""), K8S],
  ["SW5013", "k8s/web.yaml", K8S.replace("      terminationGracePeriodSeconds: 40\n", ""), K8S],
  ["SW5014", "k8s/web.yaml", K8S.replace("{ matchLabels: { app: web } }", "{ matchLabels: { app: api } }"), K8S],
  [
    "SW5014",
    "k8s/web.yaml",
    K8S.replace(/---\napiVersion: policy\/v1[^]*?---\n/, "---\n").replace("replicas: 3\n", "replicas: 1\n"),
    K8S.replace(/---\napiVersion: policy\/v1[^]*?---\n/, "---\n")
      .replace(/---\napiVersion: autoscaling[^]*$/, "")
      .replace("replicas: 3\n", "replicas: 1\n"),
  ],
  ["SW5015", "k8s/web.yaml", K8S.replace("minReplicas: 3", "minReplicas: 1"), K8S.replace("minReplicas: 3", "minReplicas: 2")],
  ["SW5015", "k8s/web.yaml", K8S.replace("maxReplicas: 10", "maxReplicas: 3"), K8S.replace("maxReplicas: 10", "maxReplicas: 4")],
  [
    "SW5016",
    "k8s/web.yaml",
    K8S.replace("maxUnavailable: 1", "maxUnavailable: 0"),
    K8S.replace("maxUnavailable: 1", "maxUnavailable: 25%"),
  ],
  // a numeric minAvailable is judged against a fixed replica count (an autoscaled one varies)
  [
    "SW5016",
    "k8s/web.yaml",
    NO_HPA.replace("maxUnavailable: 1", "minAvailable: 3"),
    NO_HPA.replace("maxUnavailable: 1", "minAvailable: 2"),
  ],
];

describe("workflow, Compose and Kubernetes rules: each has a case that triggers it and one that does not", () => {
  it.each(CASES)("%s (%s)", (rule, name, bad, good) => {
    expect(ruleIds({ [name]: bad })).toContain(rule);
    expect(ruleIds({ [name]: good })).not.toContain(rule);
  });

  it("the good files break no rule at all", () => {
    expect(ruleIds({ [WF]: WORKFLOW, "compose.yaml": COMPOSE, "k8s/web.yaml": K8S })).toEqual([]);
  });

  it("every SW3xxx, SW4xxx and SW5xxx rule has a case", () => {
    const covered = new Set(CASES.map((c) => c[0]));
    expect(RULES.filter((r) => /^SW[345]/.test(r.id) && !covered.has(r.id))).toEqual([]);
  });

  it("reports the line of the offending node", () => {
    const wf = WORKFLOW.replace(`@${SHA}`, "@main").replace("./deploy.sh", 'echo "${{ github.event.head_commit.message }}"');
    const k8s = K8S.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false").replace("replicas: 3", "replicas: 1");
    const r = audit({ [WF]: wf, "compose.yaml": COMPOSE.replace("web:1.4.2", "web:latest"), "k8s/web.yaml": k8s });
    expect(r.findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([
      ".github/workflows/ci.yml:13 SW3009",
      ".github/workflows/ci.yml:29 SW3011",
      "compose.yaml:3 SW4004",
      "k8s/web.yaml:11 SW5011",
      "k8s/web.yaml:31 SW5008",
    ]);
  });

  it("checks every workload of a multi-document file and ignores other kinds and other YAML", () => {
    const two = `${K8S}---\n${K8S.split("---\n")[1]?.replace("name: web\n", "name: api\n").replace("replicas: 3", "replicas: 1")}`;
    const r = audit({ "deploy/all.yml": two, "config.yaml": "kind: Deployment\nreplicas: 1\n", "compose.yaml": "services: {}\n" });
    expect(r.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)).toEqual([
      "deploy/all.yml:58 SW5011 Deployment api has 1 replica(s)",
    ]);
  });

  it("workflows outside .github/workflows and Compose files with other names are not checked as such", () => {
    expect(
      ruleIds({
        "docs/ci.yml": WORKFLOW.replace("permissions:\n  contents: read\n", ""),
        "my-compose.yaml": "services:\n  a:\n    image: x\n",
      }),
    ).toEqual([]);
  });

  it("a file with a YAML syntax error is reported once, as SW0001", () => {
    expect(ruleIds({ [WF]: "on: [push\n", "compose.yaml": "services:\n  a: [\n" })).toEqual(["SW0001", "SW0001"]);
  });
});
