/**
 * What `envSchema` and `defineEnv` accept, turned into one `EnvShape`: an
 * object of variable schemas (Slipway's helpers, zod, or any Standard Schema
 * such as valibot or arktype), a zod object (`z.object({...})`), or a
 * Standard Schema object schema whose entries can be listed (valibot's
 * `v.object`). Users of t3-env and envalid bring shapes; users of zod,
 * valibot and arktype bring objects.
 */
import { z } from "zod";

/**
 * Variable names to zod schemas from the variable's text to its value: what
 * every input becomes, and what the checker and the generators read.
 *
 * @example
 * const shape: EnvShape = { PORT: port(), REGION: z.enum(["eu", "us"]).default("eu") };
 */
export type EnvShape = Record<string, z.ZodType>;

/**
 * The Standard Schema interface (https://standardschema.dev), version 1,
 * copied as its authors ask instead of depended on. zod 4, valibot 1 and
 * arktype 2 schemas implement it.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] }[] };

/** The value type a Standard Schema gives. */
export type StandardOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];

/** An object whose variables can be listed: a zod object, or a Standard Schema object such as valibot's. */
export type ObjectSchema = StandardSchemaV1<Record<string, unknown>, Record<string, unknown>>;

/** What the env schema functions accept. */
export type EnvSchemaInput = Record<string, z.ZodType | StandardSchemaV1> | ObjectSchema;

/** Each variable of an input as a zod schema (a Standard Schema's type carried over), for `InferEnv`. */
export type ShapeOf<S> = S extends ObjectSchema
  ? { [K in keyof StandardOutput<S>]: z.ZodType<StandardOutput<S>[K]> }
  : { [K in keyof S]: S[K] extends z.ZodType ? S[K] : S[K] extends StandardSchemaV1 ? z.ZodType<StandardOutput<S[K]>> : never };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ACCEPTED =
  "an object of variable schemas (envSchema({ PORT: port() }), zod or any Standard Schema as values), a zod object (z.object({ ... })) or a valibot object (v.object({ ... }))";

export function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === "object" && value !== null && "_zod" in value && typeof (value as { safeParse?: unknown }).safeParse === "function"
  );
}

function isStandard(value: unknown): value is StandardSchemaV1 {
  const std = (value as { "~standard"?: { validate?: unknown } } | null | undefined)?.["~standard"];
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof std?.validate === "function";
}

/** The zod 3 object inside a zod 3 schema (`z.object(...)`, or one with `.refine()` around it), or undefined. */
function zod3Object(value: unknown): { shape: Record<string, unknown> } | undefined {
  let at = value as { _def?: { typeName?: string; schema?: unknown }; shape?: Record<string, unknown> } | undefined;
  for (let depth = 0; depth < 5 && at?._def; depth++) {
    if (at._def.typeName === "ZodObject") return at.shape ? { shape: at.shape } : undefined;
    if (at._def.typeName !== "ZodEffects") return undefined;
    at = at._def.schema as typeof at;
  }
  return undefined;
}

/**
 * The listed variables of an object schema (zod 4's `shape`, zod 3's, valibot's
 * `entries`), and whether the object has checks of its own (`.refine`,
 * valibot's `v.pipe(v.object(...), v.check(...))`), or undefined.
 */
function entriesOf(value: unknown): { vars: Record<string, unknown>; whole: boolean } | undefined {
  if (isZodSchema(value)) {
    const def = (value as unknown as { _zod: { def: { type: string; shape?: Record<string, unknown>; checks?: unknown[] } } })._zod.def;
    return def.type === "object" && def.shape ? { vars: def.shape, whole: (def.checks?.length ?? 0) > 0 } : undefined;
  }
  if (!isStandard(value)) return undefined;
  const zod3 = zod3Object(value);
  if (zod3) return { vars: zod3.shape, whole: (value as unknown as { _def: { typeName: string } })._def.typeName !== "ZodObject" };
  const { entries, pipe } = value as { entries?: unknown; pipe?: unknown[] };
  return typeof entries === "object" && entries !== null
    ? { vars: entries as Record<string, unknown>, whole: (pipe?.length ?? 0) > 1 }
    : undefined;
}

/**
 * Where a shape keeps its object's own checks (a zod `.refine` across
 * variables, a valibot `v.check` on the object): run by `checkEnv` once every
 * variable is valid, on the variables' text.
 */
export const OBJECT_CHECK = Symbol.for("slipway.env.objectCheck");

/** An object's own checks: the problems they find in `vars` ("A: message", or "env: message" for the whole). */
export type ObjectCheck = (vars: Readonly<Record<string, string | undefined>>) => string[];

function objectCheck(schema: StandardSchemaV1, caller: string): ObjectCheck {
  return (vars) => {
    const result = schema["~standard"].validate(vars);
    if (result instanceof Promise) throw new TypeError(`${caller}: the schema validates asynchronously; an env schema must be synchronous`);
    return (result.issues ?? []).map((issue) => {
      const key = issue.path?.[0];
      const name = typeof key === "object" && key !== null && "key" in key ? (key as { key: unknown }).key : key;
      return `${typeof name === "string" ? name : "env"}: ${issue.message}`;
    });
  };
}

/** "a zod", "an arktype". */
const article = (word: string) => `${/^[aeiou]/i.test(word) ? "an" : "a"} ${word}`;

/** A one-word account of what was passed, for the TypeError. */
function described(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (isStandard(value)) {
    // zod's def.type, valibot's type: "string", "number"...
    const type = isZodSchema(value)
      ? (value as unknown as { _zod: { def: { type: unknown } } })._zod.def.type
      : (value as { type?: unknown }).type;
    return `${article(value["~standard"].vendor)}${typeof type === "string" ? ` ${type}` : ""} schema whose variables cannot be listed`;
  }
  if (typeof value === "function") return "a function";
  return typeof value === "object" ? "an object that is not a schema" : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * A zod schema running a Standard Schema: its first issue is the problem,
 * its value the variable's. An asynchronous validator is refused (the check
 * runs at startup, synchronously).
 */
function fromStandard(name: string, schema: StandardSchemaV1): z.ZodType {
  return z.unknown().transform((value, ctx) => {
    const result = schema["~standard"].validate(value);
    if (result instanceof Promise) throw new TypeError(`env schema: ${name} validates asynchronously; an env schema must be synchronous`);
    if (result.issues) {
      ctx.addIssue({ code: "custom", message: result.issues[0]?.message ?? "is invalid" });
      return z.NEVER;
    }
    return result.value;
  });
}

/**
 * The `EnvShape` of what `caller` was given, or a TypeError naming what was
 * passed and what is accepted. Variable names are checked.
 *
 * @example
 * toEnvShape(z.object({ PORT: z.coerce.number() }), "defineEnv"); // { PORT: ZodPipe }
 * toEnvShape("PORT", "defineEnv"); // TypeError: defineEnv: expected an object of variable schemas ..., got string "PORT"
 */
export function toEnvShape(input: unknown, caller: string): EnvShape {
  const object = entriesOf(input);
  const vars =
    object?.vars ?? (!isStandard(input) && typeof input === "object" && input !== null && !Array.isArray(input) ? input : undefined);
  if (vars === undefined || Object.keys(vars).length === 0) {
    const got = vars === undefined ? described(input) : "an empty object";
    throw new TypeError(`${caller}: expected ${ACCEPTED}; got ${got}`);
  }
  const shape: Record<string, z.ZodType> = {};
  for (const [name, schema] of Object.entries(vars)) {
    if (!NAME.test(name)) throw new TypeError(`${caller}: "${name}" is not a valid variable name (letters, digits and _)`);
    if (isZodSchema(schema)) shape[name] = schema;
    else if (isStandard(schema)) shape[name] = fromStandard(name, schema);
    else throw new TypeError(`${caller}: ${name} must be a schema (e.g. str(), z.string() or v.string()); got ${described(schema)}`);
  }
  if (object?.whole) Object.defineProperty(shape, OBJECT_CHECK, { value: objectCheck(input as StandardSchemaV1, caller) });
  return shape;
}

/**
 * Whether `value` looks meant as an env schema, accepted or not: a schema
 * itself, or an object with a schema among its values. A module's export
 * like this that `toEnvShape` refuses is explained, not passed over.
 */
export function looksLikeSchema(value: unknown): boolean {
  if (isStandard(value) || isZodSchema(value)) return true;
  return typeof value === "object" && value !== null && Object.values(value).some((v) => isStandard(v) || isZodSchema(v));
}

/** Whether `value` is something `toEnvShape` accepts (a module export that may be the schema). */
export function isEnvSchemaInput(value: unknown): boolean {
  try {
    toEnvShape(value, "");
    return true;
  } catch {
    return false;
  }
}
