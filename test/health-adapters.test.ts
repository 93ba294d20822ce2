import { serve } from "@hono/node-server";
import express from "express";
import Fastify from "fastify";
import { Hono } from "hono";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  createHealth,
  expressMiddleware,
  fastifyPlugin,
  honoMiddleware,
  nodeHandler,
  type Health,
  type HealthCheck,
  type HealthOptions,
} from "../src/health/index.js";

/** Starts `health` plus an app answering "app" on `/` behind one adapter; resolves with its base URL and a closer. */
type Start = (health: Health) => Promise<{ url: string; close: () => Promise<void> }>;

const listening = (server: Server) =>
  new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );

const ADAPTERS: [string, Start][] = [
  ["node:http", (health) => listening(createServer(nodeHandler(health, (_req, res) => res.end("app"))))],
  [
    "express",
    (health) => {
      const app = express();
      app.use(expressMiddleware(health));
      app.get("/", (_req, res) => void res.send("app"));
      return listening(createServer(app));
    },
  ],
  [
    "fastify",
    async (health) => {
      const app = Fastify();
      await app.register(fastifyPlugin(health));
      app.get("/", async () => "app");
      const url = await app.listen({ port: 0, host: "127.0.0.1" });
      return { url, close: () => app.close() };
    },
  ],
  [
    "hono",
    (health) => {
      const app = new Hono();
      app.use(honoMiddleware(health));
      app.get("/", (c) => c.text("app"));
      return new Promise((resolve) => {
        const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
          resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((done) => server.close(() => done())) }),
        );
      });
    },
  ],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const passing = (name: string, extra: Partial<HealthCheck> = {}): HealthCheck => ({ name, check: async () => {}, ...extra });
const failing = (name: string, message: string, extra: Partial<HealthCheck> = {}): HealthCheck => ({
  name,
  check: async () => {
    throw new Error(message);
  },
  ...extra,
});

describe.each(ADAPTERS)("slipway/health with %s", (_name, start) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  const serveHealth = async (options: HealthOptions) => {
    const health = createHealth({ version: "v7", releaseId: "7", ...options });
    const s = await start(health);
    close = s.close;
    return { health, url: s.url };
  };
  const get = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  it("answers liveness, readiness and the detailed health+json report; other paths reach the app", async () => {
    const { url } = await serveHealth({ checks: [passing("postgres", { componentId: "db-1" }), passing("queue:depth")] });

    const live = await get(`${url}/health`);
    expect(live.status).toBe(200);
    expect(JSON.parse(live.text)).toEqual({ status: "pass" });
    expect(live.headers.get("content-type")).toBe("application/health+json");
    expect(live.headers.get("cache-control")).toBe("no-store");

    const ready = await get(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: "pass" });

    const detailed = await get(`${url}/health/detailed`);
    expect(detailed.status).toBe(200);
    expect(detailed.headers.get("content-type")).toBe("application/health+json");
    expect(detailed.headers.get("cache-control")).toBe("no-store");
    const body = JSON.parse(detailed.text) as Record<string, unknown> & { checks: Record<string, Record<string, unknown>[]> };
    expect(Object.keys(body)).toEqual(["status", "version", "releaseId", "checks"]);
    expect(body).toMatchObject({ status: "pass", version: "v7", releaseId: "7" });
    expect(Object.keys(body.checks)).toEqual(["postgres:responseTime", "queue:depth"]);
    const [pg] = body.checks["postgres:responseTime"]!;
    expect(Object.keys(pg!)).toEqual(["componentId", "observedValue", "observedUnit", "status", "time"]);
    expect(pg).toEqual({
      componentId: "db-1",
      observedValue: expect.any(Number),
      observedUnit: "ms",
      status: "pass",
      time: expect.any(String),
    });
    expect(new Date(pg!.time as string).toISOString()).toBe(pg!.time);

    expect((await get(`${url}/`)).text).toBe("app");
    const head = await get(`${url}/health`, { method: "HEAD" });
    expect([head.status, head.text]).toEqual([200, ""]);
  });

  it("a failing critical check fails readiness and the report (503); a non-critical one only warns (200)", async () => {
    const critical = await serveHealth({ checks: [passing("cache"), failing("postgres", "connect ECONNREFUSED 10.0.0.5:5432")] });
    const ready = await get(`${critical.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ status: "fail" });
    const detailed = await get(`${critical.url}/health/detailed`);
    expect(detailed.status).toBe(503);
    const body = JSON.parse(detailed.text) as { status: string; checks: Record<string, Record<string, unknown>[]> };
    expect(body.status).toBe("fail");
    expect(body.checks["cache:responseTime"]![0]!.status).toBe("pass");
    const pg = body.checks["postgres:responseTime"]![0]!;
    expect(Object.keys(pg)).toEqual(["observedValue", "observedUnit", "status", "time", "output"]);
    expect(pg).toMatchObject({ status: "fail", output: "connect ECONNREFUSED 10.0.0.5:5432" });
    expect((await get(`${critical.url}/health`)).status).toBe(200); // liveness never calls dependencies
    await close?.();

    const optional = await serveHealth({ checks: [passing("postgres"), failing("cache", "redis down", { critical: false })] });
    const warnReady = await get(`${optional.url}/health/ready`);
    expect([warnReady.status, JSON.parse(warnReady.text)]).toEqual([200, { status: "warn" }]);
    const warnDetailed = await get(`${optional.url}/health/detailed`);
    expect(warnDetailed.status).toBe(200);
    expect(JSON.parse(warnDetailed.text)).toMatchObject({
      status: "warn",
      checks: { "cache:responseTime": [{ status: "warn", output: "redis down" }] },
    });
  });

  it("fails a check that hangs at its own timeout and aborts its signal", async () => {
    let aborted: unknown;
    const hang: HealthCheck = {
      name: "upstream",
      timeout: 150,
      check: (signal) =>
        new Promise(() => {
          signal.addEventListener("abort", () => (aborted = signal.reason));
        }),
    };
    const { url } = await serveHealth({ checks: [hang, passing("postgres")], timeout: 5000 });
    const started = Date.now();
    const res = await get(`${url}/health/detailed`);
    const took = Date.now() - started;
    expect(res.status).toBe(503);
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
    const body = JSON.parse(res.text) as { checks: Record<string, Record<string, unknown>[]> };
    expect(body.checks["upstream:responseTime"]![0]).toMatchObject({ status: "fail", output: "timed out after 150ms" });
    expect(body.checks["upstream:responseTime"]![0]!.observedValue).toBeGreaterThanOrEqual(140);
    expect(body.checks["postgres:responseTime"]![0]!.status).toBe("pass");
    expect(aborted).toBeInstanceOf(Error);
  });

  it("runs the checks once for concurrent probes within cacheFor, again after it", async () => {
    let calls = 0;
    const counted: HealthCheck = {
      name: "postgres",
      check: async () => {
        calls++;
        await sleep(50);
      },
    };
    const { url } = await serveHealth({ checks: [counted], cacheFor: 300 });
    const storm = await Promise.all(
      Array.from({ length: 20 }, (_, i) => get(`${url}${i % 2 ? "/health/ready" : "/health/detailed"}`).then((r) => r.status)),
    );
    expect(storm).toEqual(Array(20).fill(200));
    expect(calls).toBe(1);
    expect((await get(`${url}/health/ready`)).status).toBe(200);
    expect(calls).toBe(1); // still within cacheFor
    await sleep(350);
    await Promise.all([get(`${url}/health/ready`), get(`${url}/health/detailed`)]);
    expect(calls).toBe(2);
    expect((await get(`${url}/health`)).status).toBe(200);
    expect(calls).toBe(2); // liveness never runs checks
  });

  it("requires the token on the detailed endpoint only (Bearer header or ?token=)", async () => {
    const { url } = await serveHealth({ checks: [passing("postgres")], token: "s3cret-token" });
    const anonymous = await get(`${url}/health/detailed`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="health"');
    expect(anonymous.text).not.toContain("postgres");
    expect((await get(`${url}/health/detailed`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await get(`${url}/health/detailed?token=s3cret`)).status).toBe(401);
    expect((await get(`${url}/health/detailed`, { headers: { authorization: "Bearer s3cret-token" } })).status).toBe(200);
    expect((await get(`${url}/health/detailed?token=s3cret-token`)).status).toBe(200);
    expect((await get(`${url}/health`)).status).toBe(200);
    expect((await get(`${url}/health/ready`)).status).toBe(200);
  });

  it("fails readiness (and the report) at once when shutting down; liveness still passes", async () => {
    const { health, url } = await serveHealth({ checks: [passing("postgres")] });
    expect((await get(`${url}/health/ready`)).status).toBe(200);
    health.markShuttingDown();
    const ready = await get(`${url}/health/ready`);
    expect([ready.status, JSON.parse(ready.text)]).toEqual([503, { status: "fail", output: "shutting down" }]);
    expect(JSON.parse((await get(`${url}/health/detailed`)).text)).toMatchObject({ status: "fail", output: "shutting down" });
    expect((await get(`${url}/health`)).status).toBe(200);
  });

  it("serves custom paths", async () => {
    const { url } = await serveHealth({ paths: { liveness: "/livez", readiness: "/readyz", detailed: "/healthz" } });
    expect((await get(`${url}/livez`)).status).toBe(200);
    expect((await get(`${url}/readyz`)).status).toBe(200);
    expect(JSON.parse((await get(`${url}/healthz`)).text)).toMatchObject({ status: "pass", checks: {} });
    expect((await get(`${url}/`)).text).toBe("app");
  });
});
