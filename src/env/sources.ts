/**
 * Where variables come from: `.env` files, parsed with dotenv, and the
 * process environment, which wins over them.
 */
import dotenv from "dotenv";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { EnvVars } from "./check.js";

/** The file `defineEnv` reads by default, when it exists. */
export const DEFAULT_ENV_FILE = ".env";

/** Variables read from env files. */
export interface FileVars {
  /** Later files win over earlier ones. */
  vars: Record<string, string>;
  /** The files that existed and were read, as given. */
  read: string[];
  /** Files that exist but could not be read. */
  problems: string[];
}

/**
 * Reads `files` (relative to `cwd`) with `dotenv.parse`; later files win.
 * Files that don't exist are skipped.
 *
 * @example
 * readEnvFiles([".env", ".env.local"], process.cwd()).vars; // { DATABASE_URL: "postgres://localhost/app", ... }
 */
export function readEnvFiles(files: readonly string[], cwd: string): FileVars {
  const result: FileVars = { vars: {}, read: [], problems: [] };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") result.problems.push(`${file}: cannot read it (${code ?? (error as Error).message})`);
      continue;
    }
    Object.assign(result.vars, dotenv.parse(text));
    result.read.push(file);
  }
  return result;
}

/**
 * The set variables of an environment like `process.env`, as plain strings.
 *
 * @example
 * definedVars(process.env).HOME; // "/home/alice"
 */
export function definedVars(env: EnvVars): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) vars[name] = value;
  return vars;
}
