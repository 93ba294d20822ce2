import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ListenAddress } from "../config/types.js";
import { statePaths } from "../daemon/paths.js";
import { SlipwayError } from "../errors.js";
import { ApiClient } from "../control/api-client.js";
import { daemonEnv } from "./daemon-env.js";

/** How long `slipway up` waits for a fresh daemon to answer. */
export const DAEMON_START_TIMEOUT = 15_000;

export interface DaemonHandle {
  client: ApiClient;
  pid: number;
  started: boolean;
}

/** Answers whether a daemon serves the project at `root`, and its pid. */
export async function pingDaemon(root: string): Promise<number | null> {
  const { socket } = statePaths(root);
  if (!existsSync(socket)) return null;
  try {
    const { pid } = await new ApiClient(socket).get<{ pid: number }>("/v1/ping");
    return pid;
  } catch {
    return null;
  }
}

/**
 * Starts the daemon in the background unless one already runs (idempotent).
 * Its output goes to `.slipway/daemon.log`.
 */
export async function ensureDaemon(root: string, listen: ListenAddress | undefined): Promise<DaemonHandle> {
  const paths = statePaths(root);
  const client = new ApiClient(paths.socket);
  const running = await pingDaemon(root);
  if (running !== null) return { client, pid: running, started: false };

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
