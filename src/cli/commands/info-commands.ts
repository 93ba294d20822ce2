import type { Command } from "commander";
import { once } from "node:events";
import type { DaemonStatus } from "../../daemon/status.js";
import { daemonClient } from "../daemon-control.js";
import { intOption, projectRoot, type GlobalOptions } from "../options.js";
import { liveRedraw, outputMode, statusLines, table } from "../render.js";

/** Refresh of `slipway status --watch` on a terminal, and between plain snapshots. */
const WATCH_EVERY = 500;
const WATCH_EVERY_PLAIN = 2000;

interface PublicRelease {
  id: number;
  version: string;
  status: string;
  createdAt: string;
  activatedAt: string | null;
  runnable: boolean;
  reason: string | null;
  /** The git commit it was deployed from, and its committer time; null outside a git work tree. */
  commit: string | null;
  committedAt: string | null;
}

/** `slipway status`, `slipway releases`, `slipway logs`. */
export function registerInfoCommands(program: Command): void {
  const client = (cmd: Command) => daemonClient(projectRoot(cmd.optsWithGlobals<GlobalOptions>()));

  program
    .command("status")
    .description("current release, rollout in progress (steps, weights, analysis), instances with health, traffic")
    .option("-w, --watch", "keep the view live until Ctrl-C")
    .action(async (opts: { watch?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const api = await client(cmd);
      if (!opts.watch) {
        const s = await api.get<DaemonStatus>("/v1/status");
        return void console.log(g.json ? JSON.stringify(s, null, 2) : statusLines(s).join("\n"));
      }
      const live = outputMode(Boolean(g.json)) === "live";
      const logUpdate = live ? await liveRedraw() : null;
      for (;;) {
        const s = await api.get<DaemonStatus>("/v1/status");
        if (g.json) console.log(JSON.stringify(s));
        else if (logUpdate) logUpdate(statusLines(s).join("\n"));
        else console.log(statusLines(s).join("\n") + "\n");
        await new Promise((r) => setTimeout(r, live ? WATCH_EVERY : WATCH_EVERY_PLAIN));
      }
    });

  program
    .command("releases")
    .description("every release in the ledger, newest first")
    .action(async (_o: object, cmd: Command) => {
      const list = await (await client(cmd)).get<PublicRelease[]>("/v1/releases");
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
      // Waits when stdout is full, so the daemon's stream waits too: bounded memory whatever -n is.
      await (
        await client(cmd)
      ).lines(`/v1/logs?${q}`, (line) => (process.stdout.write(`${line}\n`) ? undefined : once(process.stdout, "drain")));
    });
}
