import type { Command } from "commander";
import { statePaths } from "../../daemon/paths.js";
import type { DaemonStatus } from "../../daemon/status.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ApiClient } from "../../control/api-client.js";
import { earlyListen, ensureDaemon, pingDaemon } from "../daemon-control.js";
import { load, projectRoot, type GlobalOptions } from "../options.js";

/** `slipway up` and `slipway down` (the daemon itself is src/daemon/main.ts). */
export function registerDaemonCommands(program: Command): void {
  program
    .command("up")
    .description("start the daemon in the background (idempotent); it brings the current release back")
    .action(async (_opts: object, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const root = projectRoot(g);
      const hasConfig = g.config !== undefined || ["slipway.yaml", "slipway.yml"].some((f) => existsSync(join(root, f)));
      const listen = hasConfig ? earlyListen((await load(g)).config) : undefined;
      const handle = await ensureDaemon(root, listen);
      const status = await handle.client.get<DaemonStatus>("/v1/status");
      if (g.json) return void console.log(JSON.stringify({ pid: handle.pid, started: handle.started, recovery: status.recovery }));
      console.log(handle.started ? `daemon started (pid ${handle.pid})` : `daemon already running (pid ${handle.pid})`);
      const r = status.recovery;
      // Also when the router restarted a killed daemon before this command ran.
      if (r) {
        if (r.interruptedRollouts.length)
          console.log(`  rollout ${r.interruptedRollouts.join(", ")} was interrupted by the previous daemon's stop`);
        if (r.adopted.length) console.log(`  adopted running instances: ${r.adopted.join(", ")}`);
        if (r.stopped.length) console.log(`  stopped orphaned instances: ${r.stopped.join(", ")}`);
        if (r.gone.length) console.log(`  instances gone while no daemon ran: ${r.gone.join(", ")}`);
      }
      if (status.current) console.log(`  current release: ${status.current.id} (${status.current.version})`);
    });

  program
    .command("down")
    .description("stop the router and every instance gracefully, then the daemon")
    .action(async (_opts: object, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const root = projectRoot(g);
      const pid = await pingDaemon(root);
      if (pid === null) {
        // A router left without its daemon still serves the last table: stop it too.
        const paths = statePaths(root);
        const router = await new ApiClient(paths.routerSocket).post("/v1/shutdown").then(
          () => true,
          () => false,
        );
        return void console.log(
          g.json ? JSON.stringify({ stopped: false, router }) : router ? "no daemon running; router stopped" : "no daemon running",
        );
      }
      await new ApiClient(statePaths(root).socket).post("/v1/down");
      console.log(g.json ? JSON.stringify({ stopped: true, pid }) : `daemon stopped (pid ${pid}); every instance drained and stopped`);
    });
}
