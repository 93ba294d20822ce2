import type { ProjectView } from "./types.js";

/** The languages the repository rules understand, found by their manifest at the audited root. */
export interface RepoStack {
  node?: { pkg: PackageJson; manifest: string };
  go?: { mod: string };
  python?: { manifests: string[]; text: string };
}

export interface PackageJson {
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
  [key: string]: unknown;
}

export const PYTHON_MANIFESTS = ["pyproject.toml", "requirements.txt", "Pipfile", "setup.py"] as const;

/**
 * Reads the root manifests: package.json (when it parses as an object), go.mod, and the
 * Python ones (their texts joined, for dependency lookups).
 *
 * @example
 * repoStack(project).node?.pkg.scripts?.["test"]; // "vitest run"
 */
export function repoStack(project: ProjectView): RepoStack {
  const stack: RepoStack = {};
  const pkgText = project.read("package.json");
  if (pkgText !== undefined) {
    try {
      const pkg: unknown = JSON.parse(pkgText);
      if (typeof pkg === "object" && pkg !== null && !Array.isArray(pkg))
        stack.node = { pkg: pkg as PackageJson, manifest: "package.json" };
    } catch {
      // an unparsable package.json breaks npm itself; not the repository rules' finding to make
    }
  }
  const mod = project.read("go.mod");
  if (mod !== undefined) stack.go = { mod };
  const manifests = PYTHON_MANIFESTS.filter((m) => project.read(m) !== undefined);
  if (manifests.length > 0) stack.python = { manifests, text: manifests.map((m) => project.read(m) ?? "").join("\n") };
  return stack;
}

/** Every dependency name of package.json (runtime and dev). */
export function nodeDependencies(pkg: PackageJson): string[] {
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
}

/** Source files of the app (not tests, fixtures or vendored code), by extension. */
export function sourceFiles(project: ProjectView): string[] {
  return project.files.filter(
    (rel) =>
      /\.(m?[jt]sx?|cjs|cts|go|py)$/.test(rel) &&
      !/\.d\.ts$/.test(rel) &&
      !/(^|\/)(tests?|__tests__|spec|fixtures?|vendor|dist|build|coverage|migrations?)\//.test(rel) &&
      !/(\.|_)(test|spec)\.[^/]+$|_test\.go$|(^|\/)test_[^/]+\.py$/.test(rel),
  );
}
