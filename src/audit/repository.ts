import { envUses, documentedEnv } from "./env-usage.js";
import { nodeDependencies, repoStack, sourceFiles, type PackageJson, type RepoStack } from "./stack.js";
import type { Finding, ProjectChecker, ProjectView } from "./types.js";

const NODE_LOCKFILES = ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock"];
const PYTHON_LOCKFILES = ["poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"];
/** A quoted route like "/healthz" or "/api/health/ready", a Django-style "healthz/", or a health library. */
const HEALTH_ROUTE =
  /["'`]\/(?:api\/)?(?:healthz?|readyz|livez|ready|live|liveness|readiness|ping|status)(?:\/[\w-]*)?["'`]|["'`](?:api\/)?(?:healthz?|readyz|livez)\/["'`]|slipway\/health|@nestjs\/terminus|@godaddy\/terminus|\blightship\b|health_check/;
const NODE_LOGGERS = /^(pino|winston|bunyan|nestjs-pino|@nestjs\/pino|roarr|@google-cloud\/logging-winston)$/;
const GO_LOGGERS = /"log\/slog"|go\.uber\.org\/zap|github\.com\/rs\/zerolog|github\.com\/sirupsen\/logrus/;
const PY_LOGGERS = /\b(structlog|python-json-logger|loguru|json-logging|ecs-logging)\b/i;
const LINTERS = /\b(eslint|biome|oxlint|xo|standard|tslint)\b/;
const TYPECHECKERS = /\b(vue-)?tsc\b/;
const RUNBOOK_FILE = /(^|\/)(runbook|rollback|playbook|operations)[^/]*\.(md|markdown|txt|adoc|rst)$/i;
const RUNBOOK_HEADING = /^#{1,6}\s.*\b(roll(ing)? ?back|runbook|incident)/im;

/**
 * Repository rules SW7001–SW7007 and SW7009, applied when the root has package.json,
 * go.mod or a Python manifest (SW7009 also for any Dockerfile or slipway.yaml).
 * SW7008 (migrations) is a file checker: migrations.ts.
 *
 * @example
 * repositoryChecker.check(project); // [{ rule: "SW7001", file: "package.json", line: 1, message: "no lockfile ..." }]
 */
export const repositoryChecker: ProjectChecker = {
  kind: "repository",
  rules: ["SW7001", "SW7002", "SW7003", "SW7004", "SW7005", "SW7006", "SW7007", "SW7009"],
  applies: (project) => hasStack(repoStack(project)) || deployable(project),
  check(project: ProjectView): Finding[] {
    const stack = repoStack(project);
    const out: Finding[] = [];
    if (hasStack(stack)) {
      const sources = sourceFiles(project);
      if (stack.node) out.push(...nodeScripts(stack.node.pkg, project));
      out.push(...lockfiles(stack, project), ...tests(stack, project), ...health(stack, project, sources));
      out.push(...logging(stack, project, sources), ...env(project, sources));
    }
    out.push(...runbook(project, stack));
    return out;
  },
};

function hasStack(stack: RepoStack): boolean {
  return Boolean(stack.node ?? stack.go ?? stack.python);
}

function deployable(project: ProjectView): boolean {
  return project.files.some((rel) => /(^|\/)(Dockerfile|[^/]*\.Dockerfile|slipway\.ya?ml)$/.test(rel));
}

/** 1-based line of the first line containing `needle` in `rel`, else 1. */
function lineIn(project: ProjectView, rel: string, needle: string): number {
  const index = (project.read(rel) ?? "").split("\n").findIndex((l) => l.includes(needle));
  return index < 0 ? 1 : index + 1;
}

function has(project: ProjectView, names: readonly string[]): boolean {
  return names.some((n) => project.read(n) !== undefined);
}

function lockfiles(stack: RepoStack, project: ProjectView): Finding[] {
  const out: Finding[] = [];
  if (stack.node && nodeDependencies(stack.node.pkg).length > 0 && !has(project, NODE_LOCKFILES)) {
    out.push({ rule: "SW7001", file: "package.json", line: 1, message: "package.json has dependencies but no lockfile is committed" });
  }
  if (stack.go && /^require\b/m.test(stack.go.mod) && !has(project, ["go.sum"])) {
    out.push({
      rule: "SW7001",
      file: "go.mod",
      line: lineIn(project, "go.mod", "require"),
      message: "go.mod requires modules but go.sum is missing",
    });
  }
  if (stack.python) out.push(...pythonLock(project));
  return out;
}

function pythonLock(project: ProjectView): Finding[] {
  if (project.read("Pipfile") !== undefined && !has(project, ["Pipfile.lock"])) {
    return [{ rule: "SW7001", file: "Pipfile", line: 1, message: "Pipfile without Pipfile.lock" }];
  }
  if (has(project, PYTHON_LOCKFILES)) return [];
  const requirements = project.read("requirements.txt");
  if (requirements !== undefined) {
    const loose = requirementLines(requirements).filter((r) => !/===?/.test(r.spec));
    if (loose.length === 0) return [];
    const names = loose.map((r) => r.spec.split(/[<>=!~;\s[]/)[0]).join(", ");
    return [{ rule: "SW7001", file: "requirements.txt", line: loose[0]?.line ?? 1, message: `requirements not pinned with ==: ${names}` }];
  }
  const pyproject = project.read("pyproject.toml") ?? "";
  if (/^\s*dependencies\s*=|^\[tool\.poetry\.dependencies\]/m.test(pyproject)) {
    return [
      {
        rule: "SW7001",
        file: "pyproject.toml",
        line: 1,
        message: "pyproject.toml declares dependencies but no lockfile (uv.lock, poetry.lock, pdm.lock) is committed",
      },
    ];
  }
  return [];
}

function requirementLines(text: string): { spec: string; line: number }[] {
  return text
    .split("\n")
    .map((raw, i) => ({ spec: raw.replace(/#.*/, "").trim(), line: i + 1 }))
    .filter((r) => r.spec !== "" && !r.spec.startsWith("-"));
}

function nodeScripts(pkg: PackageJson, project: ProjectView): Finding[] {
  const scripts = Object.fromEntries(Object.entries(pkg.scripts ?? {}).map(([k, v]) => [k, String(v)]));
  const values = Object.values(scripts).join("\n");
  const line = lineIn(project, "package.json", '"scripts"');
  const out: Finding[] = [];
  const test = scripts["test"];
  if (test === undefined || /no test specified/.test(test)) {
    out.push({ rule: "SW7002", file: "package.json", line, message: 'package.json has no "test" script' });
  }
  if (scripts["lint"] === undefined && !LINTERS.test(values)) {
    out.push({ rule: "SW7003", file: "package.json", line, message: 'package.json has no "lint" script' });
  }
  const typescript = project.read("tsconfig.json") !== undefined || nodeDependencies(pkg).includes("typescript");
  const typecheck = ["typecheck", "type-check", "check-types", "types"].some((k) => scripts[k] !== undefined) || TYPECHECKERS.test(values);
  if (typescript && !typecheck) {
    out.push({
      rule: "SW7004",
      file: "package.json",
      line,
      message: 'TypeScript project without a typecheck script (e.g. "tsc --noEmit")',
    });
  }
  return out;
}

function tests(stack: RepoStack, project: ProjectView): Finding[] {
  const out: Finding[] = [];
  if (stack.go && !project.files.some((rel) => rel.endsWith("_test.go"))) {
    out.push({ rule: "SW7002", file: "go.mod", line: 1, message: "no Go tests (*_test.go files)" });
  }
  const pyTests = project.files.some((rel) => /(^|\/)(test_[^/]*|[^/]*_test)\.py$|(^|\/)tests?\/[^/]+\.py$/.test(rel));
  if (stack.python && !pyTests) {
    const file = stack.python.manifests[0] ?? "pyproject.toml";
    out.push({ rule: "SW7002", file, line: 1, message: "no Python tests (test_*.py or a tests/ folder)" });
  }
  return out;
}

function manifestOf(stack: RepoStack): string {
  return stack.node ? "package.json" : stack.go ? "go.mod" : (stack.python?.manifests[0] ?? "pyproject.toml");
}

function health(stack: RepoStack, project: ProjectView, sources: readonly string[]): Finding[] {
  if (sources.length === 0) return [];
  if (sources.some((rel) => HEALTH_ROUTE.test(project.read(rel) ?? ""))) return [];
  const message = `no health endpoint in ${sources.length} source file(s) (looked for routes like "/healthz", "/readyz" or slipway/health)`;
  return [{ rule: "SW7005", file: manifestOf(stack), line: 1, message }];
}

function logging(stack: RepoStack, project: ProjectView, sources: readonly string[]): Finding[] {
  if (stack.node && nodeDependencies(stack.node.pkg).some((d) => NODE_LOGGERS.test(d))) return [];
  if (
    stack.go &&
    (GO_LOGGERS.test(stack.go.mod) || sources.some((rel) => rel.endsWith(".go") && GO_LOGGERS.test(project.read(rel) ?? "")))
  ) {
    return [];
  }
  if (stack.python && PY_LOGGERS.test(stack.python.text)) return [];
  return [{ rule: "SW7007", file: manifestOf(stack), line: 1, message: "no structured (JSON) logger among the dependencies" }];
}

function env(project: ProjectView, sources: readonly string[]): Finding[] {
  const config = project.read("slipway.yaml") ?? project.read("slipway.yml") ?? "";
  if (/^\s*envSchema\s*:/m.test(config)) return [];
  const documented = documentedEnv(project);
  const out: Finding[] = [];
  for (const use of envUses(project, sources)) {
    if (use.schema) return [];
    if (!documented.has(use.name)) {
      out.push({
        rule: "SW7006",
        file: use.file,
        line: use.line,
        message: `${use.name} is read here but not listed in .env.example or the docs`,
      });
    }
  }
  return out;
}

function runbook(project: ProjectView, stack: RepoStack): Finding[] {
  if (project.files.some((rel) => RUNBOOK_FILE.test(rel))) return [];
  const docs = project.files.filter((rel) => /^(README[^/]*|docs\/.*)\.(md|markdown|rst|adoc)$/i.test(rel));
  if (docs.some((rel) => RUNBOOK_HEADING.test(project.read(rel) ?? ""))) return [];
  const readme = project.files.find((rel) => /^README/i.test(rel));
  const file =
    readme ?? (hasStack(stack) ? manifestOf(stack) : project.files.find((rel) => /(^|\/)(Dockerfile|slipway\.ya?ml)$/.test(rel)));
  if (file === undefined) return [];
  return [{ rule: "SW7009", file, line: 1, message: "no RUNBOOK.md, rollback document or Rollback section in the README or docs/" }];
}
