import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/**
 * Process-table queries for instances that may not be our children. Linux
 * /proc is used when readable (so zombies count as dead); elsewhere only
 * `kill(pid, 0)`.
 */

/** Is `pid` alive (and not a zombie)? */
export function isAlive(pid: number): boolean {
  if (!signalZero(pid)) return false;
  return procStat(pid)?.state !== "Z";
}

/** Does any live (non-zombie) process remain in process group `pgid`? */
export function isGroupAlive(pgid: number): boolean {
  if (!signalZero(-pgid)) return false;
  const pids = procPids();
  if (!pids) return true;
  return pids.some((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.pgrp === pgid && stat.state !== "Z";
  });
}

/** Every pid in /proc, or undefined when /proc cannot be listed. */
function procPids(): number[] | undefined {
  try {
    return readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return undefined;
  }
}

/**
 * Send `signal` to the process group led by `pgid`. Never signals a lone pid:
 * once a group is empty its id may belong to an unrelated new process.
 * A group that is already gone is not an error.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** The environment `pid` was started with as `KEY=value` strings, or undefined if unreadable. */
export function processEnviron(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * The live process-group leader whose stdout is `logFile` (an absolute path), found by
 * scanning /proc: how an instance is found when the daemon died between starting it and
 * recording its pid. The log file names the project, release and instance, so it cannot
 * match another project's instance. Undefined when there is none or /proc is unreadable.
 */
export function groupLeaderLoggingTo(logFile: string): number | undefined {
  for (const pid of procPids() ?? []) {
    const stat = procStat(pid);
    if (!stat || stat.pgrp !== pid || stat.state === "Z") continue;
    try {
      if (readlinkSync(`/proc/${pid}/fd/1`) === logFile) return pid;
    } catch {
      // not ours to inspect, or gone meanwhile
    }
  }
  return undefined;
}

function signalZero(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ppid pgrp ..."; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Live process-group leaders that carry `SLIPWAY_INSTANCE` and whose stdout is a file
 * under `logDir` (an absolute, resolved path): the instances of one project, found
 * without its ledger. Empty when /proc is unreadable.
 *
 * @example
 * instancesLoggingUnder("/srv/app/.slipway/logs"); // [{ pid: 4242, instanceId: "r3-1" }]
 */
export function instancesLoggingUnder(logDir: string): { pid: number; instanceId: string }[] {
  const found: { pid: number; instanceId: string }[] = [];
  for (const pid of procPids() ?? []) {
    const stat = procStat(pid);
    if (!stat || stat.pgrp !== pid || stat.state === "Z") continue;
    try {
      if (!readlinkSync(`/proc/${pid}/fd/1`).startsWith(`${logDir}/`)) continue;
    } catch {
      continue; // not ours to inspect, or gone meanwhile
    }
    const instance = processEnviron(pid)?.find((v) => v.startsWith("SLIPWAY_INSTANCE="));
    if (instance) found.push({ pid, instanceId: instance.slice("SLIPWAY_INSTANCE=".length) });
  }
  return found;
}
