import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { CLI } from "./project.js";

export interface RunningDashboard {
  /** The printed link, with its one-time token. */
  url: string;
  /** `http://host:port` */
  base: string;
  stop(): Promise<void>;
}

/** Runs `slipway dashboard --json` in `dir` (the built CLI) until `stop()`; resolves once it printed its link. */
export function startDashboardCli(dir: string, args: string[] = []): Promise<RunningDashboard> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "dashboard", "--json", ...args], {
    cwd: dir,
    env: { ...process.env, CI: "1" },
  });
  let out = "";
  let err = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0]!;
      if (!out.includes("\n")) return;
      try {
        const { url } = JSON.parse(line) as { url: string };
        resolve({ url, base: new URL(url).origin, stop });
      } catch {
        void stop();
        reject(new Error(`slipway dashboard printed ${line}\n${err}`));
      }
    });
    child.once("exit", (code) => reject(new Error(`slipway dashboard exited ${code}\n${err}${out}`)));
  });
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with any headers (fetch refuses to set Host); for the guard tests. */
export function rawRequest(url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? "GET", headers: o.headers ?? {} }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(o.body);
  });
}
