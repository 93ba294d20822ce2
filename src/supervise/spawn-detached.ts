import { spawn } from "node:child_process";
import { open } from "node:fs/promises";

/**
 * Starts `node <entry> ...args` in its own session (it outlives whoever
 * started it), its output appended to `logFile`. Never blocks the caller's
 * event loop on file work: the log is opened asynchronously.
 *
 * @example
 * const pid = await spawnDetached(entry, ["--root", root], { cwd: root, logFile: paths.routerLog, env });
 */
export async function spawnDetached(
  entry: string,
  args: string[],
  o: { cwd: string; logFile: string; env: NodeJS.ProcessEnv },
): Promise<{ pid: number; exited: Promise<number | null> }> {
  const log = await open(o.logFile, "a", 0o600);
  try {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: o.cwd,
      detached: true,
      stdio: ["ignore", log.fd, log.fd],
      env: o.env,
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once("exit", (code) => resolve(code));
      child.once("error", () => resolve(null));
    });
    child.unref();
    return { pid: child.pid ?? 0, exited };
  } finally {
    await log.close();
  }
}
