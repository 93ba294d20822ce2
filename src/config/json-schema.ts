/**
 * JSON Schema of slipway.yaml for editors (yaml-language-server, VS Code),
 * generated from the zod schema so it never drifts. Put this first line in
 * slipway.yaml to get completion and hover docs:
 *
 *   # yaml-language-server: $schema=./slipway.schema.json
 */
import { z } from "zod";
import { fieldTypes } from "./fields.js";
import { configSchema } from "./schema.js";

/** Draft used for the schema: the one yaml-language-server supports best. */
export const JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#";

type JsonSchema = Record<string, unknown>;

/** Drops zod's ±2^53 integer bounds, which only add noise for editors and docs. */
function dropSafeIntegerBounds(json: JsonSchema): void {
  if (json["maximum"] === Number.MAX_SAFE_INTEGER) delete json["maximum"];
  if (json["minimum"] === Number.MIN_SAFE_INTEGER) delete json["minimum"];
}

/**
 * The input JSON Schema of slipway.yaml. With `docTypes`, leaves also carry
 * an `x-doc-type` label (e.g. "duration") for the generated reference; the
 * editor-facing schema leaves that out.
 */
export function buildJsonSchema(options: { docTypes?: boolean } = {}): JsonSchema {
  return z.toJSONSchema(configSchema, {
    io: "input",
    target: "draft-07",
    override: ({ zodSchema, jsonSchema }) => {
      dropSafeIntegerBounds(jsonSchema as JsonSchema);
      const label = options.docTypes ? fieldTypes.get(zodSchema)?.type : undefined;
      if (label) (jsonSchema as JsonSchema)["x-doc-type"] = label;
    },
  }) as JsonSchema;
}

/**
 * The JSON Schema of slipway.yaml, ready to write to `slipway.schema.json`.
 *
 * @example
 * writeFileSync("slipway.schema.json", JSON.stringify(configJsonSchema(), null, 2));
 */
export function configJsonSchema(): JsonSchema {
  const schema = buildJsonSchema();
  delete schema["$schema"];
  return {
    $schema: JSON_SCHEMA_DRAFT,
    title: "slipway.yaml",
    description: "Slipway deployment config. Reference: docs/config.md.",
    ...schema,
  };
}
