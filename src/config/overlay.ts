/**
 * Environment overlays: `environments.<name>` holds a partial config that is
 * merged over the base like a JSON Merge Patch (RFC 7396): mappings merge
 * deeply, lists and scalars replace, and `null` removes a key.
 */
import { z } from "zod";
import { defOf, unwrap, withoutDefaults } from "./schema-walk.js";

type Json = unknown;

function isMapping(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Merges `overlay` over `base` (neither is modified).
 *
 * @example
 * mergeOverlay({ app: { replicas: 1, cwd: "." } }, { app: { replicas: 5 } }); // { app: { replicas: 5, cwd: "." } }
 */
export function mergeOverlay(base: Json, overlay: Json): Json {
  if (!isMapping(overlay)) return overlay;
  const merged: Record<string, Json> = isMapping(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete merged[key];
    else merged[key] = mergeOverlay(merged[key], value);
  }
  return merged;
}

function descriptionOf(schema: z.core.$ZodType): string | undefined {
  let current = schema;
  for (;;) {
    const description = z.globalRegistry.get(current)?.description;
    const def = defOf(current);
    if (description || !def.innerType) return description;
    current = def.innerType;
  }
}

/**
 * The schema of an overlay for `schema`: the same keys and value checks, but
 * every key optional (or null, to remove it) and no defaults, so an overlay
 * holds only what it changes. Descriptions are kept for editors.
 */
export function overlaySchemaOf(schema: z.core.$ZodType): z.ZodType {
  const shape = defOf(unwrap(schema)).shape;
  if (defOf(unwrap(schema)).type !== "object" || !shape) return withoutDefaults(schema) as z.ZodType;
  const fields = Object.entries(shape).map(([key, value]) => {
    const field = overlaySchemaOf(value).nullable().optional();
    const description = descriptionOf(value);
    return [key, description ? field.describe(description) : field] as const;
  });
  return z.strictObject(Object.fromEntries(fields));
}
