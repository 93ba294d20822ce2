import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { SlipwayError } from "../errors.js";
import { listLogs } from "../platform/process/log-store.js";
import { instancesLoggingUnder } from "../platform/process/pid.js";
import type { StatePaths } from "./paths.js";

/**
 * What a project's `.slipway/` holds besides the ledger: release snapshot
 * directories, instance logs, and instances still running. A starting daemon
 * reads it to tell a first start from a lost ledger, and a deploy to never
 * hand out a release id whose directory already exists.
 */

/** Release ids that have a directory on disk (`releases/<id>/` or `logs/<id>/`). */
export function releaseIdsOnDisk(paths: StatePaths): number[] {
  const ids = new Set<number>();
  for (const dir of [paths.releases, paths.logs]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) if (/^\d+$/.test(name)) ids.add(Number(name));
  }
  return [...ids].sort((a, b) => a - b);
}

/**
 * Refuses to start on a missing or zero-byte ledger when the project has
 * release snapshots, instance logs or running instances: a fresh ledger would
 * orphan the instances (nothing would stop or adopt them) and hand out
 * release ids whose snapshot directories exist. A first start has none of
 * them. Throws an INVALID_STATE error with what was found and what to do.
 *
 * @example
 * checkLedger(statePaths("/srv/app")); // throws when ledger.db is 0 bytes beside .slipway/releases/3
 */
export function checkLedger(paths: StatePaths): void {
  const state = ledgerState(paths.ledger);
  if (state === "present") return;
  const releases = existsSync(paths.releases) ? releaseIdsIn(paths.releases) : [];
  const logs = listLogs(paths.logs).length;
  const running = existsSync(paths.logs) ? instancesLoggingUnder(realpathSync(paths.logs)) : [];
  if (!releases.length && !logs && !running.length) return;
  const found = [
    releases.length ? `release snapshots ${releases.join(", ")}` : null,
    logs ? `${logs} instance log(s)` : null,
    running.length ? `running instances ${running.map((r) => `${r.instanceId} (pid ${r.pid})`).join(", ")}` : null,
  ].filter(Boolean);
  const stop = running.length ? `stop the instances (kill -TERM ${running.map((r) => `-${r.pid}`).join(" ")}) and ` : "";
  throw new SlipwayError(
    "INVALID_STATE",
    `the ledger ${paths.ledger} is ${state}, but ${paths.dir} has ${found.join(", ")}: refusing to start afresh over them`,
    {
      hint: `restore ledger.db from a backup, then slipway up; to really start afresh, ${stop}move ${paths.dir} aside (mv ${paths.dir} ${paths.dir}.lost)`,
    },
  );
}

/** "present", or why the ledger cannot be trusted to be the project's history. */
function ledgerState(file: string): "present" | "missing" | "empty (0 bytes)" {
  const size = (f: string) => (existsSync(f) ? statSync(f).size : -1);
  const db = size(file);
  if (db > 0) return "present";
  // Pages may all still be in the write-ahead log (never checkpointed): then it is not lost.
  if (size(`${file}-wal`) > 0) return "present";
  return db === 0 ? "empty (0 bytes)" : "missing";
}

function releaseIdsIn(dir: string): number[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
}
