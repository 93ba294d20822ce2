/**
 * Reads an app's env schema from its module without the app's environment:
 * the module is imported with a collector active, so the `defineEnv` call it
 * makes validates nothing. The schema is its default export, else its
 * `schema` export, else the schema it handed to `defineEnv`.
 */
import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import { SlipwayError } from "../errors.js";
import { looksLikeSchema, toEnvShape } from "./schema-input.js";
import { collectingSchemas, isEnvSchema, type EnvShape } from "./schema.js";

const HOW = 'export default envSchema({ ... }) (or export const schema = envSchema({ ... })) from "slipway/env"';

function hintFor(error: NodeJS.ErrnoException, file: string): string {
  if (error.code === "ERR_MODULE_NOT_FOUND" && /'slipway'|slipway\/env/.test(error.message))
    return "install slipway in the app (npm install slipway) so the schema module can import slipway/env";
  if (error.code === "ERR_UNKNOWN_FILE_EXTENSION" || /\.[cm]?tsx?$/.test(file))
    return "the schema module must be JavaScript: point at the built .js file";
  return "fix the module, or check it alone with node -e 'import(\"./env.js\")'";
}

/**
 * Imports the JavaScript module `file` and returns its env schema. Throws a
 * `CONFIG_INVALID` SlipwayError when the module cannot be imported or has no
 * schema.
 *
 * @example
 * const schema = await loadEnvSchema("/srv/app/env.js");
 * envExample(schema);
 */
export async function loadEnvSchema(file: string, cwd = process.cwd()): Promise<EnvShape> {
  const label = relative(cwd, file) || file;
  let loaded: { result: Record<string, unknown>; collected: EnvShape[] };
  try {
    loaded = await collectingSchemas(() => import(pathToFileURL(file).href) as Promise<Record<string, unknown>>);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SlipwayError("CONFIG_INVALID", `cannot load the env schema ${label}: ${e.message.split("\n")[0]}`, {
      hint: hintFor(e, file),
      cause: error,
    });
  }
  const { result: module, collected } = loaded;
  const schema = [module["default"], module["schema"], collected[0]].find(isEnvSchema);
  if (schema) return toEnvShape(schema, label);
  // An export that looks meant as the schema but is not one: say why (the TypeError's words), not just "none".
  for (const name of ["default", "schema"]) {
    const value = module[name];
    if (!looksLikeSchema(value)) continue;
    try {
      toEnvShape(value, `${label}'s ${name === "default" ? "default export" : "schema export"}`);
    } catch (error) {
      throw new SlipwayError("CONFIG_INVALID", (error as Error).message, { hint: HOW });
    }
  }
  throw new SlipwayError("CONFIG_INVALID", `${label} exports no env schema`, { hint: HOW });
}
