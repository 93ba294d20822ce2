import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Target } from "../../src/router/types.js";

const PLAIN_APP = fileURLToPath(new URL("../fixtures/keepalive-apps/plain.mjs", import.meta.url));

/** A running child-process app (test/fixtures/keepalive-apps/plain.mjs). */
export interface AppProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly target: Target;
  /** Sends `signal` (SIGTERM: graceful close) and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the plain `node:http` keep-alive app as a child process on a free
 * loopback port; its stop is pushed onto `cleanups`. `keepAliveTimeout`
 * (ms) sets the server's, Node's default (5 s) when omitted. `port` reuses a
 * port (to restart an app where it was).
 *
 * @example
 * const a = await startApp(cleanups, { id: "a", version: "v1", keepAliveTimeout: 1000 });
 * router.setGroups([group("r1", 1, a.target)]);
 */
export async function startApp(
  cleanups: (() => Promise<void> | void)[],
  o: { id: string; version?: string; keepAliveTimeout?: number; port?: number },
): Promise<AppProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, VERSION: o.version ?? o.id, PORT: String(o.port ?? 0) };
  if (o.keepAliveTimeout !== undefined) env.KEEP_ALIVE_TIMEOUT = String(o.keepAliveTimeout);
  const child = spawn(process.execPath, [PLAIN_APP], { env, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`app ${o.id} exited with ${String(code)} before listening`)));
  });
  const stop = (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  cleanups.push(async () => {
    await stop("SIGKILL");
  });
  return { child, port, target: { id: o.id, host: "127.0.0.1", port }, stop };
}
