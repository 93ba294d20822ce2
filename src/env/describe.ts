/**
 * What the checker and the generators know about one variable, read from a
 * helper's metadata or, for a plain zod schema, from its definition.
 */
import { z } from "zod";
import { META_KEY, type VarKind, type VarMeta } from "./vars.js";

/** One declared variable, described for messages, .env.example and docs. */
export interface VarInfo {
  name: string;
  /** A helper's kind, or "zod" for a plain zod schema. */
  kind: VarKind | "zod";
  /** Declared with a helper: the checker applies `default`, `devDefault` and `optional`; otherwise zod does. */
  helper: boolean;
  /** Short type label for docs and .env.example, e.g. "port" or "one of debug, info". */
  type: string;
  /** What a valid value is, e.g. "a port (1-65535)". */
  expected: string;
  description?: string;
  example?: string;
  /** The default as text. */
  default?: string;
  /** The default outside production, as text. */
  devDefault?: string;
  /** May stay unset even in production (no value at all). */
  optional: boolean;
  secret: boolean;
  /** The allowed values of an enum. */
  values?: readonly string[];
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; entries?: Record<string, string>; defaultValue?: unknown };

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function helperMeta(schema: z.ZodType): VarMeta | undefined {
  const meta = z.globalRegistry.get(schema)?.[META_KEY];
  return typeof meta === "object" && meta !== null ? (meta as VarMeta) : undefined;
}

const TYPE_LABELS: Record<VarKind, string> = {
  string: "string",
  number: "number",
  boolean: "boolean",
  url: "URL",
  port: "port",
  enum: "enum",
  secret: "secret",
};

function labelOf(meta: VarMeta): string {
  return meta.kind === "enum" && meta.values ? `one of ${meta.values.join(", ")}` : TYPE_LABELS[meta.kind];
}

/** What the wrappers of a plain zod schema (optional, default, pipe...) tell, outermost first. */
interface Layers {
  core: z.ZodType;
  defaultValue?: unknown;
  description?: string;
  /** Metadata of a helper found inside the wrappers, e.g. `secret().optional()`. */
  meta?: VarMeta;
}

function layers(schema: z.ZodType): Layers {
  const found: Layers = { core: schema };
  for (let depth = 0; depth < 10; depth++) {
    const def = defOf(found.core);
    found.description ??= z.globalRegistry.get(found.core)?.description;
    found.meta ??= helperMeta(found.core);
    if (found.meta) break;
    if (def.type === "default" || def.type === "prefault") found.defaultValue ??= def.defaultValue;
    const next = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
    if (!next) break;
    found.core = next;
  }
  return found;
}

/** "one of a, b", "number", "boolean", else "string" (env values are text). */
function plainType(def: Def, values: readonly string[] | undefined): string {
  if (values) return `one of ${values.join(", ")}`;
  return def.type === "number" || def.type === "boolean" ? def.type : "string";
}

function zodInfo(name: string, schema: z.ZodType): VarInfo {
  const { core, defaultValue, description, meta } = layers(schema);
  const def = defOf(core);
  const values = meta?.values ?? (def.type === "enum" && def.entries ? Object.values(def.entries).map(String) : undefined);
  const type = meta ? labelOf(meta) : plainType(def, values);
  return {
    name,
    kind: "zod",
    helper: false,
    type,
    expected: meta?.expected ?? (values ? `one of ${values.join(", ")}` : `a ${type}`),
    ...(description !== undefined && { description }),
    ...(meta?.example !== undefined && { example: meta.example }),
    ...(defaultValue !== undefined && { default: String(defaultValue) }),
    optional: defaultValue === undefined && schema.safeParse(undefined).success,
    secret: meta?.kind === "secret",
    ...(values && { values }),
  };
}

/**
 * Describes the variable `name` declared by `schema`.
 *
 * @example
 * describeVar("PORT", port({ default: 3000 })); // { name: "PORT", kind: "port", type: "port", default: "3000", ... }
 */
export function describeVar(name: string, schema: z.ZodType): VarInfo {
  const meta = helperMeta(schema);
  if (!meta) return zodInfo(name, schema);
  const description = z.globalRegistry.get(schema)?.description;
  return {
    name,
    kind: meta.kind,
    helper: true,
    type: labelOf(meta),
    expected: meta.expected,
    ...(description !== undefined && { description }),
    ...(meta.example !== undefined && { example: meta.example }),
    ...(meta.default !== undefined && { default: meta.default }),
    ...(meta.devDefault !== undefined && { devDefault: meta.devDefault }),
    optional: meta.optional && meta.default === undefined,
    secret: meta.kind === "secret",
    ...(meta.values && { values: meta.values }),
  };
}
