import type { Command } from "commander";
import { existsSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { CONFIG_FILE_NAMES } from "../../config/defaults.js";
import type { LoadedConfig } from "../../config/load.js";
import type { Config } from "../../config/types.js";
import { checkEnv } from "../../env/check.js";
import { envDocs } from "../../env/docs.js";
import { EnvError } from "../../env/error.js";
import { envExample } from "../../env/example.js";
import { loadEnvSchema } from "../../env/load-schema.js";
import { checkReleaseEnv } from "../../env/release-env.js";
import type { EnvShape } from "../../env/schema.js";
import { DEFAULT_ENV_FILE, definedVars, readEnvFiles, type FileVars } from "../../env/sources.js";
import { SlipwayError } from "../../errors.js";
import { collect, envOption, load, type GlobalOptions } from "../options.js";

/** Schema modules looked up in the app directory when neither --schema nor app.envSchema names one, in order. */
export const ENV_SCHEMA_FILES = ["env.schema.js", "env.js"] as const;
/** What `slipway env example` writes, in the app directory, unless --out says otherwise. */
export const ENV_EXAMPLE_FILE = ".env.example";

const CHECK_HINT = `set them in ${DEFAULT_ENV_FILE} or the environment; slipway env example writes a ${ENV_EXAMPLE_FILE} listing every variable`;

const shown = (path: string) => relative(process.cwd(), path) || ".";
const warn = (warnings: readonly string[]) => warnings.forEach((w) => process.stderr.write(`warning: ${w}\n`));
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

async function schemaAt(file: string, origin: string): Promise<EnvShape> {
  if (!existsSync(file)) throw new SlipwayError("CONFIG_INVALID", `${origin}: no such file ${shown(file)}`, { hint: "check the path" });
  return loadEnvSchema(file);
}

/** Where the schema module is and what named it. */
interface Located {
  /** The app directory: app.cwd when there is a slipway.yaml, else the working directory. */
  dir: string;
  file: string;
  origin: string;
  loaded?: LoadedConfig;
}

/** The schema module: --schema, else app.envSchema, else the first of ENV_SCHEMA_FILES in the app directory. */
async function locate(g: GlobalOptions, schemaOption: string | undefined): Promise<Located> {
  const hasConfig = g.config !== undefined || CONFIG_FILE_NAMES.some((name) => existsSync(name));
  const loaded = hasConfig ? await load(g) : undefined;
  const dir = loaded?.config.app.cwd ?? process.cwd();
  if (schemaOption !== undefined) return { dir, file: resolve(schemaOption), origin: "--schema", loaded };
  if (loaded?.config.app.envSchema) return { dir, file: loaded.config.app.envSchema, origin: "app.envSchema", loaded };
  const found = ENV_SCHEMA_FILES.map((name) => join(dir, name)).find((file) => existsSync(file));
  if (found) return { dir, file: found, origin: "env schema", loaded };
  const candidates = `${ENV_SCHEMA_FILES.join(" or ")} in ${shown(dir)}`;
  const where = loaded ? `no app.envSchema in ${shown(loaded.file)} and no ${candidates}` : `no ${candidates}`;
  throw new SlipwayError("USAGE", `no env schema found: ${where}`, {
    hint: "pass --schema FILE, set app.envSchema in slipway.yaml, or write env.js (see docs/app-env.md)",
  });
}

/**
 * `slipway deploy`'s gate: with `app.envSchema` set, checks the environment
 * the release will get (see src/env/release-env.ts) and throws an `EnvError`
 * (exit 2) listing every problem, before anything is created. Prints the
 * warnings to stderr.
 *
 * @example
 * await checkDeployEnv(loaded.config, { LOG_LEVEL: "debug" });
 */
export async function checkDeployEnv(config: Config, flags: Record<string, string>): Promise<void> {
  const file = config.app.envSchema;
  if (!file) return;
  const schema = await schemaAt(file, "app.envSchema");
  warn(checkReleaseEnv(config, schema, { flags, schemaFile: file, origin: "app.envSchema" }).warnings);
}

interface CheckOptions {
  schema?: string;
  file: string[];
  withProcessEnv?: boolean;
  release?: boolean;
  env?: string[];
  production?: boolean;
}

/** "the process environment over app/.env", "prod.env over base.env"... */
function sourcesLabel(files: FileVars, withProcess: boolean): string {
  const parts = [...(withProcess ? ["the process environment"] : []), ...files.read.map(shown).reverse()];
  return parts.length > 0 ? parts.join(" over ") : "an empty environment";
}

/** Checks the app's own environment (process environment over .env, or --file) and returns where it came from. */
function checkLocal(schema: EnvShape, located: Located, opts: CheckOptions): { sources: string; warnings: string[] } {
  for (const f of opts.file) if (!existsSync(f)) throw new SlipwayError("USAGE", `--file ${f}: no such file`, { hint: "check the path" });
  const explicit = opts.file.length > 0;
  const withProcess = !explicit || opts.withProcessEnv === true;
  const files = explicit ? readEnvFiles(opts.file, process.cwd()) : readEnvFiles([join(located.dir, DEFAULT_ENV_FILE)], located.dir);
  const vars = { ...files.vars, ...(withProcess ? definedVars(process.env) : {}) };
  const result = checkEnv(schema, vars, { production: opts.production === true || vars["NODE_ENV"] === "production" });
  const sources = sourcesLabel(files, withProcess);
  const problems = [...files.problems, ...result.problems];
  if (problems.length > 0) {
    throw new EnvError(problems, result.warnings, { context: `${sources}, checked against ${shown(located.file)}`, hint: CHECK_HINT });
  }
  return { sources, warnings: result.warnings };
}

async function check(opts: CheckOptions, g: GlobalOptions): Promise<void> {
  if (opts.release && (opts.file.length > 0 || opts.withProcessEnv))
    throw new SlipwayError("USAGE", "--release checks what a deploy would get; it does not take --file", { hint: "drop --file" });
  const flags = opts.env ?? [];
  if (!opts.release && flags.length > 0)
    throw new SlipwayError("USAGE", "--env only goes with --release", { hint: "slipway env check --release --env KEY=VALUE" });
  const located = await locate(g, opts.schema);
  if (opts.release && !located.loaded)
    throw new SlipwayError("USAGE", "--release needs a slipway.yaml", { hint: "run it in the project, or pass -c FILE" });
  const schema = await schemaAt(located.file, located.origin);
  const { sources, warnings } =
    opts.release && located.loaded
      ? checkReleaseEnv(located.loaded.config, schema, {
          flags: envOption(flags),
          schemaFile: located.file,
          origin: located.origin === "app.envSchema" ? located.origin : undefined,
          production: opts.production,
        })
      : checkLocal(schema, located, opts);
  warn(warnings);
  const count = Object.keys(schema).length;
  if (g.json) return void console.log(JSON.stringify({ valid: true, schema: located.file, sources, variables: count, warnings }));
  const what = opts.release ? "the release environment" : "the environment";
  console.log(`${what} is valid for ${shown(located.file)}: ${plural(count, "variable")} (${sources})`);
}

/** `slipway env check`, `slipway env example`, `slipway env docs`: the app's env schema (slipway/env). */
export function registerEnvCommands(program: Command): void {
  const env = program
    .command("env")
    .description("check the app's environment against its schema (slipway/env), write .env.example, print the docs table");
  const schemaOption =
    "JavaScript module exporting the env schema (default: app.envSchema, else env.schema.js or env.js in the app directory)";

  env
    .command("check")
    .description("validate an environment against the schema; exit 2 listing every problem")
    .option("--schema <file>", schemaOption)
    .option("--file <file>", "check this env file alone, without the process environment (repeatable; later files win)", collect, [])
    .option("--with-process-env", "with --file: the process environment wins over the files, as at app start")
    .option(
      "--release",
      "check what slipway deploy would give a release: .env, the variables app.passEnv (and PATH, HOME...) pass from the process environment, app.env, --env",
    )
    .option("--env <KEY=VALUE>", "with --release: a deploy's --env value (repeatable)", collect)
    .option("--production", "check as NODE_ENV=production: devDefault values don't apply")
    .action((opts: CheckOptions, cmd: Command) => check(opts, cmd.optsWithGlobals<GlobalOptions>()));

  env
    .command("example")
    .description(`write ${ENV_EXAMPLE_FILE} from the schema (descriptions, examples, defaults; secrets blank)`)
    .option("--schema <file>", schemaOption)
    .option("--out <file>", `where to write it, - for stdout (default: ${ENV_EXAMPLE_FILE} in the app directory)`)
    .action(async (opts: { schema?: string; out?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { dir, file, origin } = await locate(g, opts.schema);
      const schema = await schemaAt(file, origin);
      const text = envExample(schema);
      if (opts.out === "-") return void process.stdout.write(text);
      const out = opts.out !== undefined ? resolve(opts.out) : join(dir, ENV_EXAMPLE_FILE);
      writeFileSync(out, text);
      const count = Object.keys(schema).length;
      console.log(g.json ? JSON.stringify({ file: out, variables: count }) : `wrote ${shown(out)} (${plural(count, "variable")})`);
    });

  env
    .command("docs")
    .description("print the Markdown table of every variable (type, required, default, description)")
    .option("--schema <file>", schemaOption)
    .action(async (opts: { schema?: string }, cmd: Command) => {
      const { file, origin } = await locate(cmd.optsWithGlobals<GlobalOptions>(), opts.schema);
      process.stdout.write(envDocs(await schemaAt(file, origin)));
    });
}
