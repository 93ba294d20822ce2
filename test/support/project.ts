import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Status } from "./status.js";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = join(REPO, "dist/cli/main.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (`npm run build` first, as `npm test` does) in `cwd` with CI=1;
 * `env` adds variables (`cleanEnv`: to PATH alone instead of this process's
 * environment), `timeoutMs` kills it (code null) when it runs longer, `uid`/`gid`
 * run it as another user (when root).
 *
 * @example
 * const r = await runCli(dir, ["audit", "--format", "json"]); // { code: 0, stdout, stderr }
 */
export function runCli(
  cwd: string,
  args: string[],
  options: { env?: Record<string, string>; cleanEnv?: boolean; timeoutMs?: number; uid?: number; gid?: number } = {},
): Promise<CliResult> {
  const { env = {}, cleanEnv = false, timeoutMs, ...user } = options;
  const base = cleanEnv ? { PATH: process.env.PATH ?? "" } : process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...base, CI: "1", ...env },
      ...user,
      ...(timeoutMs !== undefined && { timeout: timeoutMs, killSignal: "SIGKILL" as const }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** The YAML of a fast test project around examples/hello (probes tuned for tests). */
export function helloConfig(port: number, overrides = ""): string {
  return `name: hello
listen: 127.0.0.1:${port}
app:
  command: ["node", "server.js"]
  replicas: 3
  env: { SHUTDOWN_DELAY_MS: "800", SHUTDOWN_TIMEOUT_MS: "4500" }
  shutdown: { signal: SIGTERM, timeout: 5s }
health:
  startup: { http: /health, interval: 100ms, failureThreshold: 50 }
  readiness: { http: /health/ready, interval: 200ms, failureThreshold: 2 }
  liveness: { http: /health, interval: 1s, failureThreshold: 3 }
strategy:
  type: rolling
  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 300ms }
drain: { timeout: 5s }
progressDeadline: 20s
${overrides}`;
}

/**
 * A throwaway Slipway project (a copy of examples/hello) in a temp dir, with
 * a CLI runner and cleanup that stops the daemon and every instance.
 */
export class TestProject {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(configFor: (port: number) => string = helloConfig): Promise<TestProject> {
    const dir = mkdtempSync(join(tmpdir(), "slipway-test-"));
    cpSync(join(REPO, "examples/hello/server.js"), join(dir, "server.js"));
    cpSync(join(REPO, "examples/hello/package.json"), join(dir, "package.json"));
    cpSync(join(REPO, "examples/hello/env.js"), join(dir, "env.js"));
    linkSlipway(dir);
    const port = await freePort();
    writeFileSync(join(dir, "slipway.yaml"), configFor(port));
    return new TestProject(dir, port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  writeConfig(text: string): void {
    writeFileSync(join(this.dir, "slipway.yaml"), text);
  }

  /** Runs `slipway ...args` in the project; resolves with exit code and output. */
  run(...args: string[]): Promise<CliResult> {
    return this.runWith({}, ...args);
  }

  /**
   * Runs `slipway ...args` and fails, with the command's output, unless it
   * exits 0: under load a failed step says why instead of "expected 1 to be 0".
   */
  async ok(...args: string[]): Promise<CliResult> {
    const r = await this.run(...args);
    if (r.code !== 0) throw new Error(`slipway ${args.join(" ")} exited ${r.code}\n${r.stderr}${r.stdout}`);
    return r;
  }

  /** Runs `slipway ...args` with extra environment variables. */
  runWith(env: Record<string, string>, ...args: string[]): Promise<CliResult> {
    return runCli(this.dir, args, { env });
  }

  async json<T>(...args: string[]): Promise<T> {
    const r = await this.run(...args, "--json");
    if (r.code !== 0) throw new Error(`slipway ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /** `slipway status --json`. */
  status(): Promise<Status> {
    return this.json<Status>("status");
  }

  /**
   * The state changes of one instance as the daemon recorded them in the
   * ledger (`r1-1 ready -> restarting: ...`), oldest first: wait on these for
   * a state too short-lived to catch by polling `status`.
   */
  instanceEvents(instanceId: string): string[] {
    const db = new Database(join(this.dir, ".slipway/ledger.db"), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("SELECT message FROM events WHERE type = 'instance' AND instance_id = ? ORDER BY id").all(instanceId);
      return (rows as { message: string }[]).map((r) => r.message);
    } finally {
      db.close();
    }
  }

  daemonPid(): number | null {
    try {
      return Number(readFileSync(join(this.dir, ".slipway/daemon.pid"), "utf8"));
    } catch {
      return null;
    }
  }

  /** The router process's pid (from /proc: it keeps no pid file). */
  routerPid(): number | null {
    return findProcess(`dist/routerd/main.js --root ${this.dir}`);
  }

  async get(path = "/"): Promise<{ status: number; body: string }> {
    const res = await fetch(new URL(path, this.url));
    return { status: res.status, body: await res.text() };
  }

  /**
   * Stops everything the project started, also when a test timed out or the
   * daemon hangs: `slipway down` gets 60 s, then the daemon and every process
   * under the project are killed. Leaves the directory.
   */
  async shutdown(): Promise<void> {
    const pid = this.daemonPid();
    await runCli(this.dir, ["down"], { timeoutMs: 60_000 }).catch(() => undefined);
    for (const daemon of [pid, this.daemonPid()]) {
      try {
        if (daemon) process.kill(daemon, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    killProcessesUnder(this.dir);
  }

  /** For an afterEach: shutdown(), then the directory is removed. */
  async cleanup(): Promise<void> {
    await this.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Makes `import "slipway/health"` work in a copy of examples/hello outside the
 * repo: `node_modules/slipway` -> the repo (absolute, so the release
 * snapshots, which copy symlinks verbatim, resolve it too).
 */
export function linkSlipway(dir: string): void {
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  rmSync(join(dir, "node_modules/slipway"), { recursive: true, force: true });
  symlinkSync(REPO, join(dir, "node_modules/slipway"), "dir");
}

/** The pid of the process whose command line contains `needle`, if any. */
export function findProcess(needle: string): number | null {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").includes(needle)) return Number(name);
    } catch {
      /* gone */
    }
  }
  return null;
}

/** Last resort for tests: SIGKILL every process whose working directory is under `dir`. */
export function killProcessesUnder(dir: string): void {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(dir)) process.kill(Number(name), "SIGKILL");
    } catch {
      /* gone or not ours */
    }
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
