import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runAudit } from "../src/audit/audit.js";
import { ruleById } from "../src/audit/rules.js";
import { loadConfig } from "../src/config/load.js";
import { SlipwayError } from "../src/errors.js";
import { nodeVersionFor, pythonVersionFor } from "../src/init/base-images.js";
import { readDockerfile } from "../src/init/detect-dockerfile.js";
import { detectStack } from "../src/init/detect.js";
import { normalizeInitOptions, type InitOptions } from "../src/init/options.js";
import { planInit } from "../src/init/plan.js";
import { projectDir } from "../src/init/project-dir.js";
import type { GoFacts, NodeFacts, PythonFacts } from "../src/init/stack.js";
import { writePlan } from "../src/init/write.js";
import * as projects from "./support/init-projects.js";
import { cleanupProjects, makeProject, type Files } from "./support/init-projects.js";
import { runCli, type CliResult } from "./support/project.js";

afterAll(cleanupProjects);

const ROLLING: InitOptions = { strategy: "rolling" };
const detect = (files: Files, options: Partial<InitOptions> = {}) => detectStack(makeProject(files), { ...ROLLING, ...options });
const node = (files: Files, options: Partial<InitOptions> = {}) => detect(files, options).language as NodeFacts;
const pkg = (value: object): string => JSON.stringify(value);

/** Runs init in-process (detect, plan, write) on a fresh copy of `files`; returns the directory. */
function init(files: Files, options: Partial<InitOptions> = {}): string {
  const dir = makeProject(files);
  const stack = detectStack(dir, { ...ROLLING, ...options });
  writePlan(dir, planInit(stack, options.strategy ?? "rolling", projectDir(dir)).files, { force: false, dryRun: false });
  return dir;
}

function slipway(cwd: string, ...args: string[]): Promise<CliResult> {
  return runCli(cwd, args);
}

/** Every file under `dir` with its size and mtime: equal listings mean nothing was written. */
function listing(dir: string, rel = ""): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return [`${path}/`, ...listing(dir, path)];
    const s = statSync(join(dir, path));
    return [`${path} ${s.size} ${s.mtimeMs}`];
  });
}

const GENERATED = [
  ".dockerignore",
  "slipway.yaml",
  ".github/workflows/ci-cd.yml",
  "k8s/deployment.yaml",
  "k8s/service.yaml",
  "k8s/pdb.yaml",
  "k8s/hpa.yaml",
  "k8s/kustomization.yaml",
  "RUNBOOK.md",
];

describe("stack detection", () => {
  it("order: an existing Dockerfile is kept and configures port, health path and user; then Node, Go, Python", () => {
    const withDockerfile = detect(projects.existingDockerfile);
    expect(withDockerfile.dockerfile).toEqual({ port: 8080, healthPath: "/healthz", user: "node" });
    expect([withDockerfile.language?.language, withDockerfile.port, withDockerfile.uid]).toEqual(["node", 8080, 1000]);
    expect(withDockerfile.health).toEqual({ liveness: "/healthz", readiness: "/readyz" });

    const all = { ...projects.nodeNpm, ...projects.goService, ...projects.pythonFastapi };
    expect(detect(all).language?.language).toBe("node");
    expect(detect(all).notes).toContain("also found go, python: pass --stack to pick another");
    const noNode = Object.fromEntries(Object.entries(all).filter(([rel]) => rel !== "package.json"));
    expect(detect(noNode).language?.language).toBe("go");
    expect(detect(all, { stack: "python" }).language?.language).toBe("python");
    expect(detect(all, { stack: "go" }).language?.language).toBe("go");
  });

  it("an existing Dockerfile alone: no language, CI on make targets, uid from USER", () => {
    const stack = detect(projects.dockerfileOnly);
    expect([stack.language, stack.port, stack.uid, stack.health.liveness]).toEqual([undefined, 9000, 10001, "/health"]);
    expect(readDockerfile("FROM a\nEXPOSE 80\nFROM b\nENV PORT=5000\nUSER app\n")).toEqual({ port: 5000, user: "app" });
    expect(detect({ Dockerfile: "FROM alpine:3.20\nUSER web\n" }).notes).toContain(
      "the Dockerfile's USER web is not numeric: Kubernetes runs it as uid 10001 (runAsUser); set the real uid",
    );
  });

  it.each([
    [{ "package-lock.json": "{}" }, "npm", "package-lock.json"],
    [{ "npm-shrinkwrap.json": "{}" }, "npm", "npm-shrinkwrap.json"],
    [{ "yarn.lock": "" }, "yarn", "yarn.lock"],
    [{ "pnpm-lock.yaml": "" }, "pnpm", "pnpm-lock.yaml"],
    [{ "bun.lock": "{}" }, "bun", "bun.lock"],
    [{ "bun.lockb": "" }, "bun", "bun.lockb"],
    [{}, "npm", undefined],
    [{ "yarn.lock": "", "package-lock.json": "{}" }, "yarn", "yarn.lock"],
  ] as const)("package manager from the lockfile: %j → %s", (lockfiles, manager, lockfile) => {
    const facts = node({ "package.json": pkg({ name: "x" }), ...lockfiles });
    expect([facts.packageManager, facts.lockfile]).toEqual([manager, lockfile]);
  });

  it("the packageManager field wins over lockfiles; yarn 2+ is berry", () => {
    expect(node({ "package.json": pkg({ packageManager: "pnpm@9.15.0" }), "package-lock.json": "{}" }).packageManager).toBe("pnpm");
    expect(node({ "package.json": pkg({ packageManager: "yarn@4.5.3" }), "yarn.lock": "" }).yarnBerry).toBe(true);
    expect(node({ "package.json": pkg({}), "yarn.lock": "", ".yarnrc.yml": "nodeLinker: node-modules\n" }).extraManifests).toEqual([
      ".yarnrc.yml",
    ]);
    expect(node({ "package.json": pkg({}), "yarn.lock": "# yarn lockfile v1\n" }).yarnBerry).toBe(false);
    expect(node({ "package.json": pkg({}), "bun.lock": "" }).runtimeVersion).toBe("1.3.4");
    expect(node({ "package.json": pkg({}), "bun.lock": "", ".bun-version": "1.1.38\n" }).runtimeVersion).toBe("1.1.38");
  });

  it("node version: engines.node, then .nvmrc, then .node-version, then the default LTS", () => {
    const files = { "package.json": pkg({ engines: { node: "^20.5.0" } }), ".nvmrc": "18\n", ".node-version": "v22.1.0\n" };
    expect(node(files).runtimeVersion).toBe("20.18");
    expect(node({ ...files, "package.json": pkg({}) }).runtimeVersion).toBe("18.20");
    expect(node({ "package.json": pkg({}), ".node-version": "v22.1.0\n" }).runtimeVersion).toBe("22.1.0");
    expect(node({ "package.json": pkg({}) }).runtimeVersion).toBe("24.11");
  });

  it.each([
    [">=18", "24.11"],
    [">= 24", "24.11"],
    ["^20.5.0", "20.18"],
    ["~18.19", "18.20"],
    ["20.x", "20.18"],
    ["20", "20.18"],
    ["v20.11.1", "20.11.1"],
    ["22.11", "22.11"],
    ["lts/iron", "20.18"],
    ["lts/*", "24.11"],
    ["banana", undefined],
  ])("node version spec %s → image version %s", (spec, version) => {
    expect(nodeVersionFor(spec)).toBe(version);
  });

  it.each([
    [projects.nodeNext, "next", ".next", ["node_modules/.bin/next", "start"]],
    [projects.nodeNest, "nest", "dist", ["node", "dist/main.js"]],
    [projects.nodeYarnExpress, "express", undefined, ["node", "src/index.js"]],
    [projects.nodePnpmFastify, "fastify", "dist", ["node", "dist/server.js"]],
    [projects.bunHono, "hono", undefined, ["bun", "src/index.ts"]],
  ] as const)("framework hints: %#", (files, framework, outDir, start) => {
    const facts = node(files);
    expect([facts.framework, facts.build?.outDir, facts.start]).toEqual([framework, outDir, start]);
    expect(detect(files).port).toBe(3000);
  });

  it("TypeScript: outDir from tsconfig.json; a guessed start command is a note", () => {
    const files = {
      "package.json": pkg({ scripts: { build: "tsc" } }),
      "tsconfig.json": '{ "compilerOptions": { "outDir": "build/" } }',
      "src/main.ts": "",
    };
    const stack = detect(files);
    expect([(stack.language as NodeFacts).typescript, (stack.language as NodeFacts).start]).toEqual([true, ["node", "build/main.js"]]);
    expect(stack.notes).toContain('start command guessed as "node build/main.js": check CMD in the Dockerfile');
  });

  it("Go: toolchain, else the go directive; go.sum; main package at the root or in cmd/*", () => {
    const go = (files: Files) => detect(files).language as GoFacts;
    expect(go(projects.goService)).toEqual({ language: "go", goVersion: "1.22", hasGoSum: true, mainPackage: "./cmd/inventory" });
    expect(go({ "go.mod": "module x\n\ngo 1.21\n\ntoolchain go1.23.4\n", "main.go": "package main\n" })).toEqual({
      language: "go",
      goVersion: "1.23",
      hasGoSum: false,
      mainPackage: ".",
    });
    expect(detect({ "go.mod": "module x\n" }).port).toBe(8080);
  });

  it("Python: manager, version, framework and server command", () => {
    const py = (files: Files) => detect(files).language as PythonFacts;
    const fastapi = py(projects.pythonFastapi);
    expect([fastapi.manager, fastapi.pythonVersion, fastapi.framework, fastapi.serverPackages, fastapi.devRequirements]).toEqual([
      "pip",
      "3.12",
      "fastapi",
      [],
      "requirements-dev.txt",
    ]);
    expect(fastapi.start).toEqual(["sh", "-c", 'exec uvicorn app.main:app --host 0.0.0.0 --port "$PORT" --proxy-headers']);
    const flask = py(projects.pythonFlaskPoetry);
    expect([flask.manager, flask.manifests, flask.pythonVersion, flask.start, flask.serverPackages]).toEqual([
      "poetry",
      ["pyproject.toml", "poetry.lock"],
      "3.12",
      ["gunicorn", "--access-logfile", "-", "app:app"],
      ["gunicorn==23.0.0"],
    ]);
    const django = py({
      Pipfile: '[packages]\ndjango = "==5.1.4"\n\n[requires]\npython_version = "3.11"\n',
      "manage.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")\n',
    });
    expect([django.manager, django.pythonVersion, django.start]).toEqual([
      "pipenv",
      "3.11",
      ["gunicorn", "--access-logfile", "-", "shop.wsgi:application"],
    ]);
    expect(py({ "pyproject.toml": '[project]\nrequires-python = ">=3.10"\n', "uv.lock": "" }).manager).toBe("uv");
    expect(pythonVersionFor("python-3.11.9")).toBe("3.11");
    expect(detect({ "requirements.txt": "flask==3.1.0\n" }).port).toBe(8000);
  });

  it("health paths: routes named in the source, slipway/health's defaults, else /healthz with a note", () => {
    expect(detect(projects.nodePnpmFastify).health).toEqual({ liveness: "/livez", readiness: "/readyz" });
    expect(detect({ "package.json": "{}", "server.js": 'import { createHealth } from "slipway/health";\n' }).health).toEqual({
      liveness: "/health",
      readiness: "/health/ready",
    });
    expect(detect({ "requirements.txt": "", "urls.py": 'path("healthz/", views.health)\n' }).health.liveness).toBe("/healthz");
    const none = detect({ "package.json": "{}" });
    expect(none.health).toEqual({ liveness: "/healthz", readiness: "/healthz" });
    expect(none.notes).toContain("no health route found in the source: serve GET /healthz (200 when up), or pass --health-path");
    expect(detect(projects.nodeNpm, { healthPath: "/ping", port: 4000 })).toMatchObject({
      port: 4000,
      health: { liveness: "/ping", readiness: "/readyz" },
    });
  });

  it("name and image: package.json (scope dropped), go.mod, pyproject.toml, the directory; image from the GitHub remote", () => {
    expect(detect(projects.nodeYarnExpress).name).toBe("shop");
    expect(detect(projects.goService).name).toBe("inventory");
    expect(detect(projects.pythonFlaskPoetry).name).toBe("billing");
    expect(detect({ "package.json": pkg({ name: "My_App" }) }).name).toBe("my-app");
    expect(detect(projects.nodeNpm, { name: "web" }).name).toBe("web");
    expect(detect(projects.nodeNpm).image).toBe("ghcr.io/your-org/web-npm");
    const git = { ".git/config": '[remote "origin"]\n\turl = git@github.com:Acme/Web-App.git\n\tfetch = +refs/heads/*\n' };
    expect(detect({ ...projects.nodeNpm, ...git }).image).toBe("ghcr.io/acme/web-app");
  });

  it("usage errors: missing directory, nothing to detect, --stack without its manifest", () => {
    const usage = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err instanceof SlipwayError ? [err.code, err.message, err.hint] : err;
      }
      return "no error";
    };
    const empty = makeProject({});
    expect(usage(() => detectStack(join(empty, "nope"), ROLLING))).toEqual([
      "USAGE",
      `${join(empty, "nope")}: no such directory`,
      "pass the project's directory: slipway init [dir]",
    ]);
    expect(usage(() => detectStack(empty, ROLLING))).toEqual([
      "USAGE",
      `nothing to detect in ${empty}: no Dockerfile, package.json, go.mod, requirements.txt, pyproject.toml or Pipfile`,
      "run slipway init in the project's root directory, or pass --stack node|go|python",
    ]);
    const dir = makeProject(projects.goService);
    expect(usage(() => detectStack(dir, { ...ROLLING, stack: "python" }))).toEqual([
      "USAGE",
      `--stack python: no requirements.txt, pyproject.toml, Pipfile in ${dir}`,
      "create it first, or pick the stack that is there (go)",
    ]);
    expect(usage(() => normalizeInitOptions({ stack: "ruby" }))).toEqual([
      "USAGE",
      "--stack ruby: unknown value",
      "use one of node, go, python",
    ]);
  });
});

/** Every stack init supports, with the user's project around it. */
const STACKS: [string, Files, Partial<InitOptions>][] = [
  ["Node, npm", projects.nodeNpm, {}],
  ["Node, yarn, Express", projects.nodeYarnExpress, {}],
  ["Node, pnpm, TypeScript, Fastify", projects.nodePnpmFastify, {}],
  ["Node, bun, Hono", projects.bunHono, {}],
  ["Node, npm, canary strategy", projects.nodeNpm, { strategy: "canary" }],
  ["Go", projects.goService, {}],
  ["Python, pip, FastAPI", projects.pythonFastapi, {}],
  ["Python, poetry, Flask", projects.pythonFlaskPoetry, {}],
  ["Node, start script running a node_modules/.bin server with $PORT", projects.nodeBinStart, {}],
  ["Python, FastAPI app factory", projects.pythonFastapiFactory, {}],
  ["existing Dockerfile (Node)", projects.existingDockerfile, {}],
  ["existing Dockerfile only", projects.dockerfileOnly, {}],
];

describe("init → audit: everything init writes passes slipway audit", () => {
  it.each(STACKS)("%s: no error or warning", (_name, files, options) => {
    const dir = init(files, options);
    const report = runAudit(dir);
    const serious = report.findings.filter((f) => ruleById(f.rule).severity !== "info");
    expect(serious).toEqual([]);
    expect(report.rulesRun).toEqual(expect.arrayContaining(["SW1003", "SW3001", "SW5001", "SW5014", "SW5015", "SW6001"]));
  });

  it.each(STACKS)("%s: slipway.yaml loads with Slipway's config loader", (_name, files, options) => {
    const dir = init(files, options);
    const { config } = loadConfig({ cwd: dir });
    expect(config).toMatchObject({
      platform: "docker",
      app: { replicas: 2, build: { context: dir, dockerfile: "Dockerfile" } },
      retain: 5,
    });
    expect(config.health.readiness).toBeDefined();
    expect(config.strategy.type).toBe(options.strategy ?? "rolling");
  });

  it.each(STACKS)("%s: every file is written, YAML parses, the Dockerfile is pinned, multi-stage and non-root", (_name, files, options) => {
    const dir = init(files, options);
    for (const rel of [...GENERATED, "Dockerfile"]) expect(existsSync(join(dir, rel)), rel).toBe(true);
    for (const rel of GENERATED.filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))) {
      expect(
        parseAllDocuments(readFileSync(join(dir, rel), "utf8")).flatMap((d) => d.errors),
        rel,
      ).toEqual([]);
    }
    const dockerfile = readFileSync(join(dir, "Dockerfile"), "utf8");
    if (files["Dockerfile"] !== undefined) return void expect(dockerfile).toBe(files["Dockerfile"]);
    const froms = dockerfile.match(/^FROM \S+/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM [\w./-]+:\d[\w.-]*$/);
    expect(dockerfile).toMatch(/^USER [1-9]\d*:[1-9]\d*$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it("the Kubernetes manifests: probes, resources, security context, PDB and HPA wired to the Deployment", () => {
    const dir = init(projects.nodePnpmFastify);
    const [deployment, pdb, hpa] = ["deployment", "pdb", "hpa"].map((f) =>
      parseAllDocuments(readFileSync(join(dir, `k8s/${f}.yaml`), "utf8"))[0]?.toJS(),
    );
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect([container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path, container.startupProbe.httpGet.path]).toEqual([
      "/readyz",
      "/livez",
      "/livez",
    ]);
    expect(container.resources).toEqual({ requests: { cpu: "100m", memory: "192Mi" }, limits: { memory: "512Mi" } });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(container.lifecycle.preStop).toBeDefined();
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(30);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.template.metadata.labels);
    expect(hpa).toMatchObject({ apiVersion: "autoscaling/v2", spec: { minReplicas: 2, maxReplicas: 10, scaleTargetRef: { name: "api" } } });
    expect(hpa.spec.metrics[0].resource.name).toBe("cpu");
  });

  it("the CI workflow: test job, build needs it, deploys on main behind environments, smoke test between them", () => {
    const dir = init(projects.nodePnpmFastify);
    const wf = parseAllDocuments(readFileSync(join(dir, ".github/workflows/ci-cd.yml"), "utf8"))[0]?.toJS();
    expect(Object.keys(wf.jobs)).toEqual(["test", "build", "deploy-staging", "smoke-test", "deploy-production"]);
    expect(wf.jobs.test.steps.map((s: { run?: string }) => s.run).filter(Boolean)).toEqual([
      "corepack enable && pnpm install --frozen-lockfile",
      "pnpm run lint",
      "pnpm run typecheck",
      "pnpm test",
    ]);
    expect(wf.permissions).toEqual({ contents: "read" });
    expect([wf.jobs.build.needs, wf.jobs["deploy-staging"].needs, wf.jobs["smoke-test"].needs, wf.jobs["deploy-production"].needs]).toEqual(
      [["test"], ["build"], ["deploy-staging"], ["smoke-test"]],
    );
    expect([wf.jobs["deploy-staging"].environment, wf.jobs["deploy-production"].environment]).toEqual(["staging", "production"]);
    expect(wf.jobs["deploy-production"].if).toBe("github.ref == 'refs/heads/main'");
  });

  it("RUNBOOK.md is not written when a runbook or rollback document exists", () => {
    const dir = init({ ...projects.nodeNpm, "docs/rollback.md": "# Rolling back\n" });
    expect(existsSync(join(dir, "RUNBOOK.md"))).toBe(false);
    expect(readFileSync(join(init(projects.nodeNpm), "RUNBOOK.md"), "utf8")).toMatch(/slipway rollback[\s\S]*kubectl rollout undo/);
  });
});

describe("slipway init (built CLI)", () => {
  it("writes every file and says so, exit 0", async () => {
    const dir = makeProject(projects.nodeNpm);
    const r = await slipway(dir, "init");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain("detected node (service web-npm):\n  Dockerfile: none, init writes one\n  node: package.json\n");
    expect(r.stdout).toContain(["Dockerfile", ...GENERATED].map((f) => `created ${f}`).join("\n"));
    expect(readdirSync(dir).sort()).toEqual(
      [
        ".dockerignore",
        ".env.example",
        ".github",
        "Dockerfile",
        "README.md",
        "RUNBOOK.md",
        "k8s",
        "package-lock.json",
        "package.json",
        "server.js",
        "slipway.yaml",
        "test",
      ].sort(),
    );
    const audit = await slipway(dir, "audit", "--fail-on", "warning");
    expect([audit.code, audit.stdout]).toEqual([0, expect.stringMatching(/\(0 error, 0 warning, \d+ info;/)]);
  });

  it("--dry-run prints each file and its content, and writes nothing", async () => {
    const dir = makeProject(projects.goService);
    const before = listing(dir);
    const r = await slipway(dir, "init", "--dry-run");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(listing(dir)).toEqual(before);
    expect(r.stdout).toContain("dry run: nothing is written");
    for (const f of ["Dockerfile", ...GENERATED]) expect(r.stdout).toContain(`--- ${f} (would create)\n`);
    expect(r.stdout).toContain("--- Dockerfile (would create)\n# Dockerfile for inventory");
    expect(r.stdout).toContain('RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ./cmd/inventory\n');
  });

  it("skips existing files (content unchanged) with a line saying how to overwrite; --force overwrites them", async () => {
    const dir = makeProject({ ...projects.nodeNpm, "slipway.yaml": "name: mine\n", "k8s/service.yaml": "# mine\n" });
    const r = await slipway(dir, "init", dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("skipped slipway.yaml: it exists (pass --force to overwrite)\n");
    expect(r.stdout).toContain("skipped k8s/service.yaml: it exists (pass --force to overwrite)\n");
    expect(r.stdout).toContain("created k8s/deployment.yaml\n");
    expect(readFileSync(join(dir, "slipway.yaml"), "utf8")).toBe("name: mine\n");
    expect(readFileSync(join(dir, "k8s/service.yaml"), "utf8")).toBe("# mine\n");

    const dry = await slipway(dir, "init", "--dry-run", "--force");
    expect(dry.stdout).toContain("--- slipway.yaml (would overwrite)\n");
    expect(readFileSync(join(dir, "slipway.yaml"), "utf8")).toBe("name: mine\n");

    const forced = await slipway(dir, "init", "--force");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("overwrote slipway.yaml\n");
    expect(readFileSync(join(dir, "slipway.yaml"), "utf8")).toContain("name: web-npm\n");
  });

  it("everything exists: nothing written, exit 0", async () => {
    const dir = init(projects.nodeNpm);
    const before = listing(dir);
    const r = await slipway(dir, "init");
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain("  Dockerfile: written by slipway init, so init's own (--force rewrites it)\n");
    expect(r.stdout).toContain("nothing written: all 10 files exist (pass --force to overwrite them)");
    expect(listing(dir)).toEqual(before);
    const forced = await slipway(dir, "init", "--force", "--port", "4000");
    expect(forced.stdout).toContain("overwrote Dockerfile\n");
    expect(readFileSync(join(dir, "Dockerfile"), "utf8")).toContain("EXPOSE 4000\n");
  });

  it("an existing Dockerfile is kept, even with --force", async () => {
    const dir = makeProject(projects.existingDockerfile);
    const r = await slipway(dir, "init", "--force");
    expect(r.stdout).toContain("kept Dockerfile: it exists and configures the rest (init never rewrites a Dockerfile)\n");
    expect(readFileSync(join(dir, "Dockerfile"), "utf8")).toBe(projects.existingDockerfile["Dockerfile"]);
    expect(readFileSync(join(dir, "k8s/deployment.yaml"), "utf8")).toContain("containerPort: 8080");
  });

  it("--json: the stack and one entry per file", async () => {
    const dir = makeProject(projects.pythonFastapi);
    const r = await slipway(dir, "--json", "init", "--dry-run", "--name", "api", "--port", "9000", "--strategy", "canary");
    const out = JSON.parse(r.stdout);
    expect(out.stack).toMatchObject({ name: "api", port: 9000, language: { language: "python", framework: "fastapi" } });
    expect(out.files[0]).toMatchObject({ path: "Dockerfile", action: "create" });
    expect(out.files.find((f: { path: string }) => f.path === "slipway.yaml").content).toContain("type: canary");
    expect(readdirSync(dir)).not.toContain("slipway.yaml");
  });

  const empty = mkdtempSync(join(tmpdir(), "slipway-init-empty-"));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));
  it.each([
    [["--stack", "ruby"], "error: --stack ruby: unknown value\nhint: use one of node, go, python\n"],
    [
      [],
      `error: nothing to detect in ${empty}: no Dockerfile, package.json, go.mod, requirements.txt, pyproject.toml or Pipfile\nhint: run slipway init in the project's root directory, or pass --stack node|go|python\n`,
    ],
    [["missing"], "error: missing: no such directory\nhint: pass the project's directory: slipway init [dir]\n"],
    [["--stack", "go"], `error: --stack go: no go.mod in ${empty}\nhint: create it first, or pick the stack that is there\n`],
    [["--port", "http"], "error: --port http: not a port\nhint: use a number from 1 to 65535\n"],
    [["--port", "70000"], "error: --port 70000: not a port\nhint: use a number from 1 to 65535\n"],
    [
      ["--name", "My App"],
      "error: --name My App: not a valid service name\nhint: use lowercase letters, digits and dashes (at most 63), like hello-api\n",
    ],
    [["--strategy", "blue-green"], "error: --strategy blue-green: unknown value\nhint: use one of rolling, canary\n"],
    [["--health-path", "healthz"], "error: --health-path healthz: not a URL path\nhint: use a path starting with /, like /healthz\n"],
    [
      ["--image", "ghcr.io/acme/web:1.0"],
      "error: --image ghcr.io/acme/web:1.0: not an image repository\nhint: use a lowercase repository without a tag, like ghcr.io/acme/web\n",
    ],
  ])("usage error %j: exit 2, one line and a hint, nothing written", async (args, stderr) => {
    const r = await slipway(empty, "init", ...args);
    expect(r).toEqual({ code: 2, stdout: "", stderr });
    expect(readdirSync(empty)).toEqual([]);
  });

  it.each([
    ["{ not json", /^error: package\.json is not valid JSON: .+\n/],
    ["[1, 2]", /^error: package\.json is not a JSON object\n/],
  ])("a broken package.json (%s) is a usage error: nothing is guessed or written", async (text, first) => {
    const dir = makeProject({ "package.json": text });
    const r = await slipway(dir, "init");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(first);
    expect(r.stderr).toMatch(/\nhint: fix package\.json \(npm cannot read it either\), then run slipway init again\n$/);
    expect(readdirSync(dir)).toEqual(["package.json"]);
  });

  it("usage errors write nothing in a detectable project either", async () => {
    const dir = makeProject(projects.nodeNpm);
    const before = listing(dir);
    const r = await slipway(dir, "init", "--port", "0");
    expect(r).toEqual({ code: 2, stdout: "", stderr: "error: --port 0: not a port\nhint: use a number from 1 to 65535\n" });
    expect(listing(dir)).toEqual(before);
  });
});

/** The words of the generated Dockerfile's CMD (JSON form). */
function cmdOf(dir: string): string[] {
  const line = /^CMD (\[.*\])$/m.exec(readFileSync(join(dir, "Dockerfile"), "utf8"))?.[1];
  return JSON.parse(line ?? "[]") as string[];
}

/** Files a command names (a word with a source extension, `$VAR` words aside), each relative to the project. */
function filesNamed(command: readonly string[]): string[] {
  return command.flatMap((w) => w.split(/\s+/)).filter((w) => /^[\w./-]+\.(c|m)?[jt]s$|^[\w./-]+\.py$/.test(w));
}

describe("init on real projects (issue 11)", () => {
  const npmInitMain = pkg({ name: "x", main: "index.js", scripts: { test: 'echo "Error: no test specified" && exit 1' } });
  it.each([
    ["npm init -y's main (missing) with a start script: the script", projects.nodeNpmInitDefault, ["node", "src/server.js"], []],
    [
      "main missing, no start script: an entry file, with notes",
      { "package.json": npmInitMain, "server.js": "" },
      ["node", "server.js"],
      [
        'package.json "main" is index.js, which does not exist (npm init\'s default?): not used as the start command',
        'start command guessed as "node server.js": check CMD in the Dockerfile',
      ],
    ],
    [
      "a start script naming a missing file: main instead",
      { "package.json": pkg({ main: "app.js", scripts: { start: "node dist/app.js" } }), "app.js": "" },
      ["node", "app.js"],
      ['the start script "node dist/app.js" runs dist/app.js, which does not exist: not used as the start command'],
    ],
    [
      "a start script running a built file: kept (the build stage makes it)",
      { "package.json": pkg({ scripts: { build: "tsc", start: "node dist/app.js" } }), "src/app.ts": "" },
      ["node", "dist/app.js"],
      [],
    ],
    [
      "a node_modules/.bin server with $PORT: sh -c exec, so $PORT expands and the app is PID 1",
      projects.nodeBinStart,
      ["sh", "-c", "exec rest-server --port $PORT data/db.json"],
      [],
    ],
    [
      "node with $PORT: sh -c exec too",
      { "package.json": pkg({ scripts: { start: "node server.js --port $PORT" } }), "server.js": "" },
      ["sh", "-c", "exec node server.js --port $PORT"],
      [],
    ],
    [
      "a compound start script: npm start, with a note on SIGTERM",
      { "package.json": pkg({ scripts: { start: "node migrate.js && node server.js" } }), "migrate.js": "", "server.js": "" },
      ["npm", "start"],
      [
        'the start script "node migrate.js && node server.js" is more than one command: the image runs "npm start", which does not pass SIGTERM on to the app (stops wait for the kill); make it one command for a graceful stop',
      ],
    ],
    [
      "a devDependency as the server: noted",
      { "package.json": pkg({ scripts: { start: "nodemon server.js" }, devDependencies: { nodemon: "^3" } }), "server.js": "" },
      ["sh", "-c", "exec nodemon server.js"],
      ["the start script runs nodemon, a devDependency: the image installs production dependencies only, move it to dependencies"],
    ],
    [
      "nothing to start: npm start, and a note (never a file that does not exist)",
      { "package.json": npmInitMain },
      ["npm", "start"],
      [
        'package.json "main" is index.js, which does not exist (npm init\'s default?): not used as the start command',
        'no start command found (no "start" script, no existing "main", none of server.js, index.js, app.js, main.js, src/server.js, src/index.js, src/app.js, src/main.js): add a "start" script to package.json; the image runs it',
      ],
    ],
  ] as const)("Node start command: %s", (_name, files, start, startNotes) => {
    const stack = detect(files);
    expect((stack.language as NodeFacts).start).toEqual(start);
    const notes = stack.notes.filter((n) => /start|main/.test(n));
    expect(notes).toEqual(startNotes);
    const dir = init(files);
    expect(cmdOf(dir)).toEqual(start);
    for (const file of filesNamed(start)) expect(existsSync(join(dir, file)) || file.startsWith("dist/"), file).toBe(true);
    const dockerfile = readFileSync(join(dir, "Dockerfile"), "utf8");
    expect(dockerfile.includes("PATH=/app/node_modules/.bin:$PATH")).toBe(start[0] === "sh" && !start[2]?.startsWith("exec node "));
  });

  it.each([
    [
      "Flask factory in a package (the Flask tutorial)",
      projects.pythonFlaskFactory,
      ["gunicorn", "--access-logfile", "-", "flaskr:create_app()"],
    ],
    [
      "Flask factory in app.py",
      {
        "requirements.txt": "flask\n",
        "app.py": "from flask import Flask\n\ndef create_app():\n    app = Flask(__name__)\n    return app\n",
      },
      ["gunicorn", "--access-logfile", "-", "app:create_app()"],
    ],
    [
      "an app built by the factory at module level wins",
      {
        "requirements.txt": "flask\n",
        "app/__init__.py": "def create_app():\n    return Flask(__name__)\n",
        "wsgi.py": "from app import create_app\n\napp = create_app()\n",
      },
      ["gunicorn", "--access-logfile", "-", "wsgi:app"],
    ],
    [
      "FastAPI factory: uvicorn --factory",
      projects.pythonFastapiFactory,
      ["sh", "-c", 'exec uvicorn --factory main:create_app --host 0.0.0.0 --port "$PORT" --proxy-headers'],
    ],
  ] as const)("Python app factory: %s", (_name, files, start) => {
    const stack = detect(files);
    expect((stack.language as PythonFacts).start).toEqual(start);
    expect(stack.notes.filter((n) => n.includes("create_app"))).toEqual([]);
    expect(cmdOf(init(files))).toEqual(start);
  });

  const workflow = (dir: string) => parseAllDocuments(readFileSync(join(dir, ".github/workflows/ci-cd.yml"), "utf8"))[0]?.toJS();
  const testSteps = (dir: string): string[] =>
    workflow(dir)
      .jobs.test.steps.filter((s: { name: string }) => /test/i.test(s.name))
      .map((s: { run?: string; name: string }) => s.run ?? s.name);
  it.each([
    ["Node, npm init's placeholder test", projects.nodeNpmInitDefault, undefined, 'a "test" script in package.json'],
    ["Node, a test script", projects.nodeNpm, "npm test", undefined],
    ["Python, no tests", projects.pythonFlaskFactory, undefined, "tests/, test_*.py or *_test.py files, or pytest configuration"],
    ["Python, tests/", projects.pythonFastapi, "pytest --junitxml=test-results.xml", undefined],
    [
      "Python, a test_*.py file",
      { "requirements.txt": "flask\n", "app.py": "", "test_app.py": "" },
      "pytest --junitxml=test-results.xml",
      undefined,
    ],
    [
      "Python, pytest configuration",
      { "pyproject.toml": "[project]\nname = 'x'\n\n[tool.pytest.ini_options]\ntestpaths = ['checks']\n" },
      "pytest --junitxml=test-results.xml",
      undefined,
    ],
    ["Go, no *_test.go", projects.goNoTests, undefined, "*_test.go files"],
    ["Go, *_test.go", projects.goService, "go test -race ./...", undefined],
    [
      "a Dockerfile alone, no Makefile test target",
      { Dockerfile: projects.dockerfileOnly["Dockerfile"] ?? "" },
      undefined,
      "a Makefile test target",
    ],
    ["a Dockerfile alone, a Makefile test target", projects.dockerfileOnly, "make test", undefined],
  ] as const)("CI test step only when there are tests: %s", (_name, files, run, missing) => {
    const dir = init(files);
    const stack = detectStack(dir, ROLLING);
    expect(testSteps(dir)).toEqual(run ? [run, ...(run.startsWith("pytest") ? ["Upload the test report"] : [])] : []);
    const note = stack.notes.find((n) => n.startsWith("no tests found"));
    if (missing) expect(note).toContain(missing);
    else expect(note).toBeUndefined();
    const install = workflow(dir).jobs.test.steps.find((s: { name: string }) => s.name === "Install dependencies")?.run ?? "";
    if (stack.language?.language === "python" && !run) expect(install).not.toContain("pytest"); // no tests: pytest is not installed either
  });

  it("projects without tests: init's output passes audit, whose one finding is the missing tests (SW7002, not also SW3001)", () => {
    for (const files of [projects.nodeNpmInitDefault, projects.pythonFlaskFactory, projects.goNoTests]) {
      const report = runAudit(init(files));
      const serious = report.findings.filter((f) => ruleById(f.rule).severity !== "info").map((f) => f.rule);
      expect(serious).toEqual(["SW7002"]);
      expect(report.rulesRun).toContain("SW3001");
    }
  });

  it("RUNBOOK.md names each health path once", () => {
    const runbook = (files: Files) => readFileSync(join(init(files), "RUNBOOK.md"), "utf8");
    const same = runbook(projects.nodeNpmInitDefault);
    expect(same.match(/curl -fsS http:\/\/HOST\/healthz/g)).toHaveLength(1);
    expect(same).toContain("- Health: `curl -fsS http://HOST/healthz`.\n");
    expect(same).toContain("answers `GET /healthz` while it is alive and can serve traffic (liveness and readiness)");
    expect(same).toContain("(not tested: the project has no tests yet)");
    expect(runbook(projects.nodeNpm)).toContain("- Health: `curl -fsS http://HOST/healthz` and `curl -fsS http://HOST/readyz`.\n");
  });

  it.each([
    ["Node with process.on('SIGTERM')", projects.nodeNpm, "process.on('SIGTERM') in server.js", /shuts it down gracefully/],
    [
      "Node without a handler",
      projects.nodeNpmInitDefault,
      undefined,
      /No SIGTERM handler was found in the source, and PID 1 ignores signals/,
    ],
    [
      "Node importing slipway/health",
      { "package.json": pkg({ main: "server.js" }), "server.js": 'import { createHealth } from "slipway/health";\n' },
      "slipway/health in server.js",
      /shuts it down gracefully/,
    ],
    ["Go with signal.NotifyContext", projects.goNoTests, "signal.Notify in main.go", /shuts it down gracefully/],
    ["Go without", projects.goService, undefined, /No signal.Notify handler was found: it exits at once/],
    ["gunicorn", projects.pythonFlaskFactory, "gunicorn", /It is PID 1 and\n# handles SIGTERM: workers finish their requests/],
    ["uvicorn", projects.pythonFastapi, "uvicorn", /exec makes uvicorn PID 1 so it receives SIGTERM\n# \(it stops accepting/],
    ["plain python without a handler", { "requirements.txt": "", "main.py": "print('hi')\n" }, undefined, /No SIGTERM handler was found/],
    [
      "plain python with one",
      { "requirements.txt": "", "main.py": "import signal\nsignal.signal(signal.SIGTERM, stop)\n" },
      "a SIGTERM handler in main.py",
      /shuts it down gracefully/,
    ],
  ] as const)("the Dockerfile promises a graceful stop only when something handles SIGTERM: %s", (_name, files, sigterm, comment) => {
    const stack = detect(files);
    expect(stack.sigterm).toBe(sigterm);
    const dir = init(files);
    const dockerfile = readFileSync(join(dir, "Dockerfile"), "utf8");
    const config = readFileSync(join(dir, "slipway.yaml"), "utf8");
    expect(dockerfile).toMatch(comment);
    if (sigterm) return void expect(config).toContain(`# SIGTERM first (${sigterm} handles it: in-flight requests finish)`);
    expect(dockerfile).not.toMatch(/graceful shutdown|gracefully|finish(es)? in-flight/);
    expect(config).toContain("No SIGTERM handler was found in the app");
    // Under Slipway the app runs under docker-init (docker.init), so SIGTERM ends it; only Node and Python would ignore it as PID 1.
    expect(config).toContain("SIGTERM ends it at once, cutting any request still running after the drain");
    const ignoresAsPid1 = stack.language?.language !== "go";
    expect(config.includes("keeps it from being PID 1, where it would ignore SIGTERM")).toBe(ignoresAsPid1);
    expect(dockerfile.includes("(Under an init, like Slipway's docker.init or docker run --init, SIGTERM ends it at once.)")).toBe(
      ignoresAsPid1,
    );
    expect(stack.notes.some((n) => n.startsWith("no SIGTERM handler found"))).toBe(true);
  });

  it.each([
    ["a data/ folder (npm init project)", projects.nodeNpmInitDefault, ["data"], 1000],
    ["a data file named by the start script's folder", projects.nodeBinStart, ["data"], 1000],
    ["Flask's instance/ (instance_relative_config, instance_path)", projects.pythonFlaskFactory, ["instance"], 10001],
    [
      "Flask-SQLAlchemy's relative sqlite:/// URL",
      { "requirements.txt": "flask\n", "app.py": 'app = Flask(__name__)\napp.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///shop.db"\n' },
      ["instance"],
      10001,
    ],
    [
      "a SQLite file in a folder, and uploads/ named in the code",
      { "package.json": pkg({ main: "server.js" }), "server.js": 'const dest = "./uploads";\nreq.on("data", f);\n', "var/app.sqlite3": "" },
      ["uploads", "var"],
      1000,
    ],
    ["a SQLite file in data/ for Go", projects.goNoTests, ["data"], 10001],
    ["nothing written: no data, no RUN", projects.nodeNpm, [], 1000],
  ] as const)("data the app writes goes to app.shared, owned by the image's user: %s", (_name, files, shared, uid) => {
    const dir = init(files);
    expect(detectStack(dir, ROLLING).shared).toEqual(shared);
    const { config } = loadConfig({ cwd: dir });
    expect(config.app.shared).toEqual(shared);
    const dockerfile = readFileSync(join(dir, "Dockerfile"), "utf8");
    const run = `RUN mkdir -p ${shared.join(" ")} && chown -R ${uid}:${uid} ${shared.join(" ")}`;
    if (shared.length === 0) return void expect(dockerfile).not.toContain("RUN mkdir -p");
    expect(dockerfile.indexOf(run)).toBeGreaterThan(dockerfile.lastIndexOf("COPY "));
    expect(dockerfile.indexOf(run)).toBeLessThan(dockerfile.indexOf(`USER ${uid}:${uid}`));
    expect(readFileSync(join(dir, "RUNBOOK.md"), "utf8")).toContain("## Data\n");
  });

  it("a SQLite file at the project root (Django's db.sqlite3) is not shared: a note says to move it into data/", () => {
    const stack = detect({ "requirements.txt": "django==5.1.4\n", "manage.py": "", "db.sqlite3": "" });
    expect(stack.shared).toEqual([]);
    expect(stack.notes).toContain(
      "db.sqlite3 is a SQLite file at the project root: not shared across releases (a volume mounts a folder, and SQLite writes its journal beside the file); move it into data/ and it will be",
    );
  });
});
