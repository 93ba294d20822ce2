import type { Command } from "commander";
import { configJsonSchema } from "../../config/json-schema.js";
import { load, type GlobalOptions } from "../options.js";

/** `slipway config validate` and `slipway config schema`. */
export function registerConfigCommands(program: Command): void {
  const config = program.command("config").description("check slipway.yaml, print its JSON Schema");
  config
    .command("validate")
    .description("validate slipway.yaml (all problems at once, with lines); exit 2 when invalid")
    .action(async (_o: object, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const loaded = await load(g);
      const { warnings } = loaded;
      if (g.json) return void console.log(JSON.stringify({ valid: true, file: loaded.file, warnings, config: loaded.config }, null, 2));
      const env = g.environment ? ` (environment ${g.environment})` : "";
      const warned = warnings.length > 0 ? `, ${warnings.length} warning${warnings.length === 1 ? "" : "s"}` : "";
      console.log(
        `${loaded.file} is valid${env}: ${loaded.config.name}, ${loaded.config.app.replicas} replica(s), ${loaded.config.strategy.type}${warned}`,
      );
      for (const warning of warnings) console.log(`warning: ${warning}`);
    });
  config
    .command("schema")
    .description("print the JSON Schema of slipway.yaml (for editors)")
    .action(() => console.log(JSON.stringify(configJsonSchema(), null, 2)));
}
