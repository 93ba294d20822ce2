/**
 * Loads slipway.yaml: read, parse YAML (keeping line numbers), apply the
 * chosen environment overlay, validate with the schema and the guards, and
 * return a deep-frozen `Config`. Every problem is reported at once, each with
 * its dotted path and line.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import { LineCounter, parseDocument, type Document } from "yaml";
import { SlipwayError } from "../errors.js";
import { CONFIG_FILE_NAMES } from "./defaults.js";
import { commandWarnings } from "./command-warnings.js";
import { checkGuards } from "./guards.js";
import { ensureTlsSources } from "./tls-guards.js";
import { humanErrors, problemsFromIssues } from "./issues.js";
import { normalizeConfig } from "./normalize.js";
import { mergeOverlay } from "./overlay.js";
import { lineOf, renderProblem, type Problem } from "./problem.js";
import { baseSchema, environmentsSchema } from "./schema.js";
import type { Config } from "./types.js";

/** A validated config and where it came from. */
export interface ParsedConfigResult {
  /** The normalized config, deep-frozen. */
  config: Readonly<Config>;
  /** Names under `environments`, in file order. */
  environments: string[];
  /** Things that look wrong but deploy (`app.command` variables that will stay empty...), rendered like problems, with lines. */
  warnings: string[];
}

/** What `loadConfig` returns. */
export interface LoadedConfig extends ParsedConfigResult {
  /** Absolute path of the config file. */
  file: string;
  /** Directory of the config file; relative paths in it resolve from here. */
  root: string;
}

/** Where to find the config and which environment to apply. */
export interface LoadConfigOptions {
  /** Config file, relative to `cwd`; default slipway.yaml (or slipway.yml) in `cwd`. */
  file?: string;
  cwd: string;
  /** Name under `environments` to merge over the base. */
  environment?: string;
  /** Variables a deploy gives with `--env`: warnings about them not being set are left out. */
  deployEnv?: readonly string[];
}

/** How to name and resolve config text that is already in memory. */
export interface ParseConfigOptions {
  /** File name shown in problems, e.g. "slipway.yaml". */
  file: string;
  /** Directory relative paths (app.cwd) resolve from. */
  root: string;
  environment?: string;
  /** Variables a deploy gives with `--env` (see LoadConfigOptions). */
  deployEnv?: readonly string[];
  /**
   * Also check the files the config names now (the router's certificates: readable, matching, not expired).
   * The CLI does at load; a release's stored config is reparsed without (a rollback never fails on a certificate
   * that expired since), and so is an audit (its paths are not the machine's).
   */
  checkFiles?: boolean;
}

const HINT = "see docs/config.md for every key, its type and default";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pathExists(value: unknown, path: readonly (string | number)[]): boolean {
  let node = value;
  for (const key of path) {
    if (typeof node !== "object" || node === null || !(key in node)) return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  return true;
}

function fail(file: string, rendered: string[]): never {
  const count = `${rendered.length} problem${rendered.length === 1 ? "" : "s"}`;
  throw new SlipwayError("CONFIG_INVALID", `${file} has ${count}`, { details: rendered, hint: HINT });
}

function readYaml(text: string, file: string): { doc: Document; lines: LineCounter; raw: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    fail(
      file,
      doc.errors.map((error) => `YAML syntax error: ${error.message} (${file}:${lines.linePos(error.pos[0]).line})`),
    );
  }
  try {
    return { doc, lines, raw: doc.toJS() ?? {} };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return fail(file, [`YAML error: ${message} (${file}:1)`]);
  }
}

function environmentProblems(rawEnvironments: unknown): Problem[] {
  const result = environmentsSchema.safeParse(rawEnvironments, { error: humanErrors });
  if (result.success) return [];
  return problemsFromIssues(result.error.issues, environmentsSchema).map((problem) => ({
    ...problem,
    path: ["environments", ...problem.path],
  }));
}

function ensureKnownEnvironment(environment: string | undefined, environments: string[], file: string): void {
  if (environment === undefined || environments.includes(environment)) return;
  const known = environments.length > 0 ? `known: ${environments.join(", ")}` : `${file} defines no environments`;
  throw new SlipwayError("CONFIG_INVALID", `unknown environment "${environment}" (${known})`, {
    hint: environments.length > 0 ? `pass one of: ${environments.join(", ")}` : "add it under environments: in the config",
  });
}

function validate(
  merged: unknown,
  root: string,
  deployEnv: readonly string[],
  checkFiles: boolean,
): { config?: Config; problems: Problem[]; warnings: Problem[] } {
  const result = baseSchema.safeParse(merged, { error: humanErrors });
  if (!result.success) return { problems: problemsFromIssues(result.error.issues, baseSchema), warnings: [] };
  const config = normalizeConfig(result.data, root);
  const problems = [...checkGuards(config), ...(checkFiles ? ensureTlsSources(config) : [])];
  return { config, problems, warnings: commandWarnings(config, deployEnv) };
}

/**
 * Validates config text. Used by `loadConfig` and by the daemon, which
 * reparses the config text stored with a release. Throws `CONFIG_INVALID`
 * listing every problem.
 *
 * @example
 * const { config } = parseConfig("name: hello\napp: { command: node server.js }\n", { file: "slipway.yaml", root: "/srv/hello" });
 * config.app.command; // ["sh", "-c", "exec node server.js"]
 */
export function parseConfig(text: string, options: ParseConfigOptions): ParsedConfigResult {
  const { file, root, environment, deployEnv = [], checkFiles = false } = options;
  const { doc, lines, raw } = readYaml(text, file);
  if (!isMapping(raw)) fail(file, [renderProblem({ path: [], message: "must be a mapping of keys like name: and app:" }, file, 1)]);
  const { environments: rawEnvironments, ...base } = raw;
  const environments = isMapping(rawEnvironments) ? Object.keys(rawEnvironments) : [];
  ensureKnownEnvironment(environment, environments, file);

  const overlay = environment === undefined ? undefined : (rawEnvironments as Record<string, unknown>)[environment];
  const { config, problems, warnings } = validate(isMapping(overlay) ? mergeOverlay(base, overlay) : base, root, deployEnv, checkFiles);
  // A problem at a path the overlay sets is shown (and located) in the overlay.
  const inOverlay = (problem: Problem): Problem =>
    environment !== undefined && problem.path.length > 0 && pathExists(overlay, problem.path)
      ? { ...problem, path: ["environments", environment, ...problem.path] }
      : problem;

  const render = (list: Problem[]): string[] => {
    const located = list.map((problem) => ({ problem, line: lineOf(doc, lines, problem.path) })).sort((a, b) => a.line - b.line);
    return [...new Set(located.map(({ problem, line }) => renderProblem(problem, file, line)))];
  };
  const rendered = render([...environmentProblems(rawEnvironments), ...problems.map(inOverlay)]);
  if (rendered.length > 0 || !config) fail(file, rendered);
  return deepFreeze({ config, environments, warnings: render(warnings.map(inOverlay)) });
}

function findConfigFile(options: LoadConfigOptions): string {
  if (options.file !== undefined) {
    const file = resolve(options.cwd, options.file);
    if (!existsSync(file)) {
      throw new SlipwayError("CONFIG_INVALID", `no such config file: ${file}`, { hint: "check the path given with -c" });
    }
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(options.cwd, name);
    if (existsSync(file)) return file;
  }
  throw new SlipwayError("CONFIG_INVALID", `no ${CONFIG_FILE_NAMES[0]} in ${resolve(options.cwd)}`, {
    hint: "create one (see docs/config.md) or pass -c FILE",
  });
}

/**
 * Finds, reads and validates the config file. Throws `CONFIG_INVALID` when it
 * is missing, unreadable or invalid (listing every problem with its line).
 *
 * @example
 * const { config, root } = loadConfig({ cwd: process.cwd(), environment: "production" });
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  const file = findConfigFile(options);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new SlipwayError("CONFIG_INVALID", `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const label = relative(options.cwd, file) || basename(file);
  const root = dirname(file);
  const parsed = parseConfig(text, { file: label, root, environment: options.environment, deployEnv: options.deployEnv, checkFiles: true });
  return Object.freeze({ ...parsed, file, root });
}
