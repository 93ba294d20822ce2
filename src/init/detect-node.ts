import { SlipwayError } from "../errors.js";
import { DEFAULT_BUN_VERSION, DEFAULT_NODE_MAJOR, NODE_MINORS, nodeVersionFor } from "./base-images.js";
import type { ProjectDir } from "./project-dir.js";
import type { NodeFacts, NodeFramework, NodePackageManager } from "./stack.js";

/** package.json as an object: a file that is not one is bad input (npm cannot read it either), never guessed around. */
function packageJson(project: ProjectDir): PackageJson {
  const text = project.read("package.json");
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
    throw new SlipwayError("USAGE", `package.json is not valid JSON: ${reason}`, {
      hint: "fix package.json (npm cannot read it either), then run slipway init again",
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SlipwayError("USAGE", "package.json is not a JSON object", {
      hint: "fix package.json (npm cannot read it either), then run slipway init again",
    });
  }
  return value as PackageJson;
}

/** Lockfiles in the order they are looked for when package.json has no `packageManager` field. */
export const NODE_LOCKFILES: readonly [string, NodePackageManager][] = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
];

/** Framework hints: the first dependency found wins. */
export const NODE_FRAMEWORKS: readonly [string, NodeFramework, string][] = [
  ["next", "next", "Next.js"],
  ["@nestjs/core", "nest", "NestJS"],
  ["express", "express", "Express"],
  ["fastify", "fastify", "Fastify"],
  ["hono", "hono", "Hono"],
  ["koa", "koa", "Koa"],
];

/** Entry points tried, in order, when neither the start script nor `main` names one. */
const ENTRY_CANDIDATES = ["server.js", "index.js", "app.js", "main.js", "src/server.js", "src/index.js", "src/app.js", "src/main.js"];
/** What `npm init` writes as the test script: not a test. */
const PLACEHOLDER_TEST = /no test specified/;

interface PackageJson {
  name?: unknown;
  main?: unknown;
  packageManager?: unknown;
  engines?: { node?: unknown };
  scripts?: Record<string, unknown>;
  dependencies?: Record<string, unknown>;
  devDependencies?: Record<string, unknown>;
}

/**
 * Node facts from package.json and the files around it: package manager
 * (`packageManager` field, else the lockfile, else npm), runtime version
 * (`engines.node`, `.nvmrc`, `.node-version`; bun: `packageManager`, `.bun-version`),
 * framework, TypeScript, build output and start command. Pushes one line per
 * signal used to `signals`, and things to check to `notes`.
 *
 * @example
 * detectNode(projectDir("/srv/web"), signals, notes); // { packageManager: "pnpm", framework: "fastify", ... }
 */
export function detectNode(project: ProjectDir, signals: string[], notes: string[]): NodeFacts {
  const pkg = packageJson(project);
  const scripts = pkg.scripts ?? {};
  const deps = { ...(pkg.devDependencies ?? {}), ...(pkg.dependencies ?? {}) };
  const { packageManager, lockfile, pmVersion } = packageManagerOf(project, pkg, signals, notes);
  const yarnBerry =
    packageManager === "yarn" &&
    (/^[2-9]|^\d\d/.test(pmVersion ?? "") || project.has(".yarnrc.yml") || (project.read("yarn.lock") ?? "").includes("__metadata:"));
  const runtimeVersion = packageManager === "bun" ? bunVersion(project, pmVersion, signals) : nodeVersion(project, pkg, signals);
  const hint = NODE_FRAMEWORKS.find(([dep]) => dep in deps);
  if (hint) signals.push(`framework: ${hint[2]} (dependency ${hint[0]})`);
  const framework = hint?.[1];
  const typescript = "typescript" in deps || project.has("tsconfig.json");
  if (typescript) signals.push(`TypeScript (${"typescript" in deps ? "dependency typescript" : "tsconfig.json"})`);
  const build = typeof scripts["build"] === "string" ? { outDir: outDirOf(project, framework) } : undefined;
  if (build) signals.push(`build: the build script, output in ${build.outDir}/`);
  const { start, binOnPath } = startCommand(project, pkg, framework, build?.outDir, packageManager === "bun" ? "bun" : "node", notes);
  signals.push(`start: ${start.join(" ")}`);
  const bin = binOnPath ? /^exec (\S+)/.exec(start[2] ?? "")?.[1] : undefined;
  if (bin && bin in (pkg.devDependencies ?? {}) && !(bin in (pkg.dependencies ?? {})))
    notes.push(`the start script runs ${bin}, a devDependency: the image installs production dependencies only, move it to dependencies`);
  const has = (name: string): boolean => typeof scripts[name] === "string";
  const test = has("test") && !PLACEHOLDER_TEST.test(String(scripts["test"]));
  const typecheck = ["typecheck", "type-check"].find(has);
  const extraManifests = [
    ...(packageManager === "pnpm" ? ["pnpm-workspace.yaml"] : []),
    ...(yarnBerry ? [".yarnrc.yml", ".yarn/releases"] : []),
  ].filter((f) => project.has(f));
  return {
    language: "node",
    packageManager,
    yarnBerry,
    ...(lockfile ? { lockfile } : {}),
    runtimeVersion,
    ...(framework ? { framework } : {}),
    typescript,
    ...(build ? { build } : {}),
    start,
    binOnPath,
    scripts: { lint: has("lint"), ...(typecheck ? { typecheck } : {}), test },
    extraManifests,
  };
}

function packageManagerOf(
  project: ProjectDir,
  pkg: PackageJson,
  signals: string[],
  notes: string[],
): { packageManager: NodePackageManager; lockfile?: string; pmVersion?: string } {
  const field = typeof pkg.packageManager === "string" ? /^(npm|yarn|pnpm|bun)@([^+\s]+)/.exec(pkg.packageManager) : null;
  const found = NODE_LOCKFILES.find(([file]) => project.has(file));
  if (field) {
    const packageManager = field[1] as NodePackageManager;
    const lockfile = NODE_LOCKFILES.find(([file, pm]) => pm === packageManager && project.has(file))?.[0];
    signals.push(`package manager: ${packageManager} (packageManager ${String(pkg.packageManager)})`);
    if (!lockfile) notes.push(`no ${packageManager} lockfile: commit one so installs are reproducible`);
    return { packageManager, ...(lockfile ? { lockfile } : {}), ...(field[2] ? { pmVersion: field[2] } : {}) };
  }
  if (found) {
    signals.push(`package manager: ${found[1]} (${found[0]})`);
    return { packageManager: found[1], lockfile: found[0] };
  }
  signals.push("package manager: npm (no lockfile)");
  notes.push("no lockfile: run npm install and commit package-lock.json so installs are reproducible");
  return { packageManager: "npm" };
}

function nodeVersion(project: ProjectDir, pkg: PackageJson, signals: string[]): string {
  const sources: [string, string | undefined][] = [
    ["engines.node", typeof pkg.engines?.node === "string" ? pkg.engines.node : undefined],
    [".nvmrc", project.read(".nvmrc")?.trim()],
    [".node-version", project.read(".node-version")?.trim()],
  ];
  for (const [source, spec] of sources) {
    const version = spec ? nodeVersionFor(spec) : undefined;
    if (spec && version) {
      signals.push(`node ${version} (${source} ${spec})`);
      return version;
    }
  }
  const version = NODE_MINORS[DEFAULT_NODE_MAJOR] ?? String(DEFAULT_NODE_MAJOR);
  signals.push(`node ${version} (default: no engines.node, .nvmrc or .node-version)`);
  return version;
}

function bunVersion(project: ProjectDir, pmVersion: string | undefined, signals: string[]): string {
  const file = project.read(".bun-version")?.trim().replace(/^v/, "");
  const version = pmVersion ?? (file || undefined);
  signals.push(
    `bun ${version ?? DEFAULT_BUN_VERSION} (${pmVersion ? "packageManager" : file ? ".bun-version" : "default: no packageManager or .bun-version"})`,
  );
  return version ?? DEFAULT_BUN_VERSION;
}

function outDirOf(project: ProjectDir, framework: NodeFramework | undefined): string {
  if (framework === "next") return ".next";
  const tsconfig = project.read("tsconfig.json") ?? "";
  const outDir = /"outDir"\s*:\s*"\.?\/?([^"]+?)\/?"/.exec(tsconfig)?.[1];
  return outDir && !outDir.includes("..") ? outDir : "dist";
}

/** A start script that is one command (no `&&`, `;`, pipes, redirects or subshells): run as is, without npm. */
const SIMPLE_COMMAND = /^[^&|;<>`()]+$/;
/** Source files a `node FILE` / `bun FILE` start command may name. */
const SCRIPT_FILE = /\.([cm]?[jt]s|[jt]sx)$/;

/** The start command and whether it runs a node_modules/.bin binary. */
interface Start {
  start: string[];
  binOnPath: boolean;
}

/**
 * The final stage's command, in order: Next.js; NestJS's build output; the `start` script (its own
 * command, so no npm sits between SIGTERM and the app); `main`; a built entry from src/*.ts; the common entry files. A
 * command naming a file that is not in the project (nor produced by the
 * build) is never used: the next source is tried, and a note says why.
 */
function startCommand(
  project: ProjectDir,
  pkg: PackageJson,
  framework: NodeFramework | undefined,
  outDir: string | undefined,
  runtime: "node" | "bun",
  notes: string[],
): Start {
  const plain = (start: string[]): Start => ({ start, binOnPath: false });
  if (framework === "next") return plain(["node_modules/.bin/next", "start"]);
  // `nest start` is the Nest CLI's compile-and-run (a devDependency); production runs the build output.
  if (framework === "nest") return plain([runtime, `${outDir ?? "dist"}/main.js`]);
  const exists = (file: string): boolean => project.has(file) || (outDir !== undefined && file.startsWith(`${outDir}/`));
  const script = typeof pkg.scripts?.["start"] === "string" ? pkg.scripts["start"].trim() : "";
  if (script) {
    const fromScript = startScript(script, runtime, exists, notes);
    if (fromScript) return fromScript;
  }
  const main = typeof pkg.main === "string" ? pkg.main.replace(/^\.\//, "") : undefined;
  if (main && SCRIPT_FILE.test(main)) {
    if (exists(main)) return plain([runtime, main]);
    notes.push(`package.json "main" is ${main}, which does not exist (npm init's default?): not used as the start command`);
  }
  const built = ["server", "index", "main", "app"].find((n) => project.has(`src/${n}.ts`) || project.has(`${n}.ts`));
  const guess = outDir && built ? `${outDir}/${built}.js` : ENTRY_CANDIDATES.find((c) => project.has(c));
  if (guess) {
    notes.push(`start command guessed as "${runtime} ${guess}": check CMD in the Dockerfile`);
    return plain([runtime, guess]);
  }
  notes.push(
    `no start command found (no "start" script, no existing "main", none of ${ENTRY_CANDIDATES.join(", ")}): add a "start" script to package.json; the image runs it`,
  );
  return plain(runtime === "bun" ? ["bun", "run", "start"] : ["npm", "start"]);
}

/**
 * The start script as the image's command, undefined (with a note) when it names a missing file.
 * `node FILE` / `bun FILE` runs as is; another single command runs under `sh -c "exec ..."`
 * (its variables expand, and exec hands PID 1 to the app); a compound script runs through the
 * package manager, with a note: npm does not pass SIGTERM on to the app.
 */
function startScript(script: string, runtime: "node" | "bun", exists: (file: string) => boolean, notes: string[]): Start | undefined {
  const words = script.split(/\s+/);
  const file = words.slice(1).find((w) => !w.startsWith("-") && SCRIPT_FILE.test(w));
  if (file && !exists(file.replace(/^\.\//, ""))) {
    notes.push(`the start script "${script}" runs ${file}, which does not exist: not used as the start command`);
    return undefined;
  }
  if (!SIMPLE_COMMAND.test(script)) {
    notes.push(
      `the start script "${script}" is more than one command: the image runs "${runtime === "bun" ? "bun run" : "npm"} start", which does not pass SIGTERM on to the app (stops wait for the kill); make it one command for a graceful stop`,
    );
    return { start: runtime === "bun" ? ["bun", "run", "start"] : ["npm", "start"], binOnPath: false };
  }
  if (words[0] === runtime && !/\$/.test(script)) return { start: words, binOnPath: false };
  return { start: ["sh", "-c", `exec ${script}`], binOnPath: words[0] !== runtime };
}
