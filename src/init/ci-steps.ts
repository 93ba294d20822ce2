import { installCommands } from "./dockerfile-node.js";
import { PYTHON_TOOLS } from "./detect-python.js";
import type { GoFacts, NodeFacts, PythonFacts, Stack } from "./stack.js";

/** One GitHub Actions step. */
export interface Step {
  name: string;
  if?: string;
  uses?: string;
  with?: Record<string, string | boolean>;
  env?: Record<string, string>;
  run?: string;
}

/** The steps of the CI test job: tool setup and install, then lint, type check and tests. */
export interface CiSteps {
  setup: Step[];
  lint: Step;
  typecheck: Step;
  /** Absent when the project has no tests (init notes it instead). */
  test?: Step;
  /** Steps after the tests (e.g. uploading their report, even when they fail). */
  after?: Step[];
}

/** golangci-lint version run by the Go CI job. */
export const GOLANGCI_LINT = "github.com/golangci/golangci-lint/cmd/golangci-lint@v1.62.2";
/** Bun's setup action: a third-party action, pinned to a release tag. */
const SETUP_BUN = "oven-sh/setup-bun@v2";

/**
 * The test job's steps for the stack's language; `make lint|typecheck|test`
 * when an existing Dockerfile is all init could detect. No test step (nor
 * its report upload) when the project has no tests: a step that fails on
 * every push until someone writes one teaches people to ignore CI.
 *
 * @example
 * ciSteps(stack).test; // { name: "Test", run: "npm test" }
 */
export function ciSteps(stack: Stack): CiSteps {
  const steps = languageSteps(stack);
  if (stack.tests) return steps;
  return { setup: steps.setup, lint: steps.lint, typecheck: steps.typecheck };
}

function languageSteps(stack: Stack): CiSteps {
  const language = stack.language;
  if (language?.language === "node") return nodeSteps(language);
  if (language?.language === "go") return goSteps(language);
  if (language?.language === "python") return pythonSteps(language, stack.tests !== undefined);
  return {
    setup: [],
    lint: { name: "Lint", run: "make lint" },
    typecheck: { name: "Type check", run: "make typecheck" },
    test: { name: "Test", run: "make test" },
  };
}

function nodeSteps(node: NodeFacts): CiSteps {
  const pm = node.packageManager;
  const bun = pm === "bun";
  const cache = pm === "npm" && node.lockfile ? "npm" : pm === "yarn" && !node.yarnBerry ? "yarn" : undefined;
  const setup: Step = bun
    ? { name: "Set up Bun", uses: SETUP_BUN, with: { "bun-version": node.runtimeVersion } }
    : { name: "Set up Node.js", uses: "actions/setup-node@v4", with: { "node-version": node.runtimeVersion, ...(cache ? { cache } : {}) } };
  const run = `${pm} run`;
  // A missing lint/typecheck script: `npm run X --if-present` runs it once it is added (npm reads any package.json).
  const lint = node.scripts.lint ? `${run} lint` : "npm run lint --if-present";
  const typecheck = node.scripts.typecheck
    ? `${run} ${node.scripts.typecheck}`
    : node.typescript
      ? `${bun ? "bunx" : "npx"} tsc --noEmit`
      : "npm run typecheck --if-present";
  return {
    setup: [setup, { name: "Install dependencies", run: installCommands(node).all }],
    lint: { name: "Lint", run: lint },
    typecheck: { name: "Type check", run: typecheck },
    test: { name: "Test", run: bun ? "bun run test" : `${pm} test` },
  };
}

function goSteps(go: GoFacts): CiSteps {
  return {
    setup: [
      { name: "Set up Go", uses: "actions/setup-go@v5", with: { "go-version-file": "go.mod" } },
      { name: "Download modules", run: "go mod download" },
    ],
    lint: { name: "Lint", run: `go run ${GOLANGCI_LINT} run ./...` },
    typecheck: { name: "Type check", run: "# typecheck: go vet type-checks every package (and reports suspicious code)\ngo vet ./..." },
    test: { name: "Test", run: go.hasGoSum ? "go test -race ./..." : "go test ./..." },
  };
}

function pythonSteps(py: PythonFacts, tests: boolean): CiSteps {
  const dev = py.devRequirements ? ` -r ${py.devRequirements}` : "";
  const install: Record<PythonFacts["manager"], string> = {
    pip: `pip install -r requirements.txt${dev}`,
    pipenv: `pip install ${PYTHON_TOOLS.pipenv}\npipenv install --deploy --dev --system`,
    poetry: `pip install ${PYTHON_TOOLS.poetry}\npoetry config virtualenvs.create false\npoetry install --no-root`,
    uv: `pip install ${PYTHON_TOOLS.uv}\nuv export --frozen --no-hashes --no-emit-project -o /tmp/requirements.txt\npip install -r /tmp/requirements.txt`,
    pyproject: `pip install -e .${dev}`,
  };
  const ciTools = tests ? py.ciTools : py.ciTools.filter((t) => !t.startsWith("pytest"));
  const tools = ciTools.length > 0 ? `\npip install ${ciTools.join(" ")}` : "";
  return {
    setup: [
      { name: "Set up Python", uses: "actions/setup-python@v5", with: { "python-version": py.pythonVersion, ...pipCache(py) } },
      { name: "Install dependencies", run: `${install[py.manager]}${tools}` },
    ],
    lint: { name: "Lint", run: "ruff check ." },
    typecheck: { name: "Type check", run: "mypy --ignore-missing-imports ." },
    test: { name: "Test", run: "pytest --junitxml=test-results.xml" },
    after: [
      {
        name: "Upload the test report",
        if: "always()",
        uses: "actions/upload-artifact@v4",
        with: { name: "test-results", path: "test-results.xml" },
      },
    ],
  };
}

/** setup-python's pip cache needs a file to key on: requirements.txt, else pyproject.toml. */
function pipCache(py: PythonFacts): Record<string, string> {
  if (py.manager === "pip") return { cache: "pip" };
  if (py.manager === "pyproject") return { cache: "pip", "cache-dependency-path": "pyproject.toml" };
  return {};
}
