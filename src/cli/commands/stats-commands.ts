import type { Command } from "commander";
import { parseSpan } from "../../config/duration.js";
import type { DeliveryStats } from "../../delivery/delivery-metrics.js";
import {
  BUCKETS,
  checkStatsPeriod,
  DEFAULT_FAILURE_WINDOW,
  DEFAULT_STATS_SINCE,
  type Bucket,
  type StatsPeriod,
} from "../../delivery/stats-period.js";
import { SlipwayError } from "../../errors.js";
import { daemonClient } from "../daemon-control.js";
import { instantOption, projectRoot, spanOption, type GlobalOptions } from "../options.js";
import { statsLines } from "../stats-view.js";

interface StatsFlags {
  since: string;
  until?: string;
  bucket: string;
  failureWindow: string;
}

/** `slipway stats`: delivery metrics from the daemon's ledger (`GET /v1/stats`). */
export function registerStatsCommands(program: Command): void {
  program
    .command("stats")
    .description("delivery metrics from the ledger: deployment frequency, lead time, change failure rate, time to restore, rework rate")
    .option("--since <when>", "start: a duration back from now (30d, 12h, 2w) or an ISO date/time (UTC)", DEFAULT_STATS_SINCE)
    .option("--until <when>", "end (not included): an ISO date/time (UTC); default now")
    .option("--bucket <size>", `per-bucket table by ${BUCKETS.join(" or ")} (UTC; weeks start on Monday)`, "day")
    .option("--failure-window <duration>", "a rollback this soon after a deploy makes it a failed change", DEFAULT_FAILURE_WINDOW)
    .action(async (flags: StatsFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const period = statsFlags(flags, Date.now());
      const query = new URLSearchParams({
        since: String(period.since),
        until: String(period.until),
        bucket: period.bucket,
        failureWindow: String(period.failureWindowMs),
      });
      const stats = await (await daemonClient(projectRoot(g))).get<DeliveryStats>(`/v1/stats?${query}`);
      console.log(g.json ? JSON.stringify(stats, null, 2) : statsLines(stats).join("\n"));
    });
}

/** The period the flags ask for, every value checked before the daemon is reached. */
export function statsFlags(flags: StatsFlags, now: number): StatsPeriod {
  if (!BUCKETS.includes(flags.bucket as Bucket))
    throw new SlipwayError("USAGE", `--bucket ${flags.bucket.slice(0, 40)}: not a bucket size`, {
      hint: `use one of ${BUCKETS.join(", ")}`,
    });
  const until = flags.until === undefined ? now : instantOption("--until", flags.until);
  const back = parseSpan(flags.since);
  const period: StatsPeriod = {
    since: back === undefined ? sinceDate(flags.since) : now - back,
    until,
    bucket: flags.bucket as Bucket,
    failureWindowMs: spanOption("--failure-window", flags.failureWindow),
  };
  checkStatsPeriod(period, { since: "--since", until: "--until", byWeek: "--bucket week" });
  return period;
}

/** `--since` when it is not a duration: a date, or an error that offers both forms. */
function sinceDate(value: string): number {
  try {
    return instantOption("--since", value);
  } catch {
    const cut = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    throw new SlipwayError("USAGE", `--since ${JSON.stringify(cut)}: neither a duration nor a date`, {
      hint: "use a duration back from now (30d, 12h, 2w) or an ISO date (2026-11-01, UTC)",
    });
  }
}
