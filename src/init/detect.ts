import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { SlipwayError } from "../errors.js";
import { readDockerfile, uidOf } from "./detect-dockerfile.js";
import { detectGo } from "./detect-go.js";
import { detectNode } from "./detect-node.js";
import { detectPython, PYTHON_MANIFESTS } from "./detect-python.js";
import { findDataDirs } from "./data-dirs.js";
import { DEFAULT_HEALTH_PATH, findHealthPaths } from "./health-paths.js";
import type { InitOptions } from "./options.js";
import { projectDir, type ProjectDir } from "./project-dir.js";
import { findSigtermHandler } from "./sigterm-handler.js";
import type { HealthPaths, Language, LanguageFacts, Stack } from "./stack.js";
import { findTests, noTestsNote } from "./test-suite.js";

/** The manifest that marks each language, in detection order. */
const MARKERS: readonly [Language, readonly string[]][] = [
  ["node", ["package.json"]],
  ["go", ["go.mod"]],
  ["python", PYTHON_MANIFESTS],
];
/** Port of the app when neither --port nor a Dockerfile says. */
export const DEFAULT_PORTS: Readonly<Record<Language, number>> = { node: 3000, go: 8080, python: 8000 };
/** Port assumed for a Dockerfile without EXPOSE or ENV PORT, and no known language. */
const FALLBACK_PORT = 8080;
/** The first line of a Dockerfile init wrote: such a Dockerfile is init's own, not the user's. */
export const GENERATED_DOCKERFILE = /^# Dockerfile for \S+, written by `slipway init`/;
/** Numeric user of the generated images: `node` in the node images, a dedicated uid otherwise. */
export const GENERATED_UIDS: Readonly<Record<Language, number>> = { node: 1000, go: 10001, python: 10001 };

/**
 * Detects the stack of the project in `dir`, in a fixed order: an existing
 * Dockerfile (kept; its EXPOSE, HEALTHCHECK and USER configure the rest;
 * one that init wrote itself counts as init's own and is ignored), then
 * the language: Node (package.json), Go (go.mod), Python (requirements.txt,
 * pyproject.toml, Pipfile); the first found wins unless `options.stack` picks
 * one. Reads only. Throws USAGE when the directory is missing, nothing is
 * detectable, or the chosen stack's manifest is absent.
 *
 * @example
 * const stack = detectStack("/srv/web", { strategy: "rolling" });
 * stack.language?.language; // "node"
 * stack.signals; // ["Dockerfile: none (init writes one)", "node: package.json", ...]
 */
export function detectStack(dir: string, options: InitOptions): Readonly<Stack> {
  const root = resolve(dir);
  if (!isDirectory(root))
    throw new SlipwayError("USAGE", `${dir}: no such directory`, { hint: "pass the project's directory: slipway init [dir]" });
  const project = projectDir(root);
  const signals: string[] = [];
  const notes: string[] = [];
  const dockerfileText = project.read("Dockerfile");
  const ours = dockerfileText !== undefined && GENERATED_DOCKERFILE.test(dockerfileText);
  const dockerfile = dockerfileText === undefined || ours ? undefined : readDockerfile(dockerfileText);
  signals.push(
    dockerfile
      ? "Dockerfile: exists, kept as is (its EXPOSE, HEALTHCHECK and USER configure the rest)"
      : ours
        ? "Dockerfile: written by slipway init, so init's own (--force rewrites it)"
        : "Dockerfile: none, init writes one",
  );
  const language = languageOf(project, options, signals, notes, dockerfile !== undefined);
  const name = options.name ?? nameOf(project, root);
  const port = options.port ?? dockerfile?.port ?? (language ? DEFAULT_PORTS[language.language] : FALLBACK_PORT);
  if (dockerfile && !options.port && !dockerfile.port) notes.push(`the Dockerfile has no EXPOSE: port ${port} assumed (pass --port)`);
  signals.push(`port: ${port}${options.port ? " (--port)" : dockerfile?.port ? " (Dockerfile)" : " (default)"}`);
  const health = healthOf(project, options, dockerfile?.healthPath, signals, notes);
  const uid = uidFor(dockerfile?.user, language, notes);
  const tests = findTests(project, language);
  signals.push(`tests: ${tests ?? "none found"}`);
  if (!tests) notes.push(noTestsNote(language));
  const sigterm = findSigtermHandler(project, language);
  if (language) signals.push(`SIGTERM: ${sigterm ?? "no handler found"}`);
  if (language && !sigterm) notes.push(noHandlerNote(language));
  const data = findDataDirs(project, language, notes);
  if (data.shared.length > 0) {
    signals.push(`data the app writes (app.shared): ${data.reasons.join(", ")}`);
    notes.push(
      `k8s/deployment.yaml mounts no volume for ${data.shared.map((d) => `${d}/`).join(", ")} (its root filesystem is read-only): give each a PersistentVolumeClaim (ReadWriteMany with 2 replicas), or keep the data in a database`,
    );
    if (dockerfile)
      notes.push(`your Dockerfile's user must be able to write ${data.shared.map((d) => `${d}/`).join(", ")} (create and chown them)`);
  }
  return Object.freeze({
    name,
    port,
    health,
    ...(language ? { language } : {}),
    ...(dockerfile ? { dockerfile } : {}),
    uid,
    image: options.image ?? imageOf(project, name),
    shared: data.shared,
    ...(sigterm ? { sigterm } : {}),
    ...(tests ? { tests } : {}),
    signals,
    notes,
  });
}

function languageOf(
  project: ProjectDir,
  options: InitOptions,
  signals: string[],
  notes: string[],
  hasDockerfile: boolean,
): LanguageFacts | undefined {
  const present = MARKERS.filter(([, files]) => files.some((f) => project.has(f)));
  let chosen = present[0];
  if (options.stack) {
    chosen = present.find(([l]) => l === options.stack);
    if (!chosen) {
      const files = MARKERS.find(([l]) => l === options.stack)?.[1] ?? [];
      throw new SlipwayError("USAGE", `--stack ${options.stack}: no ${files.join(", ")} in ${project.root}`, {
        hint: `create it first, or pick the stack that is there${present.length ? ` (${present.map(([l]) => l).join(", ")})` : ""}`,
      });
    }
  }
  if (!chosen) {
    if (hasDockerfile) {
      notes.push("no package.json, go.mod or Python manifest: CI runs make lint, make typecheck and make test");
      return undefined;
    }
    throw new SlipwayError(
      "USAGE",
      `nothing to detect in ${project.root}: no Dockerfile, package.json, go.mod, requirements.txt, pyproject.toml or Pipfile`,
      {
        hint: "run slipway init in the project's root directory, or pass --stack node|go|python",
      },
    );
  }
  const [language, files] = chosen;
  signals.push(`${language}: ${files.filter((f) => project.has(f)).join(", ")}${options.stack ? " (--stack)" : ""}`);
  if (!options.stack && present.length > 1)
    notes.push(
      `also found ${present
        .slice(1)
        .map(([l]) => l)
        .join(", ")}: pass --stack to pick another`,
    );
  if (language === "node") return detectNode(project, signals, notes);
  if (language === "go") return detectGo(project, signals, notes);
  return detectPython(project, signals, notes);
}

function healthOf(
  project: ProjectDir,
  options: InitOptions,
  fromDockerfile: string | undefined,
  signals: string[],
  notes: string[],
): HealthPaths {
  const found = findHealthPaths(project);
  const liveness = options.healthPath ?? fromDockerfile ?? found.liveness ?? found.readiness;
  const readiness = options.readyPath ?? found.readiness ?? liveness;
  const source = options.healthPath
    ? "--health-path"
    : fromDockerfile
      ? "Dockerfile HEALTHCHECK"
      : liveness
        ? "routes in the source"
        : "default";
  if (!liveness) notes.push(`no health route found in the source: serve GET ${DEFAULT_HEALTH_PATH} (200 when up), or pass --health-path`);
  const health = { liveness: liveness ?? DEFAULT_HEALTH_PATH, readiness: readiness ?? DEFAULT_HEALTH_PATH };
  signals.push(`health: liveness ${health.liveness}, readiness ${health.readiness} (${source})`);
  return health;
}

function noHandlerNote(language: LanguageFacts): string {
  if (language.language === "go")
    return "no SIGTERM handler found (signal.Notify): the app exits at once on SIGTERM, cutting in-flight requests; handle it and call http.Server.Shutdown";
  const how = language.language === "node" ? "process.on('SIGTERM', ...)" : "signal.signal(signal.SIGTERM, ...)";
  return `no SIGTERM handler found (${how}): under Slipway (docker.init) SIGTERM ends the app at once, cutting requests still running after the drain; as PID 1 of a container with no init (docker run, Kubernetes) it ignores SIGTERM, so each stop there waits for the shutdown timeout and a kill; handle it (stop accepting, finish in-flight requests, exit)`;
}

function uidFor(user: string | undefined, language: LanguageFacts | undefined, notes: string[]): number {
  if (user === undefined) return language ? GENERATED_UIDS[language.language] : GENERATED_UIDS.go;
  const { uid, known } = uidOf(user);
  if (!known) notes.push(`the Dockerfile's USER ${user} is not numeric: Kubernetes runs it as uid ${uid} (runAsUser); set the real uid`);
  return uid;
}

function nameOf(project: ProjectDir, root: string): string {
  const pkg = project.json("package.json") as { name?: unknown } | undefined;
  const candidates = [
    typeof pkg?.name === "string" ? pkg.name.replace(/^@[^/]+\//, "") : undefined,
    /^module\s+(\S+)/m
      .exec(project.read("go.mod") ?? "")?.[1]
      ?.split("/")
      .at(-1),
    /^name\s*=\s*["']([^"']+)["']/m.exec(project.read("pyproject.toml") ?? "")?.[1],
    basename(root),
  ];
  for (const c of candidates) {
    const name = (c ?? "")
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/-+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 63)
      .replace(/-$/, "");
    if (name) return name;
  }
  return "app";
}

/** ghcr.io/<owner>/<repo> from a GitHub `origin` remote in .git/config, else ghcr.io/your-org/<name>. */
function imageOf(project: ProjectDir, name: string): string {
  const config = project.read(".git/config") ?? "";
  const origin = /\[remote "origin"\][^[]*?url\s*=\s*(\S+)/.exec(config)?.[1] ?? "";
  const repo = /github\.com[:/]([\w.-]+\/[\w.-]+?)(\.git)?$/.exec(origin)?.[1];
  return `ghcr.io/${(repo ?? `your-org/${name}`).toLowerCase()}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
