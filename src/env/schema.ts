/**
 * An env schema: an object mapping variable names to zod schemas (usually
 * made with the helpers in ./vars.ts). It is plain data, so a module can
 * export it and `slipway env` / `slipway deploy` can read it without the
 * app's environment.
 */
import type { z } from "zod";
import { isEnvSchemaInput, toEnvShape, type EnvSchemaInput, type EnvShape, type ShapeOf } from "./schema-input.js";

export type { EnvShape } from "./schema-input.js";

/**
 * The typed, read-only environment `defineEnv` returns for a schema.
 *
 * @example
 * type Env = InferEnv<typeof schema>; // { readonly PORT: number; readonly API_TOKEN: Secret | undefined; ... }
 */
export type InferEnv<S extends EnvShape> = { readonly [K in keyof S]: z.output<S[K]> };

const MARK = Symbol.for("slipway.env.schema");
const COLLECTOR = Symbol.for("slipway.env.collector");

/**
 * Declares an env schema: checks every name is a valid variable name and
 * every value a schema, and returns the shape, frozen and marked so
 * `slipway env` finds it as the module's default export (or `schema` export).
 * An object of zod schemas comes back as the same object; a zod object
 * (`z.object`), a valibot object (`v.object`) or an object with other
 * Standard Schemas as values come back as the equivalent shape. Anything else
 * is a TypeError saying what was passed and what is accepted.
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
export function envSchema<const S extends EnvSchemaInput>(vars: S): ShapeOf<S> {
  const shape = toEnvShape(vars, "envSchema");
  // An object of zod schemas is kept (same object); other inputs give a new shape.
  const kept = Object.entries(shape).every(([name, schema]) => (vars as Record<string, unknown>)[name] === schema)
    ? (vars as EnvShape)
    : shape;
  if (!Object.isFrozen(kept)) {
    Object.defineProperty(kept, MARK, { value: true });
    Object.freeze(kept);
  }
  return kept as ShapeOf<S>;
}

/**
 * True for a schema made by `envSchema`, or anything it accepts (an object of
 * schemas, a zod or valibot object).
 *
 * @example
 * isEnvSchema({ PORT: port() }); // true
 * isEnvSchema({ port: 3000 });   // false
 */
export function isEnvSchema(value: unknown): value is EnvSchemaInput {
  if (typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MARK] === true) return true;
  return isEnvSchemaInput(value);
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
