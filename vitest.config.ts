import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

/**
 * A test file is end-to-end when it drives the built CLI and its daemon
 * (`TestProject`, `runCli`, `CLI` from test/support/project.ts) or the Docker
 * engine (test/support/docker.ts, node-npm-image.ts); every other file is a
 * unit test: pure, or in-process with real servers and child processes.
 * Decided from each file's imports, so a new file lands in the right project.
 */
const E2E_IMPORT =
  /import\s*\{[^}]*\b(TestProject|runCli|CLI)\b[^}]*\}\s*from\s*"\.\/support\/project\.js"|from\s*"\.\/support\/(docker|node-npm-image)\.js"/;

const TEST_DIR = fileURLToPath(new URL("./test/", import.meta.url));
const e2eFiles = readdirSync(TEST_DIR)
  .filter((name) => name.endsWith(".test.ts") && E2E_IMPORT.test(readFileSync(TEST_DIR + name, "utf8")))
  .map((name) => `test/${name}`);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts", "src/**/*.test.ts"], exclude: [...configDefaults.exclude, ...e2eFiles] },
      },
      // a loaded 2-core machine runs a chain of real rollouts slowly: the budget is generous, never an assertion
      { extends: true, test: { name: "e2e", include: e2eFiles, testTimeout: 180_000, hookTimeout: 120_000 } },
    ],
  },
});
