import { DEFAULT_GO_VERSION, goVersionFor } from "./base-images.js";
import type { ProjectDir } from "./project-dir.js";
import type { GoFacts } from "./stack.js";

/**
 * Go facts from go.mod: the image version (`toolchain`, else the `go`
 * directive, as major.minor), whether go.sum exists, and the main package
 * (the root when it has `package main`, else the first `cmd/<name>`).
 *
 * @example
 * detectGo(projectDir("/srv/api"), signals, notes); // { goVersion: "1.22", mainPackage: "./cmd/api", ... }
 */
export function detectGo(project: ProjectDir, signals: string[], notes: string[]): GoFacts {
  const goMod = project.read("go.mod") ?? "";
  const found = goVersionFor(goMod);
  const goVersion = found ?? DEFAULT_GO_VERSION;
  signals.push(`go ${goVersion} (${found ? "go.mod" : "default: go.mod names no version"})`);
  const hasGoSum = project.has("go.sum");
  const mainPackage = mainPackageOf(project);
  signals.push(`main package: ${mainPackage}`);
  if (mainPackage === "." && !isMain(project, ""))
    notes.push("no package main found at the root or in cmd/*: check the go build line in the Dockerfile");
  return { language: "go", goVersion, hasGoSum, mainPackage };
}

function mainPackageOf(project: ProjectDir): string {
  if (isMain(project, "")) return ".";
  const cmd = project.list("cmd").find((name) => isMain(project, `cmd/${name}/`));
  return cmd ? `./cmd/${cmd}` : ".";
}

function isMain(project: ProjectDir, dir: string): boolean {
  return project
    .list(dir || ".")
    .filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"))
    .some((f) => /^package\s+main\b/m.test(project.read(`${dir}${f}`) ?? ""));
}
