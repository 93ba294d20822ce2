/**
 * Reads the structure of a zod schema (through optional/default/transform
 * wrappers). Used to suggest the known keys for an unknown one and to derive
 * the environment-overlay schema.
 */
import type { z } from "zod";

type AnySchema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  options?: readonly AnySchema[];
  valueType?: AnySchema;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "nonoptional", "catch"]);

/** The internal definition of a schema, typed loosely for walking. */
export function defOf(schema: AnySchema): Def {
  return schema._zod.def as unknown as Def;
}

/** Strips wrappers (optional, default, transform pipes...) down to the schema that checks the input. */
export function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else return current;
  }
}

/** Strips optional, nullable and default wrappers, keeping value checks and transforms. */
export function withoutDefaults(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if (["optional", "nullable", "default", "prefault"].includes(def.type) && def.innerType) current = def.innerType;
    else return current;
  }
}

/**
 * The keys an object at `path` may have, following unions, lists and maps.
 *
 * @example
 * keysAt(baseSchema, ["app"]); // ["command", "cwd", "replicas", "env", "shutdown"]
 */
export function keysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === "union") return [...new Set((def.options ?? []).flatMap((option) => keysAt(option, path)))];
  const [head, ...rest] = path;
  if (head === undefined) return def.type === "object" ? Object.keys(def.shape ?? {}) : [];
  if (def.type === "object") {
    const child = def.shape?.[String(head)];
    return child ? keysAt(child, rest) : [];
  }
  const inner = def.type === "array" ? def.element : def.type === "record" ? def.valueType : undefined;
  return inner ? keysAt(inner, rest) : [];
}
