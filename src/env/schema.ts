/**
 * An env schema: an object mapping variable names to zod schemas (usually
 * made with the helpers in ./vars.ts). It is plain data, so a module can
 * export it and `slipway env` / `slipway deploy` can read it without the
 * app's environment.
 */
import type { z } from "zod";

/**
 * Variable names to zod schemas from the variable's text to its value.
 *
 * @example
 * const shape: EnvShape = { PORT: port(), REGION: z.enum(["eu", "us"]).default("eu") };
 */
export type EnvShape = Record<string, z.ZodType>;

/**
 * The typed, read-only environment `defineEnv` returns for a schema.
 *
 * @example
 * type Env = InferEnv<typeof schema>; // { readonly PORT: number; readonly API_TOKEN: Secret | undefined; ... }
 */
export type InferEnv<S extends EnvShape> = { readonly [K in keyof S]: z.output<S[K]> };

const MARK = Symbol.for("slipway.env.schema");
const COLLECTOR = Symbol.for("slipway.env.collector");
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isZodSchema(value: unknown): value is z.ZodType {
  return typeof value === "object" && value !== null && typeof (value as { safeParse?: unknown }).safeParse === "function";
}

/**
 * Declares an env schema: checks every name is a valid variable name and
 * every value a zod schema, and returns the same object, frozen and marked so
 * `slipway env` finds it as the module's default export (or `schema` export).
 *
 * @example
 * // env.js
 * import { defineEnv, envSchema, port, secret, url } from "slipway/env";
 * export const schema = envSchema({
 *   PORT: port({ default: 3000 }),
 *   DATABASE_URL: url({ description: "a postgres:// URL", example: "postgres://localhost/app" }),
 *   SESSION_SECRET: secret({ devDefault: "dev-only-secret" }),
 * });
 * export default schema;
 * export const env = defineEnv(schema);
 */
export function envSchema<const S extends EnvShape>(vars: S): S {
  for (const [name, schema] of Object.entries(vars)) {
    if (!NAME.test(name)) throw new TypeError(`envSchema: "${name}" is not a valid variable name (letters, digits and _)`);
    if (!isZodSchema(schema)) throw new TypeError(`envSchema: ${name} must be a zod schema, e.g. str() or z.string()`);
  }
  if (!Object.isFrozen(vars)) {
    Object.defineProperty(vars, MARK, { value: true });
    Object.freeze(vars);
  }
  return vars;
}

/**
 * True for a schema made by `envSchema`, or any plain object whose values are all zod schemas.
 *
 * @example
 * isEnvSchema({ PORT: port() }); // true
 * isEnvSchema({ port: 3000 });   // false
 */
export function isEnvSchema(value: unknown): value is EnvShape {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if ((value as Record<symbol, unknown>)[MARK] === true) return true;
  const values = Object.values(value);
  return values.length > 0 && values.every(isZodSchema);
}

/** Schemas handed to `defineEnv` while a schema module is being loaded by slipway (see ./load-schema.ts). */
export interface SchemaCollector {
  schemas: EnvShape[];
}

/**
 * The active collector, if slipway is loading a schema module right now. It
 * lives on `globalThis` under a registered symbol so every copy of
 * slipway/env in the process sees it.
 *
 * @example
 * if (activeCollector()) return placeholder; // inside defineEnv: don't validate
 */
export function activeCollector(): SchemaCollector | undefined {
  return (globalThis as Record<symbol, SchemaCollector | undefined>)[COLLECTOR];
}

/**
 * Runs `load` with a collector active: `defineEnv` calls made meanwhile record
 * their schema and skip validation.
 *
 * @example
 * const { result, collected } = await collectingSchemas(() => import(url));
 */
export async function collectingSchemas<T>(load: () => Promise<T>): Promise<{ result: T; collected: EnvShape[] }> {
  const slot = globalThis as Record<symbol, SchemaCollector | undefined>;
  const previous = slot[COLLECTOR];
  const collector: SchemaCollector = { schemas: [] };
  slot[COLLECTOR] = collector;
  try {
    return { result: await load(), collected: collector.schemas };
  } finally {
    slot[COLLECTOR] = previous;
  }
}
