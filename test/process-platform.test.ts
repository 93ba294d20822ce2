import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SlipwayError } from "../src/errors.js";
import type { ExitInfo, InstanceSpec } from "../src/platform/platform.js";
import { isAlive } from "../src/platform/process/pid.js";
import { freePort } from "../src/platform/process/port.js";
import { ProcessPlatform } from "../src/platform/process/process-platform.js";
import { MultiPlatform } from "../src/platform/multi-platform.js";
import { waitFor } from "./support/project.js";

const APPS = resolve(import.meta.dirname, "fixtures/apps");
const HOST = "127.0.0.1";

let logDir: string;
const platforms: ProcessPlatform[] = [];
beforeEach(() => {
  logDir = mkdtempSync(join(tmpdir(), "slipway-process-"));
});
afterEach(async () => {
  await Promise.all(platforms.splice(0).map((p) => p.stopAll()));
  rmSync(logDir, { recursive: true, force: true });
});

function platform(options: { logMaxSize?: number; logMaxFiles?: number } = {}): ProcessPlatform {
  const p = new ProcessPlatform({ logDir, logMaxSize: 1_000_000, logMaxFiles: 3, ...options });
  platforms.push(p);
  return p;
}

let seq = 0;
async function spec(app: string, overrides: Partial<InstanceSpec> & { extraEnv?: Record<string, string> } = {}) {
  const id = overrides.id ?? `r1-${++seq}`;
  const port = await freePort(HOST);
  const { extraEnv, ...rest } = overrides;
  const s: InstanceSpec = {
    id,
    releaseId: 1,
    version: "v1",
    command: [process.execPath, join(APPS, app)],
    cwd: APPS,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), SLIPWAY_INSTANCE: id, ...extraEnv },
    host: HOST,
    port,
    shutdown: { signal: "SIGTERM", timeout: 5000 },
    ...rest,
  };
  return s;
}

const logOf = (s: InstanceSpec) => join(logDir, String(s.releaseId), `${s.id}.log`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get(port: number, path = "/"): Promise<string> {
  const res = await fetch(`http://${HOST}:${port}${path}`);
  return res.text();
}

/** Wait for the fixture server to listen, then GET `path`. */
async function request(port: number, path = "/"): Promise<string> {
  return waitFor(`GET ${path}`, () => get(port, path).catch(() => ""));
}

describe("ProcessPlatform start", () => {
  it("starts an instance that serves HTTP, logging stdout and stderr to one file", async () => {
    const p = platform();
    const s = await spec("server.mjs");
    const running = await p.start(s);
    expect(running).toMatchObject({ id: s.id, releaseId: 1, host: HOST, port: s.port });
    expect(running.pid).toBeGreaterThan(0);
    expect(await request(s.port)).toMatch(`hello from ${s.id} pid ${running.pid}`);
    const log = await waitFor("log lines", () => {
      const text = readFileSync(logOf(s), "utf8");
      return text.includes("GET /") && text.includes("stderr: ready") ? text : undefined;
    });
    expect(log).toContain(`--- slipway: started pid ${running.pid} ---`);
    expect(log).toContain(`listening on ${HOST}:${s.port}`);
    expect(await p.tail(s.id, 100)).toEqual(log.trimEnd().split("\n"));
    expect(p.running()).toEqual([running]);
  });

  it("passes exactly spec.env, in its own process group", async () => {
    const p = platform();
    const s = await spec("server.mjs");
    const running = await p.start(s);
    await request(s.port);
    const environ = readFileSync(`/proc/${running.pid}/environ`, "utf8").split("\0").filter(Boolean).sort();
    expect(environ).toEqual(
      Object.entries(s.env)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    );
    const stat = readFileSync(`/proc/${running.pid}/stat`, "utf8");
    const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    expect(pgrp).toBe(running.pid);
  });

  it("rejects with a PLATFORM error when the command cannot be spawned", async () => {
    const p = platform();
    const s = await spec("server.mjs", { command: ["/nonexistent/app"] });
    const err = await p.start(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err).toMatchObject({ code: "PLATFORM", message: `cannot start instance ${s.id}: spawn /nonexistent/app ENOENT` });
    expect(p.running()).toEqual([]);
  });

  it("refuses to start an id that is already running", async () => {
    const p = platform();
    const s = await spec("ignore-sigterm.mjs");
    await p.start(s);
    await expect(p.start(s)).rejects.toMatchObject({ code: "PLATFORM" });
  });
});

describe("MultiPlatform running", () => {
  it("lists what the process platform runs, without connecting to docker", async () => {
    const p = platform();
    let connects = 0;
    const multi = new MultiPlatform(p, () => {
      connects++;
      return Promise.reject(new Error("no engine in this test"));
    });
    expect(multi.running()).toEqual([]);
    const running = await multi.start(await spec("server.mjs"));
    expect(multi.running()).toEqual([running]);
    await multi.stop(running.id);
    expect(multi.running()).toEqual([]);
    expect(connects).toBe(0);
  });
});

describe("ProcessPlatform stop", () => {
  it("stops gracefully with the shutdown signal and does not report the exit", async () => {
    const p = platform();
    const exits: string[] = [];
    p.onExit((id) => exits.push(id));
    const s = await spec("server.mjs");
    const running = await p.start(s);
    await request(s.port);
    const started = Date.now();
    expect(await p.stop(s.id)).toEqual({ killed: false });
    expect(Date.now() - started).toBeLessThan(s.shutdown.timeout);
    expect(isAlive(running.pid)).toBe(false);
    const log = readFileSync(logOf(s), "utf8");
    expect(log).toContain("SIGTERM received, shutting down");
    expect(log).toMatch(/--- slipway: exited code 0 ---\n$/);
    await p.stop(s.id);
    await p.stop("never-started");
    await sleep(100);
    expect(exits).toEqual([]);
    expect(p.running()).toEqual([]);
  });

  it("escalates to SIGKILL after the shutdown timeout", async () => {
    const p = platform();
    const exits: string[] = [];
    p.onExit((id) => exits.push(id));
    const s = await spec("ignore-sigterm.mjs", { shutdown: { signal: "SIGTERM", timeout: 500 } });
    const running = await p.start(s);
    await waitFor("app running", () => readFileSync(logOf(s), "utf8").includes("running"));
    const started = Date.now();
    const [a, b] = [p.stop(s.id), p.stop(s.id)];
    expect(a).toBe(b);
    expect(await a).toEqual({ killed: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(isAlive(running.pid)).toBe(false);
    const log = readFileSync(logOf(s), "utf8");
    expect(log).toContain("ignoring SIGTERM");
    expect(log).toContain("--- slipway: exited signal SIGKILL ---");
    expect(exits).toEqual([]);
  });

  it("signals the whole process group: a child ignoring SIGTERM is killed too", async () => {
    const p = platform();
    const s = await spec("with-child.mjs", { shutdown: { signal: "SIGTERM", timeout: 300 } });
    await p.start(s);
    const grandchild = Number((await waitFor("grandchild pid", () => /grandchild (\d+)/.exec(readFileSync(logOf(s), "utf8"))))[1]);
    expect(isAlive(grandchild)).toBe(true);
    await p.stop(s.id);
    expect(isAlive(grandchild)).toBe(false);
  });

  it("stopAll stops every instance in parallel", async () => {
    const p = platform();
    const specs = await Promise.all([1, 2, 3].map(() => spec("ignore-sigterm.mjs", { shutdown: { signal: "SIGTERM", timeout: 400 } })));
    const pids = await Promise.all(specs.map(async (s) => (await p.start(s)).pid));
    const started = Date.now();
    await p.stopAll();
    expect(Date.now() - started).toBeLessThan(1100);
    expect(pids.map(isAlive)).toEqual([false, false, false]);
    expect(p.running()).toEqual([]);
  });
});

describe("ProcessPlatform crashes", () => {
  it("reports an unexpected exit with its code via onExit, once", async () => {
    const p = platform();
    const exits: [string, ExitInfo][] = [];
    p.onExit((id, info) => exits.push([id, info]));
    const unsubscribed: string[] = [];
    p.onExit((id) => unsubscribed.push(id))();
    const s = await spec("crash.mjs");
    await p.start(s);
    await waitFor("exit", () => exits.length > 0);
    expect(exits).toEqual([[s.id, { code: 3, signal: null }]]);
    expect(unsubscribed).toEqual([]);
    expect(p.running()).toEqual([]);
    expect(readFileSync(logOf(s), "utf8")).toMatch(/crashing with code 3\n--- slipway: exited code 3 ---\n$/);
    await p.stop(s.id);
    expect(exits).toHaveLength(1);
  });

  it("reports a kill by signal", async () => {
    const p = platform();
    const exits: ExitInfo[] = [];
    p.onExit((_, info) => exits.push(info));
    const s = await spec("ignore-sigterm.mjs");
    const running = await p.start(s);
    process.kill(running.pid, "SIGKILL");
    await waitFor("exit", () => exits.length > 0);
    expect(exits).toEqual([{ code: null, signal: "SIGKILL" }]);
  });
});

describe("ProcessPlatform logs", () => {
  it("rotates at logMaxSize keeping logMaxFiles, and the instance keeps logging", async () => {
    const p = platform({ logMaxSize: 4000, logMaxFiles: 2 });
    const s = await spec("server.mjs");
    await p.start(s);
    await request(s.port);
    const path = logOf(s);
    for (let round = 0; round < 4; round++) {
      await get(s.port, "/log?lines=50&size=100");
      await waitFor(`rotation ${round}`, () => statSync(path).size < 4000, 4000);
    }
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(statSync(`${path}.1`).size).toBeGreaterThan(4000);
    await get(s.port, "/after-rotation");
    const text = await waitFor("log after rotation", () => {
      const t = readFileSync(path, "utf8");
      return t.includes("GET /after-rotation") ? t : undefined;
    });
    expect(text).not.toContain("\0"); // O_APPEND: no hole at the old offset
    expect(statSync(path).size).toBeLessThan(4000);
    const tail = await p.tail(s.id, 60);
    expect(tail.at(-1)).toBe("GET /after-rotation");
    expect(tail.filter((l) => l === "x".repeat(99)).length).toBeGreaterThan(0); // from the rotated file
  });

  it("tails the log of an instance that is gone, and [] for an unknown one", async () => {
    const p = platform();
    const s = await spec("crash.mjs");
    await p.start(s);
    await waitFor("crash", () => p.running().length === 0);
    expect((await p.tail(s.id, 2)).at(-1)).toBe("--- slipway: exited code 3 ---");
    expect(await platform().tail(s.id, 1)).toEqual(["--- slipway: exited code 3 ---"]);
    expect(await p.tail("nope", 5)).toEqual([]);
  });
});
