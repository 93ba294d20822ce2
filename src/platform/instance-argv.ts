import { expandCommand } from "../config/command-vars.js";
import type { InstanceSpec } from "./platform.js";

/**
 * The argv an instance is started with: `spec.command`, with the references
 * to `spec.expand` replaced by their values in `spec.env` (a list command,
 * config/command-vars.ts). A spec without `expand` (a string command, or one
 * recorded before expansion existed) runs exactly as recorded.
 *
 * @example
 * instanceArgv({ command: ["node", "s.js", "--port", "$PORT"], expand: ["PORT"], env: { PORT: "4001" } }); // ["node", "s.js", "--port", "4001"]
 */
export function instanceArgv(spec: Pick<InstanceSpec, "command" | "expand" | "env">): string[] {
  return spec.expand ? expandCommand(spec.command, spec.expand, spec.env) : [...spec.command];
}
