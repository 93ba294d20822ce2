import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { startApp } from "./support/keepalive-app.js";
import { send } from "./support/raw-http.js";
import { deadTarget, group, startRouter } from "./support/router.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not in time`);
    await sleep(20);
  }
}

describe("Router passive health", () => {
  it("ejects a killed instance with no failed request, shows it in stats, and takes it back once restarted", async () => {
    const a = await startApp(cleanups, { id: "a" });
    const b = await startApp(cleanups, { id: "b" });
    const { router, port } = await startRouter(cleanups);
    router.setGroups([group("r1", 1, a.target, b.target)]);
    const load = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 200, concurrency: 8 });
    await until("both serve", () => (load.report().versions.a ?? 0) > 20 && (load.report().versions.b ?? 0) > 20);
    await a.stop("SIGKILL");
    await until("a ejected", () => router.stats().ejected.includes("a"));
    const servedBeforeRestart = load.report().versions.a ?? 0;
    await sleep(300);
    const a2 = await startApp(cleanups, { id: "a", port: a.port });
    expect(a2.port).toBe(a.port);
    await until("a back in rotation", () => (load.report().versions.a ?? 0) > servedBeforeRestart + 20);
    expect(router.stats().ejected).toEqual([]);
    const report = await load.stop();
    expect(report.failures).toEqual([]);
  });

  it("still tries ejected targets when every target is ejected (502 from the instance, never a 503)", async () => {
    const d1 = await deadTarget("d1");
    const d2 = await deadTarget("d2");
    const { router, port } = await startRouter(cleanups);
    router.setGroups([group("r1", 1, d1), group("r2", 1, d2)]);
    const first = await send(port);
    expect(first.status).toBe(502);
    expect(router.stats().ejected).toEqual(["d1", "d2"]);
    const second = await send(port);
    expect(second.status).toBe(502);
    expect(second.text).toMatch(/ECONNREFUSED/);
  });

  it("keeps routing to the other targets while one is ejected", async () => {
    const dead = await deadTarget("dead");
    const a = await startApp(cleanups, { id: "a" });
    const { router, port } = await startRouter(cleanups);
    router.setGroups([group("r1", 1, dead, a.target)]);
    for (let i = 0; i < 10; i++) expect((await send(port)).status).toBe(200);
    expect(router.stats().ejected).toEqual(["dead"]);
    expect(router.stats().requests).toBe(10);
  });
});
