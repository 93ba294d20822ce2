/**
 * `slipway/env`: the app's environment, declared once. One schema gives the
 * startup check (every problem at once, secrets never printed), a typed and
 * frozen `env` object, `.env.example`, the docs table, and the check
 * `slipway deploy` runs before it creates a release. See docs/app-env.md.
 *
 * @example
 * // env.js
 * import { defineEnv, envSchema, oneOf, port, secret, url } from "slipway/env";
 * export const schema = envSchema({
 *   PORT: port({ description: "Port to listen on.", default: 3000 }),
 *   DATABASE_URL: url({ description: "a postgres:// URL", example: "postgres://localhost/app" }),
 *   LOG_LEVEL: oneOf(["debug", "info", "warn", "error"], { default: "info" }),
 *   SESSION_SECRET: secret({ description: "Signs session cookies.", devDefault: "dev-only" }),
 * });
 * export default schema;
 * export const env = defineEnv(schema);
 */
export { defineEnv, type DefineEnvOptions } from "./define.js";
export { envSchema, type EnvShape, type InferEnv } from "./schema.js";
export type { EnvSchemaInput, StandardSchemaV1 } from "./schema-input.js";
export { bool, num, oneOf, port, secret, str, url, type EnvVar, type Resolved, type VarOptions } from "./vars.js";
export { Secret } from "./secret.js";
export { EnvError } from "./error.js";
export { envExample } from "./example.js";
export { envDocs } from "./docs.js";
