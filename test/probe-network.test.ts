import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import type { ProbeCheck, ProbeSpec } from "../src/config/types.js";
import { freePort } from "../src/platform/process/port.js";
import { runCheck, type ProbeTarget } from "../src/probe/check.js";
import { InstanceHealth, type HealthEvent } from "../src/probe/instance-health.js";

const HOST = "127.0.0.1";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A real HTTP server on port 0; `handler` decides each response. Records request paths and headers. */
async function server(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const requests: { path: string; connection: string | undefined }[] = [];
  const srv = http.createServer((req, res) => {
    requests.push({ path: req.url ?? "", connection: req.headers.connection });
    handler(req, res);
  });
  await new Promise<void>((resolve) => srv.listen(0, HOST, resolve));
  cleanups.push(() => new Promise((resolve) => (srv.closeAllConnections(), srv.close(resolve))));
  return { port: (srv.address() as AddressInfo).port, requests, srv };
}

/** An http probe on `path`, checking every 50 ms. */
const probe = (path: string, overrides: Partial<ProbeSpec> = {}): ProbeSpec => ({
  check: { kind: "http", path },
  initialDelay: 0,
  interval: 50,
  timeout: 1000,
  successThreshold: 1,
  failureThreshold: 3,
  ...overrides,
});

const target = (port: number): ProbeTarget => ({ host: HOST, port, cwd: tmpdir(), env: { PATH: process.env.PATH ?? "" } });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  (_: unknown, res: http.ServerResponse) => {
    res.writeHead(code, headers).end("body");
  };

describe("runCheck http", () => {
  it("passes on 200", async () => {
    const { port } = await server(status(200));
    expect(await runCheck({ kind: "http", path: "/health" }, target(port), 1000)).toEqual({
      ok: true,
      message: "GET /health -> 200",
      status: 200,
    });
  });

  it("fails on 503", async () => {
    const { port } = await server(status(503));
    expect(await runCheck({ kind: "http", path: "/health" }, target(port), 1000)).toEqual({
      ok: false,
      message: "GET /health -> 503",
      status: 503,
    });
  });

  it("passes on a redirect without following it", async () => {
    const { port, requests } = await server(status(302, { location: "/elsewhere" }));
    expect(await runCheck({ kind: "http", path: "/health" }, target(port), 1000)).toEqual({
      ok: true,
      message: "GET /health -> 302",
      status: 302,
    });
    expect(requests.map((r) => r.path)).toEqual(["/health"]);
  });

  it("fails on 404 and 500", async () => {
    for (const code of [404, 500]) {
      const { port } = await server(status(code));
      expect(await runCheck({ kind: "http", path: "/x" }, target(port), 1000)).toEqual({
        ok: false,
        message: `GET /x -> ${code}`,
        status: code,
      });
    }
  });

  it("fails with connect ECONNREFUSED when nothing listens", async () => {
    const port = await freePort(HOST);
    const result = await runCheck({ kind: "http", path: "/health" }, target(port), 1000);
    expect(result.ok).toBe(false);
    expect(result.message).toBe(`GET /health: connect ECONNREFUSED ${HOST}:${port}`);
    expect(result.status).toBeUndefined(); // no answer, no status
  });

  it("times out a server that never answers, at the timeout", async () => {
    const { port } = await server(() => {});
    const started = Date.now();
    const result = await runCheck({ kind: "http", path: "/slow" }, target(port), 200);
    const elapsed = Date.now() - started;
    expect(result).toEqual({ ok: false, message: "GET /slow: timed out after 200ms" });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1000);
  });

  it("uses check.port over the target's port, and no keep-alive", async () => {
    const { port, requests, srv } = await server(status(200));
    let connections = 0;
    srv.on("connection", () => connections++);
    const wrongPort = await freePort(HOST);
    for (let i = 0; i < 3; i++) {
      expect((await runCheck({ kind: "http", path: "/h", port }, target(wrongPort), 1000)).ok).toBe(true);
    }
    expect(connections).toBe(3);
    expect(requests.map((r) => r.connection)).toEqual(["close", "close", "close"]);
  });
});

describe("runCheck tcp", () => {
  it("passes when the connection is accepted", async () => {
    const srv = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => srv.listen(0, HOST, resolve));
    cleanups.push(() => new Promise((resolve) => srv.close(resolve)));
    const port = (srv.address() as AddressInfo).port;
    expect(await runCheck({ kind: "tcp" }, target(port), 1000)).toEqual({
      ok: true,
      message: `tcp ${HOST}:${port}: accepted`,
    });
  });

  it("fails when refused, probing check.port when given", async () => {
    const port = await freePort(HOST);
    expect(await runCheck({ kind: "tcp", port }, target(1), 1000)).toEqual({
      ok: false,
      message: `tcp ${HOST}:${port}: connect ECONNREFUSED ${HOST}:${port}`,
    });
  });
});

describe("runCheck exec", () => {
  const node = (script: string): ProbeCheck => ({ kind: "exec", command: [process.execPath, "-e", script] });

  it("passes on exit 0, running in the target's cwd with its env", async () => {
    const script = "console.log('first'); console.log(process.cwd() + ' ' + process.env.PROBE_VALUE)";
    const t = { ...target(0), env: { ...target(0).env, PROBE_VALUE: "forty-two" } };
    expect(await runCheck(node(script), t, 5000)).toEqual({
      ok: true,
      message: `exec ${process.execPath} -e ${script} exited 0: ${tmpdir()} forty-two`,
    });
  });

  it("fails on a non-zero exit with the last line of output, stderr included", async () => {
    const result = await runCheck(node("console.log('checking db'); console.error('db down'); process.exit(2)"), target(0), 5000);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/ exited 2: db down$/);
  });

  it("kills a command at the timeout", async () => {
    const started = Date.now();
    const result = await runCheck(node("console.log('waiting'); setTimeout(() => {}, 60000)"), target(0), 300);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/timed out after 300ms: waiting$/);
  });

  it("fails when the command does not exist", async () => {
    const result = await runCheck({ kind: "exec", command: ["/nonexistent/probe"] }, target(0), 1000);
    expect(result).toEqual({ ok: false, message: "exec /nonexistent/probe: spawn /nonexistent/probe ENOENT" });
  });
});

describe("InstanceHealth against a real server", () => {
  function collect(health: InstanceHealth) {
    const events: HealthEvent[] = [];
    health.onEvent((e) => events.push(e));
    cleanups.push(() => health.stop());
    return {
      events,
      next: (type: HealthEvent["type"], timeout = 5000) =>
        new Promise<HealthEvent>((resolve, reject) => {
          const found = events.find((e) => e.type === type);
          if (found) return resolve(found);
          const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeout}ms`)), timeout);
          const off = health.onEvent((e) => {
            if (e.type !== type) return;
            clearTimeout(timer);
            off();
            resolve(e);
          });
        }),
    };
  }

  it("holds readiness back until startup passes, then reports ready", async () => {
    let started = false;
    const { port, requests } = await server((req, res) => {
      if (req.url === "/started") return status(started ? 200 : 503)(req, res);
      status(200)(req, res);
    });
    const health = new InstanceHealth({
      health: {
        startup: probe("/started", { failureThreshold: 100 }),
        readiness: probe("/ready"),
      },
      target: target(port),
    });
    const { events, next } = collect(health);
    health.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(requests.length).toBeGreaterThan(2);
    expect(requests.every((r) => r.path === "/started")).toBe(true);
    expect(health.status().detail).toBe("startup: GET /started -> 503");
    started = true;
    await next("ready");
    expect(events.map((e) => e.message)).toEqual(["startup: GET /started -> 200", "readiness: GET /ready -> 200"]);
  });

  it("reports unready with the probe's message when readiness fails", async () => {
    let code = 200;
    const { port } = await server((req, res) => status(code)(req, res));
    const health = new InstanceHealth({
      health: { readiness: probe("/health", { failureThreshold: 2 }) },
      target: target(port),
    });
    const { next } = collect(health);
    health.start();
    await next("ready");
    code = 503;
    expect((await next("unready")).message).toBe("readiness: GET /health -> 503");
  });

  it("without a readiness probe, is ready once the port opens", async () => {
    const port = await freePort(HOST);
    const health = new InstanceHealth({ health: {}, target: target(port) });
    const { events, next } = collect(health);
    health.start();
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(events).toEqual([]);
    expect(health.status().detail).toMatch(/^port: tcp 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    const srv = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => srv.listen(port, HOST, resolve));
    cleanups.push(() => new Promise((resolve) => srv.close(resolve)));
    const ready = await next("ready", 2000);
    expect(ready.message).toBe(`port: tcp ${HOST}:${port}: accepted`);
    expect(health.ready).toBe(true);
  });
});
