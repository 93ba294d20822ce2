/**
 * Helpers declaring one environment variable each: a zod schema from the
 * variable's text to a typed value, plus what the generators and error
 * messages need (description, example, defaults, optional, secret), kept in
 * zod's global registry under `slipwayEnv` so it survives `.describe()`-style
 * chaining and is found by any copy of slipway that loads the schema.
 */
import { z } from "zod";
import { Secret } from "./secret.js";

/**
 * What every helper accepts. `T` is the value's type (`string` for `secret()`).
 *
 * @example
 * port({ description: "Port to listen on.", example: "8080", default: 3000 });
 * secret({ description: "Signs session cookies.", devDefault: "dev-only" });
 * bool({ optional: true }); // boolean | undefined
 */
export interface VarOptions<T> {
  /** One line (or a few) saying what the variable is for; shown in .env.example, the docs and "missing" errors. */
  description?: string;
  /** A realistic value, written into .env.example (never for secrets) and shown when the variable is missing. */
  example?: string;
  /** Used when the variable is unset or empty. */
  default?: T;
  /** Used when the variable is unset or empty and NODE_ENV is not "production" (`default` wins over it). */
  devDefault?: T;
  /** May stay unset: the value is then `undefined`. */
  optional?: boolean;
}

/** The kinds of variable the helpers declare. */
export type VarKind = "string" | "number" | "boolean" | "url" | "port" | "enum" | "secret";

/** What a helper records about its variable (zod's global registry, key `slipwayEnv`). */
export interface VarMeta {
  kind: VarKind;
  /** What a valid value is, e.g. "a port (1-65535)"; malformed values are reported as `"x" is not <expected>`. */
  expected: string;
  /** The allowed values of `oneOf`. */
  values?: readonly string[];
  example?: string;
  default?: string;
  devDefault?: string;
  optional: boolean;
}

/** The registry key holding a helper's `VarMeta`. */
export const META_KEY = "slipwayEnv";

/**
 * A value type, made `| undefined` when the options say `optional: true` without a `default`.
 *
 * @example
 * type A = Resolved<number, { optional: true }>; // number | undefined
 * type B = Resolved<number, { optional: true; default: 3 }>; // number
 */
export type Resolved<T, O> = O extends { optional: true } ? (O extends { default: unknown } ? T : T | undefined) : T;

/**
 * A variable declared with a helper: a zod schema from the variable's text to its value.
 *
 * @example
 * const level: EnvVar<"debug" | "info"> = oneOf(["debug", "info"]);
 */
export type EnvVar<T> = z.ZodType<T, string>;

const BOOLEANS: Record<string, boolean> = { true: true, false: false, "1": true, "0": false, yes: true, no: false };

/** A helper's schema: `parse` gives the value or undefined when `text` is malformed. `R` is the declared value type. */
function declare<R>(
  kind: VarKind,
  expected: string,
  parse: (text: string) => unknown,
  options: VarOptions<unknown>,
  values?: readonly string[],
): EnvVar<R> {
  const schema = z.string().transform((text, ctx) => {
    const value = parse(text);
    if (value === undefined) {
      ctx.issues.push({ code: "custom", message: `is not ${expected}`, input: text });
      return z.NEVER;
    }
    return value;
  });
  const text = (value: unknown) => (value === undefined ? undefined : String(value));
  const meta: VarMeta = {
    kind,
    expected,
    ...(values && { values }),
    ...(options.example !== undefined && { example: String(options.example) }),
    ...(options.default !== undefined && { default: text(options.default) }),
    ...(options.devDefault !== undefined && { devDefault: text(options.devDefault) }),
    optional: options.optional === true,
  };
  const described = schema.meta({ ...(options.description !== undefined && { description: options.description }), [META_KEY]: meta });
  return described as unknown as EnvVar<R>;
}

/**
 * Any non-empty string.
 *
 * @example
 * const schema = envSchema({ GREETING: str({ description: "What the app says.", default: "hello" }) });
 */
export function str<const O extends VarOptions<string> = object>(options?: O): EnvVar<Resolved<string, O>> {
  return declare<Resolved<string, O>>("string", "a string", (text) => text, options ?? {});
}

/**
 * A finite number (`42`, `0.5`, `-3`, `1e3`).
 *
 * @example
 * const schema = envSchema({ WORKERS: num({ description: "Worker threads.", default: 4 }) });
 */
export function num<const O extends VarOptions<number> = object>(options?: O): EnvVar<Resolved<number, O>> {
  const parse = (text: string) => {
    const value = Number(text.trim());
    return text.trim() !== "" && Number.isFinite(value) ? value : undefined;
  };
  return declare<Resolved<number, O>>("number", "a number", parse, options ?? {});
}

/**
 * A boolean: `true`/`false`, `1`/`0` or `yes`/`no` (any case).
 *
 * @example
 * const schema = envSchema({ FEATURE_SEARCH: bool({ description: "Turns search on.", default: false }) });
 */
export function bool<const O extends VarOptions<boolean> = object>(options?: O): EnvVar<Resolved<boolean, O>> {
  const parse = (text: string) => BOOLEANS[text.trim().toLowerCase()];
  return declare<Resolved<boolean, O>>("boolean", "a boolean (true/false, 1/0, yes/no)", parse, options ?? {});
}

/**
 * An absolute URL (any scheme: `https://`, `postgres://`, `redis://`...), kept as a string.
 *
 * @example
 * const schema = envSchema({
 *   DATABASE_URL: url({ description: "a postgres:// URL", example: "postgres://localhost/app" }),
 * });
 */
export function url<const O extends VarOptions<string> = object>(options?: O): EnvVar<Resolved<string, O>> {
  const parse = (text: string) => (URL.canParse(text) ? text : undefined);
  return declare<Resolved<string, O>>("url", "a URL", parse, options ?? {});
}

/**
 * A TCP port, 1-65535.
 *
 * @example
 * const schema = envSchema({ PORT: port({ description: "Port to listen on.", default: 3000 }) });
 */
export function port<const O extends VarOptions<number> = object>(options?: O): EnvVar<Resolved<number, O>> {
  const parse = (text: string) => {
    const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
    return value >= 1 && value <= 65535 ? value : undefined;
  };
  return declare<Resolved<number, O>>("port", "a port (1-65535)", parse, options ?? {});
}

/**
 * One of a fixed list of strings (an enum); the value is typed as their union.
 *
 * @example
 * const schema = envSchema({ LOG_LEVEL: oneOf(["debug", "info", "warn", "error"], { default: "info" }) });
 */
export function oneOf<const V extends readonly [string, ...string[]], const O extends VarOptions<V[number]> = object>(
  values: V,
  options?: O,
): EnvVar<Resolved<V[number], O>> {
  const parse = (text: string) => ((values as readonly string[]).includes(text) ? text : undefined);
  return declare<Resolved<V[number], O>>("enum", `one of ${values.join(", ")}`, parse, options ?? {}, values);
}

/**
 * A secret string, given to the app as a `Secret`: it prints as `[redacted]`
 * (logs, JSON, `util.inspect`, template strings) and `.reveal()` gives the
 * text. Its value never appears in error messages, and .env.example leaves it
 * blank.
 *
 * @example
 * const schema = envSchema({ API_TOKEN: secret({ description: "Token for the upstream API.", optional: true }) });
 * const env = defineEnv(schema);
 * if (env.API_TOKEN) headers.authorization = `Bearer ${env.API_TOKEN.reveal()}`;
 */
export function secret<const O extends VarOptions<string> = object>(options?: O): EnvVar<Resolved<Secret, O>> {
  return declare<Resolved<Secret, O>>("secret", "a secret", (text) => new Secret(text), options ?? {});
}
