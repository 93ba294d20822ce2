import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ListenAddress } from "../config/types.js";
import { statePaths } from "../daemon/paths.js";
import { SlipwayError } from "../errors.js";
import { ApiClient } from "../control/api-client.js";
import { PACKAGE_VERSION } from "../package-version.js";
import { daemonEnv } from "./daemon-env.js";

/** How long `slipway up` waits for a fresh daemon to answer. */
export const DAEMON_START_TIMEOUT = 15_000;

export interface DaemonHandle {
  client: ApiClient;
  pid: number;
  started: boolean;
}

/** What a daemon answers to ping: its pid and the Slipway version it runs (null from a daemon older than the field). */
export interface DaemonPing {
  pid: number;
  version: string | null;
}

/** Answers whether a daemon serves the project at `root`, its pid and version. */
export async function daemonPing(root: string): Promise<DaemonPing | null> {
  const { socket } = statePaths(root);
  if (!existsSync(socket)) return null;
  try {
    const { pid, version } = await new ApiClient(socket).get<{ pid: number; version?: string }>("/v1/ping");
    return { pid, version: version ?? null };
  } catch {
    return null;
  }
}

/** Answers whether a daemon serves the project at `root`, and its pid. */
export async function pingDaemon(root: string): Promise<number | null> {
  return (await daemonPing(root))?.pid ?? null;
}

/**
 * The one line a CLI prints when the daemon it talks to runs another version
 * of Slipway (an upgrade left the old daemon running); null when they match.
 *
 * @example
 * versionNotice({ pid: 41, version: "0.1.0" }, "0.2.0");
 * // "notice: the daemon (pid 41) runs Slipway 0.1.0, this CLI is 0.2.0; hint: restart it with slipway down && slipway up"
 */
export function versionNotice(ping: DaemonPing, cliVersion: string): string | null {
  if (ping.version === cliVersion) return null;
  const runs = ping.version ? `Slipway ${ping.version}` : "an older Slipway";
  return `notice: the daemon (pid ${ping.pid}) runs ${runs}, this CLI is ${cliVersion}; hint: restart it with slipway down && slipway up`;
}

/**
 * A client of the project's daemon. When a daemon answers and runs another
 * version than this CLI, says so on stderr (one line), and goes on.
 */
export async function daemonClient(root: string): Promise<ApiClient> {
  const ping = await daemonPing(root);
  if (ping) warnOnOtherVersion(ping);
  return new ApiClient(statePaths(root).socket);
}

function warnOnOtherVersion(ping: DaemonPing): void {
  const notice = versionNotice(ping, PACKAGE_VERSION);
  if (notice) process.stderr.write(`${notice}\n`);
}

/**
 * Starts the daemon in the background unless one already runs (idempotent).
 * Its output goes to `.slipway/daemon.log`.
 */
/**
 * The address a daemon started before any release serves (a 503 until the first deploy): the config's `listen`,
 * unless the app names its hosts, whose address belongs to a shared router it joins at its first deploy.
 */
export function earlyListen(config: { listen: ListenAddress; router: { hosts: string[] } }): ListenAddress | undefined {
  return config.router.hosts.length === 0 ? config.listen : undefined;
}

export async function ensureDaemon(root: string, listen: ListenAddress | undefined): Promise<DaemonHandle> {
  const paths = statePaths(root);
  const client = new ApiClient(paths.socket);
  const running = await daemonPing(root);
  if (running !== null) {
    warnOnOtherVersion(running);
    return { client, pid: running.pid, started: false };
  }

  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const out = openSync(paths.daemonLog, "a");
  const entry = fileURLToPath(new URL("../daemon/main.js", import.meta.url));
  const args = [entry, "--root", root, ...(listen ? ["--listen", `${listen.host}:${listen.port}`] : [])];
  const child = spawn(process.execPath, args, { cwd: root, detached: true, stdio: ["ignore", out, out], env: daemonEnv(process.env) });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.unref();

  const deadline = Date.now() + DAEMON_START_TIMEOUT;
  while (Date.now() < deadline) {
    const pid = await pingDaemon(root);
    if (pid !== null) return { client, pid, started: true };
    const code = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
    // Exit 0 before answering: another daemon (restarted by the router) holds the project; wait for it.
    if (code !== undefined && code !== 0) break;
  }
  const why = lastError(paths.daemonLog);
  throw new SlipwayError("DAEMON_UNAVAILABLE", `the Slipway daemon did not start${why.error ? `: ${why.error}` : ""}`, {
    hint: why.hint ? `${why.hint} (see ${paths.daemonLog})` : `see ${paths.daemonLog}`,
  });
}

/** The daemon's own last error line (`error: ...`) and the hint under it, to explain a failed start. */
function lastError(logFile: string): { error?: string; hint?: string } {
  try {
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n");
    let at = lines.length - 1;
    while (at >= 0 && !lines[at]!.startsWith("error: ")) at--;
    if (at < 0) return {};
    const hint = lines[at + 1]?.startsWith("hint: ") ? lines[at + 1]!.slice("hint: ".length) : undefined;
    return { error: lines[at]!.slice("error: ".length), hint };
  } catch {
    return {};
  }
}
