import { serve, type ServerType } from "@hono/node-server";
import Fastify from "fastify";
import { Hono } from "hono";
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, createServer, request, type IncomingHttpHeaders } from "node:http";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createHealth, fastifyPlugin, gracefulShutdown, honoMiddleware, nodeHandler } from "../src/health/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/health-apps/graceful.mjs", import.meta.url));

interface App {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

const apps: ChildProcess[] = [];
afterEach(() => {
  for (const child of apps.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Starts the fixture app with shutdownDelay `delay` and timeout `timeout`; resolves once it listens. */
function startApp(delay: number, timeout: number): Promise<App> {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, DELAY: String(delay), TIMEOUT: String(timeout) } });
  apps.push(child);
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.on("exit", (code) => resolve({ code, at: Date.now() })),
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port) resolve({ child, port: Number(port), output: () => out, exited });
    });
    void exited.then(() => reject(new Error(`app exited before listening: ${out}`)));
  });
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

function get(port: number, path: string, agent?: Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: agent ?? false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, at: Date.now() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("gracefulShutdown (real child process)", () => {
  it("fails readiness at once, serves during shutdownDelay, finishes in-flight requests, cleans up in order, exits 0", async () => {
    const app = await startApp(1000, 5000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await get(app.port, "/health/ready")).status).toBe(200);
    expect((await get(app.port, "/", agent)).status).toBe(200); // opens a keep-alive connection

    const inFlightSent = Date.now();
    const inFlight = get(app.port, "/?ms=1800");
    inFlight.catch(() => {}); // awaited below; no unhandled rejection if an assertion fails first
    await sleep(50);
    const signalled = Date.now();
    app.child.kill("SIGTERM");
    await sleep(20); // the signal is handled on the app's next event-loop turn

    const ready = await get(app.port, "/health/ready");
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.body)).toEqual({ status: "fail", output: "shutting down" });
    expect(ready.at - signalled).toBeLessThan(300);
    expect((await get(app.port, "/health")).status).toBe(200); // liveness still passes

    // during shutdownDelay: still serving normally, on new and on kept-alive connections
    await sleep(200);
    const during = await get(app.port, "/", agent);
    expect([during.status, during.body, during.headers.connection]).toEqual([200, "done", "keep-alive"]);
    expect((await get(app.port, "/")).status).toBe(200);

    // a request on the keep-alive connection still running when the servers close gets "Connection: close"
    await sleep(500);
    const busy = get(app.port, "/?ms=600", agent);
    await sleep(500); // now past shutdownDelay: closed for new connections
    await expect(get(app.port, "/")).rejects.toThrow(/ECONNREFUSED/);
    const last = await busy;
    expect([last.status, last.body, last.headers.connection]).toEqual([200, "done", "close"]);

    const finished = await inFlight;
    expect([finished.status, finished.body]).toEqual([200, "done"]);
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    // The exit waited for the in-flight request, sent 50 ms before the signal (round 46: 1,778 ms after the signal).
    expect(exit.at - inFlightSent).toBeGreaterThanOrEqual(1800);
    expect(exit.at - signalled).toBeLessThan(5000);
    expect(exit.at).toBeGreaterThanOrEqual(finished.at);
    const out = app.output();
    expect(out).toMatch(/shutdown: SIGTERM; readiness fails now, closing in 1000ms \(hard limit 5000ms\)/);
    expect(out.indexOf("cleanup 1")).toBeGreaterThan(-1);
    expect(out.indexOf("cleanup 2")).toBeGreaterThan(out.indexOf("cleanup 1"));
    expect(out).toContain("shutdown: done, exit 0");
    agent.destroy();
  });

  it("closes a kept-alive connection whose response started before closing, once that response ends", async () => {
    const app = await startApp(300, 5000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const early = get(app.port, "/early?ms=800", agent);
    early.catch(() => {});
    await sleep(100);
    const signalled = Date.now();
    app.child.kill("SIGTERM");
    const reply = await early;
    expect([reply.status, reply.body, reply.headers.connection]).toEqual([200, "early done", "keep-alive"]);
    const exit = await app.exited;
    expect(exit.code).toBe(0); // not held open until the hard timeout by the idle keep-alive connection
    expect(exit.at - signalled).toBeLessThan(2000);
    agent.destroy();
  });

  it("cuts a hung request at the hard timeout: socket destroyed, no cleanup, exit 1", async () => {
    const app = await startApp(200, 1500);
    const hung = get(app.port, "/hang").then(
      () => ({ error: null, at: Date.now() }),
      (err: Error) => ({ error: err, at: Date.now() }),
    );
    await sleep(50);
    const signalled = Date.now();
    app.child.kill("SIGTERM");
    const cut = await hung;
    expect(cut.error?.message).toMatch(/socket hang up|ECONNRESET/);
    expect(cut.at - signalled).toBeGreaterThanOrEqual(1400);
    const exit = await app.exited;
    expect(exit.code).toBe(1);
    expect(exit.at - signalled).toBeLessThan(2500);
    expect(app.output()).toContain("shutdown: still busy after 1500ms, destroying 1 busy connection(s)");
    expect(app.output()).not.toContain("cleanup 1");
  });

  it("a second signal does not restart the sequence", async () => {
    const app = await startApp(1000, 5000);
    const signalled = Date.now();
    app.child.kill("SIGTERM");
    await sleep(500);
    app.child.kill("SIGINT");
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    expect(exit.at - signalled).toBeLessThan(1450);
    expect(app.output()).toContain("shutdown: SIGINT received again, already delaying");
    expect(app.output().match(/readiness fails now/g)).toHaveLength(1);
  });
});

describe("gracefulShutdown (in-process)", () => {
  it("closes servers from every adapter on shutdown(), runs cleanups in order and reports the exit code", async () => {
    const health = createHealth();
    const node = createServer(nodeHandler(health, (_req, res) => res.end("node")));
    await new Promise<void>((r) => node.listen(0, "127.0.0.1", r));
    const fastify = Fastify();
    await fastify.register(fastifyPlugin(health));
    await fastify.listen({ port: 0, host: "127.0.0.1" });
    const hono = new Hono();
    hono.use(honoMiddleware(health));
    const honoServer = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: hono.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
    });
    const order: string[] = [];
    const exits: number[] = [];
    const lines: string[] = [];
    const shutdown = gracefulShutdown({
      server: [node, fastify.server, honoServer],
      health,
      shutdownDelay: 50,
      timeout: 2000,
      signals: [],
      onShutdown: [() => void order.push("db"), () => Promise.reject(new Error("queue gone")), () => void order.push("logs")],
      exit: (code) => exits.push(code),
      log: (line) => lines.push(line),
    });
    expect(shutdown.state).toBe("serving");
    const done = shutdown.shutdown("test");
    expect(shutdown.shutdown("again")).toBe(done);
    expect(shutdown.state).toBe("delaying");
    expect(health.shuttingDown).toBe(true);
    expect(await done).toBe(1); // a cleanup handler failed
    expect(exits).toEqual([1]);
    expect(order).toEqual(["db", "logs"]);
    expect(lines).toContain("shutdown: cleanup handler 2 failed: queue gone");
    expect(shutdown.state).toBe("done");
    for (const s of [node, fastify.server, honoServer]) expect(s.listening).toBe(false);
  });

  it("rejects a timeout that would end inside shutdownDelay", () => {
    expect(() => gracefulShutdown({ server: createServer(), shutdownDelay: 5000, timeout: 5000, signals: [] })).toThrow(
      "gracefulShutdown: timeout (5000ms) counts from the signal and must be longer than shutdownDelay (5000ms)",
    );
  });
});
