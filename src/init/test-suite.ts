import type { ProjectDir } from "./project-dir.js";
import type { LanguageFacts } from "./stack.js";

/** Python test files, as pytest collects them by default. */
const PYTHON_TEST_FILE = /(^|\/)(test_[^/]*|[^/]*_test)\.py$/;
/** pytest configuration in the usual files. */
const PYTEST_CONFIG: readonly [string, RegExp][] = [
  ["pytest.ini", /./],
  ["conftest.py", /./],
  ["pyproject.toml", /^\[tool\.pytest\.ini_options\]/m],
  ["setup.cfg", /^\[tool:pytest\]/m],
  ["tox.ini", /^\[pytest\]/m],
];

/**
 * Where the project's tests are, or undefined when it has none (CI then gets
 * no test step, and a note). Node: a `test` script that is not npm init's
 * placeholder; Go: `*_test.go` files; Python: tests/ or test/ with Python
 * files, `test_*.py` / `*_test.py`, or pytest configuration; an existing
 * Dockerfile alone: a Makefile `test` target.
 *
 * @example
 * findTests(projectDir("/srv/api"), goFacts); // "*_test.go files"
 * findTests(projectDir("/srv/new"), nodeFacts); // undefined
 */
export function findTests(project: ProjectDir, language: LanguageFacts | undefined): string | undefined {
  switch (language?.language) {
    case "node":
      return language.scripts.test ? 'package.json "test" script' : undefined;
    case "go":
      return project.sources(["_test.go"], 1).length > 0 ? "*_test.go files" : undefined;
    case "python": {
      const dir = ["tests", "test"].find((d) => project.list(d).some((f) => f.endsWith(".py")));
      if (dir) return `${dir}/`;
      const file = project.sources([".py"]).find((f) => PYTHON_TEST_FILE.test(f));
      if (file) return file;
      const config = PYTEST_CONFIG.find(([f, marker]) => marker.test(project.read(f) ?? ""));
      return config ? `pytest configuration in ${config[0]}` : undefined;
    }
    default:
      return /^test\s*:/m.test(project.read("Makefile") ?? "") ? "Makefile test target" : undefined;
  }
}

/**
 * The note when there are no tests: what CI leaves out, and what to add, per stack.
 *
 * @example
 * noTestsNote(pythonFacts); // "no tests found (tests/, test_*.py or pytest configuration): ..."
 */
export function noTestsNote(language: LanguageFacts | undefined): string {
  const where: Record<string, string> = {
    node: 'a "test" script in package.json (npm init\'s "no test specified" is not one)',
    go: "*_test.go files",
    python: "tests/, test_*.py or *_test.py files, or pytest configuration",
  };
  const what = where[language?.language ?? ""] ?? "a Makefile test target";
  return `no tests found (${what}): the CI workflow has no test step; add tests, then a Test step to its test job`;
}
