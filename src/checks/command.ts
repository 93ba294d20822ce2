/**
 * Runs one command for a check or a hook: argv (never a shell of its own),
 * its own process group, output kept as the last few lines, and a hard
 * timeout that kills the whole group. Never rejects: a command that cannot
 * start is a result with `error` set.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { formatDuration } from "../config/duration.js";

/** How to run a command. */
export interface CommandOptions {
  cwd: string;
  /** The whole environment of the command (nothing is inherited). */
  env: Record<string, string>;
  /** ms until the process group gets SIGTERM, then SIGKILL after {@link KILL_GRACE_MS}. */
  timeout: number;
  /** Output lines kept (stdout and stderr interleaved), the last ones. */
  tailLines: number;
}

/** What happened to a command. */
export interface CommandResult {
  /** The exit code, or null when it was killed or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Why it could not start (e.g. `spawn ./smoke ENOENT`). */
  error?: string;
  /** The last `tailLines` lines of output. */
  output: string[];
  durationMs: number;
}

/** Time between SIGTERM and SIGKILL for a timed-out command. */
export const KILL_GRACE_MS = 2_000;
/** After the process exits, how long to wait for pipes held open by escaped descendants. */
const PIPE_GRACE_MS = 500;
/** Longer lines are cut, so one runaway line cannot fill memory. */
const MAX_LINE = 1_000;

/** Keeps the last `limit` lines written to it. */
class Tail {
  readonly lines: string[] = [];
  private partial = "";
  constructor(private readonly limit: number) {}

  write(chunk: string): void {
    const [first = "", ...rest] = chunk.split("\n");
    this.partial += first;
    for (const part of rest) {
      this.push(this.partial);
      this.partial = part;
    }
    // One character past the limit is kept, so push() knows the line was cut.
    this.partial = this.partial.slice(0, MAX_LINE + 1);
  }

  end(): string[] {
    if (this.partial !== "") this.push(this.partial);
    this.partial = "";
    return this.lines;
  }

  private push(line: string): void {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    this.lines.push(text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text);
    if (this.lines.length > this.limit) this.lines.shift();
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Runs `argv` in its own process group and resolves when it is done.
 *
 * @example
 * const r = await runCommand(["npm", "run", "smoke"], { cwd, env, timeout: 60_000, tailLines: 5 });
 * // { exitCode: 1, signal: null, timedOut: false, output: ["...", "1 test failed"], durationMs: 5312 }
 */
export function runCommand(argv: readonly string[], o: CommandOptions): Promise<CommandResult> {
  const started = performance.now();
  const tail = new Tail(o.tailLines);
  const [file, ...args] = argv;
  const result = (r: Omit<CommandResult, "output" | "durationMs">): CommandResult => ({
    ...r,
    output: tail.end(),
    durationMs: Math.round(performance.now() - started),
  });
  if (file === undefined) {
    return Promise.resolve(result({ exitCode: null, signal: null, timedOut: false, error: "empty command" }));
  }
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    const child = spawn(file, args, { cwd: o.cwd, env: o.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const finish = (r: Omit<CommandResult, "output" | "durationMs" | "timedOut">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(pipeTimer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result({ ...r, timedOut }));
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => tail.write(chunk));
    }
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
    }, o.timeout);
    child.on("error", (error) => finish({ exitCode: null, signal: null, error: error.message }));
    child.on("exit", (code, signal) => {
      // Descendants may still be alive in the group; they go with it.
      if (timedOut) killGroup(child.pid, "SIGKILL");
      pipeTimer = setTimeout(() => finish({ exitCode: code, signal }), PIPE_GRACE_MS);
    });
    child.on("close", (code, signal) => finish({ exitCode: code, signal }));
  });
}

/**
 * One short phrase for how a command ended.
 *
 * @example
 * describeEnd({ exitCode: 1, signal: null, timedOut: false }, 60_000); // "exited 1"
 * describeEnd({ exitCode: null, signal: "SIGTERM", timedOut: true }, 60_000); // "timed out after 1m (killed)"
 */
export function describeEnd(r: Pick<CommandResult, "exitCode" | "signal" | "timedOut" | "error">, timeout: number): string {
  if (r.error !== undefined) return `could not start: ${r.error}`;
  if (r.timedOut) return `timed out after ${formatDuration(timeout)} (killed)`;
  if (r.exitCode === null) return `killed by ${r.signal ?? "a signal"}`;
  return `exited ${r.exitCode}`;
}
