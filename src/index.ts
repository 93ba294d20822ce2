/**
 * Slipway's programmatic entry: config loading and validation, and the error
 * type. App-side helpers live in the subpath exports `slipway/health` and
 * `slipway/env`; the CLI is the `slipway` binary.
 *
 * @example
 * import { loadConfig } from "slipway";
 * const { config } = loadConfig({ cwd: process.cwd() });
 */
export { loadConfig, parseConfig, type LoadedConfig, type ParseConfigOptions } from "./config/load.js";
export { configJsonSchema } from "./config/json-schema.js";
export type { Config } from "./config/types.js";
export { SlipwayError, type ErrorCode } from "./errors.js";
