import type { Command } from "commander";
import { statePaths } from "../../daemon/paths.js";
import type { DaemonStatus } from "../../daemon/status.js";
import { ApiClient } from "../client.js";
import { intOption, projectRoot, type GlobalOptions } from "../options.js";
import { clock, instanceTable, table, trafficLine } from "../render.js";

interface PublicRelease {
  id: number;
  version: string;
  status: string;
  createdAt: string;
  activatedAt: string | null;
  runnable: boolean;
  reason: string | null;
}

/** `slipway status`, `slipway releases`, `slipway logs`. */
export function registerInfoCommands(program: Command): void {
  const client = (cmd: Command) => new ApiClient(statePaths(projectRoot(cmd.optsWithGlobals<GlobalOptions>())).socket);

  program
    .command("status")
    .description("current release, instances with health, traffic, rollout in progress")
    .action(async (_o: object, cmd: Command) => {
      const s = await client(cmd).get<DaemonStatus>("/v1/status");
      if (cmd.optsWithGlobals<GlobalOptions>().json) return void console.log(JSON.stringify(s, null, 2));
      console.log(s.current ? `current release: ${s.current.id} (${s.current.version})` : "current release: none (nothing deployed yet)");
      if (s.rollout)
        console.log(
          `rollout in progress: #${s.rollout.id} ${s.rollout.kind} to release ${s.rollout.release}, by ${s.rollout.holder} since ${clock(s.rollout.startedAt)}`,
        );
      console.log(trafficLine(s));
      console.log("");
      for (const line of instanceTable(s)) console.log(line);
      if (s.recovery && (s.recovery.adopted.length || s.recovery.stopped.length || s.recovery.interruptedRollouts.length)) {
        console.log(
          `\nrecovered at ${clock(s.recovery.at)}: adopted ${s.recovery.adopted.length}, stopped ${s.recovery.stopped.length} orphan(s), interrupted rollouts: ${s.recovery.interruptedRollouts.join(", ") || "none"}`,
        );
      }
    });

  program
    .command("releases")
    .description("every release in the ledger, newest first")
    .action(async (_o: object, cmd: Command) => {
      const list = await client(cmd).get<PublicRelease[]>("/v1/releases");
      if (cmd.optsWithGlobals<GlobalOptions>().json) return void console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return void console.log("no releases yet: run slipway deploy");
      const rows = list.map((r) => [
        String(r.id),
        r.version,
        r.status,
        r.createdAt.replace("T", " ").slice(0, 19),
        r.runnable ? "" : "(pruned)",
        r.reason ?? "",
      ]);
      for (const line of table(["ID", "VERSION", "STATUS", "CREATED (UTC)", "", "NOTE"], rows)) console.log(line);
    });

  program
    .command("logs")
    .description("instance logs of the current release (or --release ID)")
    .option("-f, --follow", "keep streaming new lines")
    .option("--release <id>", "release id (see slipway releases)")
    .option("-n, --lines <n>", "lines per instance to show first", "50")
    .action(async (opts: { follow?: boolean; release?: string; lines: string }, cmd: Command) => {
      const q = new URLSearchParams({ lines: String(intOption("--lines", opts.lines)) });
      const release = intOption("--release", opts.release);
      if (release !== undefined) q.set("release", String(release));
      if (opts.follow) q.set("follow", "1");
      await client(cmd).lines(`/v1/logs?${q}`, (line) => console.log(line));
    });
}
