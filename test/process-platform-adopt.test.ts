import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ExitInfo, InstanceRecord, InstanceSpec } from "../src/platform/platform.js";
import { isAlive } from "../src/platform/process/pid.js";
import { freePort } from "../src/platform/process/port.js";
import { ProcessPlatform } from "../src/platform/process/process-platform.js";
import { waitFor } from "./support/project.js";

const ROOT = resolve(import.meta.dirname, "..");
const APPS = join(ROOT, "test/fixtures/apps");
const HOST = "127.0.0.1";

let logDir: string;
const platforms: ProcessPlatform[] = [];
const strays: number[] = [];
beforeEach(() => {
  logDir = mkdtempSync(join(tmpdir(), "slipway-adopt-"));
});
afterEach(async () => {
  await Promise.all(platforms.splice(0).map((p) => p.stopAll()));
  for (const pid of strays.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  rmSync(logDir, { recursive: true, force: true });
});

function platform(): ProcessPlatform {
  const p = new ProcessPlatform({ logDir, logMaxSize: 1_000_000, logMaxFiles: 3 });
  platforms.push(p);
  return p;
}

let seq = 0;
async function spec(app: string, id = `r2-${++seq}`): Promise<InstanceSpec> {
  const port = await freePort(HOST);
  return {
    id,
    releaseId: 2,
    version: "v2",
    command: [process.execPath, join(APPS, app)],
    cwd: APPS,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), SLIPWAY_INSTANCE: id },
    host: HOST,
    port,
    shutdown: { signal: "SIGTERM", timeout: 2000 },
  };
}

const logOf = (s: InstanceSpec) => join(logDir, String(s.releaseId), `${s.id}.log`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const get = (port: number, path = "/") => fetch(`http://${HOST}:${port}${path}`).then((r) => r.text());
const request = (port: number, path = "/") => waitFor(`GET ${path}`, () => get(port, path).catch(() => ""));

describe("ProcessPlatform adopt", () => {
  it("lets a new platform take over a running instance: it can stop it, and the stop is not reported", async () => {
    const a = platform();
    const s = await spec("server.mjs");
    const running = await a.start(s);
    await request(s.port);
    const b = platform();
    const exits: string[] = [];
    b.onExit((id) => exits.push(id));
    const record: InstanceRecord = { spec: s, pid: running.pid, startedAt: running.startedAt };
    const adopted = await b.adopt(record);
    expect(adopted).toEqual(running);
    expect(await b.adopt(record)).toBe(adopted);
    expect(b.running()).toEqual([running]);
    await b.stop(s.id);
    expect(isAlive(running.pid)).toBe(false);
    const log = readFileSync(logOf(s), "utf8");
    expect(log).toContain(`--- slipway: adopted pid ${running.pid} ---`);
    expect(log).toContain("SIGTERM received, shutting down");
    await sleep(300);
    expect(exits).toEqual([]);
  });

  it("sees an adopted instance crash (status unknown) by polling", async () => {
    const a = platform();
    const s = await spec("server.mjs");
    const running = await a.start(s);
    await request(s.port);
    const b = platform();
    const exits: [string, ExitInfo][] = [];
    b.onExit((id, info) => exits.push([id, info]));
    expect(await b.adopt({ spec: s, pid: running.pid, startedAt: running.startedAt })).not.toBeNull();
    await get(s.port, "/exit?code=5").catch(() => "");
    await waitFor("exit seen by the adopter", () => exits.length > 0, 2000);
    expect(exits).toEqual([[s.id, { code: null, signal: null }]]);
    expect(b.running()).toEqual([]);
  });

  it("escalates to SIGKILL for an adopted instance ignoring SIGTERM", async () => {
    const a = platform();
    const s = { ...(await spec("ignore-sigterm.mjs")), shutdown: { signal: "SIGTERM" as const, timeout: 400 } };
    const running = await a.start(s);
    await waitFor("app running", () => readFileSync(logOf(s), "utf8").includes("running"));
    const b = platform();
    await b.adopt({ spec: s, pid: running.pid, startedAt: running.startedAt });
    const started = Date.now();
    await b.stop(s.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(isAlive(running.pid)).toBe(false);
  });

  it("returns null for a dead pid", async () => {
    const s = await spec("server.mjs");
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((r) => child.once("exit", r));
    expect(await platform().adopt({ spec: s, pid: child.pid!, startedAt: 0 })).toBeNull();
  });

  it("returns null for a live process that is not the recorded instance", async () => {
    const a = platform();
    const s = await spec("ignore-sigterm.mjs");
    const running = await a.start(s);
    const other = { ...s, id: "r2-other" };
    expect(await platform().adopt({ spec: other, pid: running.pid, startedAt: 0 })).toBeNull();
    expect(await platform().adopt({ spec: s, pid: process.pid, startedAt: 0 })).toBeNull();
    expect(isAlive(running.pid)).toBe(true);
  });
});

describe("an instance outliving the daemon that spawned it", () => {
  let compiled: string;

  /** Transpile ProcessPlatform and its relative imports to plain JS, for a separate `node` process. */
  beforeAll(() => {
    compiled = mkdtempSync(join(tmpdir(), "slipway-compiled-"));
    const queue = [join(ROOT, "src/platform/process/process-platform.ts")];
    const seen = new Set<string>();
    for (let file = queue.pop(); file; file = queue.pop()) {
      if (seen.has(file)) continue;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      const out = join(compiled, relative(ROOT, file)).replace(/\.ts$/, ".js");
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
      for (const [, spec] of source.matchAll(/from "(\.{1,2}\/[^"]+)\.js"/g)) {
        queue.push(resolve(dirname(file), `${spec}.ts`));
      }
    }
  });
  afterAll(() => rmSync(compiled, { recursive: true, force: true }));

  it("keeps running and logging after its parent is SIGKILLed, and can be adopted", async () => {
    const s = await spec("server.mjs");
    const options = { logDir, logMaxSize: 1_000_000, logMaxFiles: 3 };
    const daemon = spawn(
      process.execPath,
      [join(APPS, "spawner.mjs"), join(compiled, "src/platform/process/process-platform.js"), JSON.stringify(options), JSON.stringify(s)],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let stdout = "";
    daemon.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const [code, signal] = (await new Promise((r) => daemon.once("close", (...args) => r(args)))) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: null, signal: "SIGKILL" });
    const record = JSON.parse(stdout) as InstanceRecord;
    strays.push(record.pid);
    expect(record.spec).toEqual(s);

    // The daemon is dead; its instance still serves and still writes to its log.
    expect(isAlive(daemon.pid!)).toBe(false);
    expect(await request(s.port, "/after-daemon-death")).toMatch(`hello from ${s.id}`);
    await waitFor("log written after the daemon died", () => readFileSync(logOf(s), "utf8").includes("GET /after-daemon-death"));

    const b = platform();
    const exits: string[] = [];
    b.onExit((id) => exits.push(id));
    const adopted = await b.adopt(record);
    expect(adopted).toMatchObject({ id: s.id, pid: record.pid, port: s.port, startedAt: record.startedAt });
    await b.stop(s.id);
    expect(isAlive(record.pid)).toBe(false);
    const log = readFileSync(logOf(s), "utf8");
    expect(log).toContain(`--- slipway: started pid ${record.pid} ---`);
    expect(log).toContain("SIGTERM received, shutting down");
    expect(exits).toEqual([]);
  });

  it("finds an instance recorded without a pid (the daemon died while starting it) by its log file", async () => {
    const a = platform();
    const s = await spec("server.mjs");
    const running = await a.start(s);
    await request(s.port);
    const b = platform();
    const adopted = await b.adopt({ spec: s, pid: 0, startedAt: running.startedAt });
    expect(adopted?.pid).toBe(running.pid);
    // another project's (or release's) instance with the same id writes another log: not found
    const elsewhere = new ProcessPlatform({ logDir: join(logDir, "other-project"), logMaxSize: 1_000_000, logMaxFiles: 3 });
    expect(await elsewhere.adopt({ spec: s, pid: 0, startedAt: 0 })).toBeNull();
    expect(await platform().adopt({ spec: { ...s, id: "r2-never-started" }, pid: 0, startedAt: 0 })).toBeNull();
    await b.stop(s.id);
    expect(isAlive(running.pid)).toBe(false);
  });
});
