/**
 * The config module: slipway.yaml in, a validated, frozen `Config` out.
 *
 * @example
 * import { loadConfig } from "./config/index.js";
 * const { config } = loadConfig({ cwd: process.cwd(), environment: "production" });
 */
export { loadConfig, parseConfig } from "./load.js";
export type { LoadConfigOptions, LoadedConfig, ParseConfigOptions, ParsedConfigResult } from "./load.js";
export { configJsonSchema } from "./json-schema.js";
export { configReference } from "./reference.js";
export { parseDuration, formatDuration } from "./duration.js";
export { parseSize } from "./size.js";
export { parseAddress, formatAddress } from "./address.js";
export { resolveIntOrPercent } from "./guards.js";
export * from "./defaults.js";
export type * from "./types.js";
