import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import type { ProbeCheck } from "../config/types.js";

/** Where a check runs: the instance's address, and its cwd/env for exec checks. */
export interface ProbeTarget {
  host: string;
  port: number;
  cwd: string;
  env: Record<string, string>;
}

/** One check's outcome; `message` is a short line fit for error output. */
export interface CheckResult {
  ok: boolean;
  message: string;
  /** The HTTP status an http check was answered with (absent when there was no answer, and for tcp/exec). */
  status?: number;
}

/** Output kept from an exec check, enough to find its last line. */
const EXEC_OUTPUT_LIMIT = 4096;

/**
 * Run one probe check once, with a hard timeout. Never rejects.
 * - http: `GET http://host:port/path` without keep-alive; 2xx and 3xx pass.
 * - tcp: passes when the connection is accepted.
 * - exec: argv run without a shell in the target's cwd and env; exit 0 passes;
 *   its process group is SIGKILLed at the timeout.
 *
 * @example
 * await runCheck({ kind: "http", path: "/health" }, { host: "127.0.0.1", port: 4001, cwd, env }, 1000);
 * // { ok: false, message: "GET /health -> 503" }
 */
export function runCheck(check: ProbeCheck, target: ProbeTarget, timeoutMs: number): Promise<CheckResult> {
  switch (check.kind) {
    case "http":
      return httpCheck(target.host, check.port ?? target.port, check.path, timeoutMs);
    case "tcp":
      return tcpCheck(target.host, check.port ?? target.port, timeoutMs);
    case "exec":
      return execCheck(check.command, target, timeoutMs);
  }
}

function httpCheck(host: string, port: number, path: string, timeoutMs: number): Promise<CheckResult> {
  const label = `GET ${path}`;
  return new Promise((resolve) => {
    const req = http.request({ host, port, path, method: "GET", agent: false, headers: { connection: "close" } });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ ok: false, message: `${label}: timed out after ${timeoutMs}ms` });
    }, timeoutMs);
    req.on("response", (res) => {
      clearTimeout(timer);
      res.resume();
      req.destroy();
      const status = res.statusCode ?? 0;
      resolve({ ok: status >= 200 && status < 400, message: `${label} -> ${status}`, status });
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `${label}: ${err.message}` });
    });
    req.end();
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  const label = `tcp ${host}:${port}`;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, message: `${label}: timed out after ${timeoutMs}ms` });
    }, timeoutMs);
    socket.on("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: true, message: `${label}: accepted` });
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `${label}: ${err.message}` });
    });
  });
}

function execCheck(command: string[], target: ProbeTarget, timeoutMs: number): Promise<CheckResult> {
  const [file, ...args] = command;
  const label = `exec ${command.join(" ")}`;
  if (file === undefined) return Promise.resolve({ ok: false, message: `${label}: empty command` });
  return new Promise((resolve) => {
    let output = "";
    let settled = false;
    const finish = (result: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(file, args, {
      cwd: target.cwd,
      env: target.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-EXEC_OUTPUT_LIMIT);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => {
      killGroup(child.pid);
      finish({ ok: false, message: withLastLine(`${label}: timed out after ${timeoutMs}ms`, output) });
    }, timeoutMs);
    child.on("error", (err) => finish({ ok: false, message: `${label}: ${err.message}` }));
    child.on("close", (code, signal) => {
      const status = code === null ? `killed by ${signal}` : `exited ${code}`;
      finish({ ok: code === 0, message: withLastLine(`${label} ${status}`, output) });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function withLastLine(message: string, output: string): string {
  const last = output.trimEnd().split("\n").at(-1)?.trim();
  return last ? `${message}: ${last}` : message;
}
