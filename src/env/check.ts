/**
 * The pure check of a set of variables against an env schema: every value
 * parsed, every problem and warning collected, nothing printed. `defineEnv`,
 * `slipway env check` and `slipway deploy` all go through it.
 */
import type { z } from "zod";
import { describeVar, type VarInfo } from "./describe.js";
import { extraVars } from "./extras.js";
import { OBJECT_CHECK, type ObjectCheck } from "./schema-input.js";
import type { EnvShape } from "./schema.js";

/** Variables as strings; unset ones may be absent or undefined. */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** How to check. */
export interface CheckOptions {
  /** Production: `devDefault` values don't apply. */
  production: boolean;
  /** Report suspicious undeclared variables as problems instead of warnings. */
  strict?: boolean;
  /** Names the platform sets at launch (Slipway: PORT, SLIPWAY_*): skipped, taken as present and valid. */
  provided?: (name: string) => boolean;
}

/** What `checkEnv` found. */
export interface CheckResult {
  /** Every declared (and not provided) variable's value; unset optional ones are `undefined`. */
  values: Record<string, unknown>;
  /** One line per problem, in schema order, e.g. `PORT: "abc" is not a port (1-65535)`. */
  problems: string[];
  /** One line per suspicious undeclared variable (problems instead when `strict`). */
  warnings: string[];
}

function missing(info: VarInfo): string {
  const example = info.example !== undefined ? `; example: ${info.example}` : "";
  return `${info.name}: missing (${info.description ?? info.expected}${example})`;
}

function malformed(info: VarInfo, text: string, issue: z.core.$ZodIssue | undefined, fromDefault: boolean): string {
  const shown = info.secret ? "[redacted]" : JSON.stringify(text);
  const message = issue?.message ?? "is invalid";
  const phrase = /^(is|must|should|has|needs) /.test(message) ? message : `is invalid: ${message}`;
  return `${info.name}: ${fromDefault ? "default " : ""}${shown} ${phrase}`;
}

/** The value of one variable, or the problem with it. */
function checkVar(info: VarInfo, schema: z.ZodType, raw: string | undefined, production: boolean): { value?: unknown; problem?: string } {
  const set = raw !== undefined && raw !== "";
  let text = set ? raw : undefined;
  let fromDefault = false;
  if (!set && info.helper) {
    text = info.default ?? (production ? undefined : info.devDefault);
    fromDefault = text !== undefined;
    if (text === undefined) return info.optional ? { value: undefined } : { problem: missing(info) };
  }
  const result = schema.safeParse(text);
  if (result.success) return { value: result.data };
  if (text === undefined) return { problem: missing(info) };
  return { problem: malformed(info, text, result.error.issues[0], fromDefault) };
}

/**
 * Checks `vars` against `schema`: reports every missing and malformed
 * variable (by name, with what was expected, never a secret's value) and every
 * suspicious undeclared one. An empty value counts as unset.
 *
 * @example
 * const { values, problems } = checkEnv({ PORT: port() }, { PORT: "abc" }, { production: false });
 * problems; // ['PORT: "abc" is not a port (1-65535)']
 */
export function checkEnv(schema: EnvShape, vars: EnvVars, options: CheckOptions): CheckResult {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, varSchema] of Object.entries(schema)) {
    if (options.provided?.(name)) continue;
    const { value, problem } = checkVar(describeVar(name, varSchema), varSchema, vars[name], options.production);
    if (problem !== undefined) problems.push(problem);
    else values[name] = value;
  }
  // The object's own checks (a zod .refine across variables), once every variable is valid on its own.
  const whole = (schema as { [OBJECT_CHECK]?: ObjectCheck })[OBJECT_CHECK];
  if (whole && problems.length === 0) {
    const text = Object.fromEntries(Object.keys(schema).map((name) => [name, vars[name] === "" ? undefined : vars[name]]));
    // a variable the platform provides is absent here: what the check says of it is not a problem
    problems.push(...whole(text).filter((problem) => !options.provided?.(problem.slice(0, problem.indexOf(":")))));
  }
  const present = Object.keys(vars).filter((name) => vars[name] !== undefined && !options.provided?.(name));
  const extras = extraVars(Object.keys(schema), present);
  return options.strict ? { values, problems: [...problems, ...extras], warnings: [] } : { values, problems, warnings: extras };
}
