/**
 * `defineEnv`: the app's startup check. Reads the env files, lays the process
 * environment over them, checks everything against the schema and returns a
 * typed, deep-frozen object, or reports every problem at once and exits.
 */
import { checkEnv, type EnvVars } from "./check.js";
import { EnvError } from "./error.js";
import { toEnvShape, type EnvSchemaInput, type ShapeOf } from "./schema-input.js";
import { activeCollector, type InferEnv } from "./schema.js";
import { DEFAULT_ENV_FILE, definedVars, readEnvFiles } from "./sources.js";

/**
 * Options of `defineEnv`.
 *
 * @example
 * defineEnv(schema, { files: [".env", ".env.local"], strict: true });
 * defineEnv(schema, { files: [], processEnv: { PORT: "8080" }, onError: "throw" }); // in tests
 */
export interface DefineEnvOptions {
  /** Env files read with dotenv, relative to `cwd`; later files win, missing ones are skipped. Default: [".env"]. */
  files?: readonly string[];
  /** Directory the files are relative to. Default: `process.cwd()`. */
  cwd?: string;
  /** The environment laid over the files (it wins). Default: `process.env`. */
  processEnv?: EnvVars;
  /** Undeclared variables that look like typos or share a declared prefix are problems, not warnings. Default: false. */
  strict?: boolean;
  /** On problems: print them to stderr and `process.exit(1)` ("exit", the default), or throw an `EnvError` ("throw"). */
  onError?: "exit" | "throw";
  /** Receives each warning. Default: writes `warning: <message>` to stderr. */
  onWarning?: (message: string) => void;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Validates the environment against `schema` and returns the typed values,
 * deep-frozen. Variables come from `options.files` (default `.env`, if it
 * exists) with the process environment winning over them; an empty value
 * counts as unset. On problems it prints every one of them, by name and with
 * what was expected (a secret's value never), and exits with status 1, or
 * throws an `EnvError` with `onError: "throw"`.
 *
 * While `slipway env` or `slipway deploy` imports the module only to read its
 * schema, `defineEnv` validates nothing and returns an object whose values
 * are all `undefined`.
 *
 * @example
 * import { defineEnv, envSchema, port, oneOf, secret } from "slipway/env";
 * export const schema = envSchema({
 *   PORT: port({ default: 3000 }),
 *   LOG_LEVEL: oneOf(["debug", "info", "warn", "error"], { default: "info" }),
 *   API_TOKEN: secret({ optional: true }),
 * });
 * export const env = defineEnv(schema);
 * env.PORT;      // number
 * env.LOG_LEVEL; // "debug" | "info" | "warn" | "error"
 * env.API_TOKEN; // Secret | undefined
 */
export function defineEnv<const S extends EnvSchemaInput>(input: S, options: DefineEnvOptions = {}): InferEnv<ShapeOf<S>> {
  type Env = InferEnv<ShapeOf<S>>;
  const schema = toEnvShape(input, "defineEnv");
  const collector = activeCollector();
  if (collector) {
    collector.schemas.push(schema);
    return Object.freeze(Object.fromEntries(Object.keys(schema).map((name) => [name, undefined]))) as Env;
  }
  const files = readEnvFiles(options.files ?? [DEFAULT_ENV_FILE], options.cwd ?? process.cwd());
  const vars = { ...files.vars, ...definedVars(options.processEnv ?? process.env) };
  const result = checkEnv(schema, vars, { production: vars["NODE_ENV"] === "production", strict: options.strict });
  const problems = [...files.problems, ...result.problems];
  if (problems.length > 0) {
    const error = new EnvError(problems, result.warnings);
    if (options.onError === "throw") throw error;
    process.stderr.write(error.format());
    process.exit(1);
  }
  const warn = options.onWarning ?? ((message: string) => void process.stderr.write(`warning: ${message}\n`));
  for (const warning of result.warnings) warn(warning);
  return deepFreeze(result.values) as Env;
}
