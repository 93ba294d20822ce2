import type { Command } from "commander";
import { existsSync } from "node:fs";
import { statePaths } from "../../daemon/paths.js";
import { SlipwayError } from "../../errors.js";
import { PACKAGE_VERSION } from "../../package-version.js";
import { ApiClient } from "../../control/api-client.js";
import { completionScript, SHELLS, type Shell } from "../completion-script.js";
import { daemonPing } from "../daemon-control.js";
import { projectRoot, type GlobalOptions } from "../options.js";

/** `slipway version` (with the Node and daemon versions) and `slipway completion bash|zsh|fish`. */
export function registerVersionCommands(program: Command): void {
  program
    .command("version")
    .description("Slipway's version, Node's, and the daemon's when one runs for this project (--json for scripts)")
    .action(async (_o: object, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const ping = await daemonPing(projectRoot(g));
      const daemon = ping && { pid: ping.pid, version: ping.version };
      if (g.json) return void console.log(JSON.stringify({ slipway: PACKAGE_VERSION, node: process.version, daemon }));
      console.log(`slipway ${PACKAGE_VERSION}`);
      console.log(`node    ${process.version}`);
      console.log(`daemon  ${daemon ? `${daemon.version ?? "older than 0.1.0"} (pid ${daemon.pid})` : "not running for this project"}`);
    });

  program
    .command("completion")
    .description(`print the shell completion script (${SHELLS.join(", ")}); e.g. eval "$(slipway completion bash)"`)
    .argument("<shell>", SHELLS.join(", "))
    .action(async (shell: string, _o: object, cmd: Command) => {
      // What the scripts ask on Tab after --to / --release: "ID<tab>VERSION STATUS" per release, newest first.
      if (shell === "releases") return void (await releaseChoices(projectRoot(cmd.optsWithGlobals<GlobalOptions>())));
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new SlipwayError("USAGE", `completion ${shell}: unknown shell`, { hint: `use one of ${SHELLS.join(", ")}` });
      const { buildProgram } = await import("../program.js");
      const { completionModel } = await import("../completion-model.js");
      process.stdout.write(completionScript(shell as Shell, completionModel(await buildProgram())));
    });
}

interface ReleaseChoice {
  id: number;
  version: string;
  status: string;
}

/** The project's releases, from its daemon, else read-only from its ledger; nothing when it has none. */
async function releaseChoices(root: string): Promise<void> {
  const paths = statePaths(root);
  let list: ReleaseChoice[] = [];
  if (await daemonPing(root)) list = await new ApiClient(paths.socket).get<ReleaseChoice[]>("/v1/releases");
  else if (existsSync(paths.ledger)) {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(paths.ledger, { readonly: true, fileMustExist: true });
    try {
      list = db.prepare("SELECT id, version, status FROM releases ORDER BY id DESC").all() as ReleaseChoice[];
    } finally {
      db.close();
    }
  }
  for (const r of list) console.log(`${r.id}\t${r.version} ${r.status}`);
}
