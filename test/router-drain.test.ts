import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { startApp } from "./support/keepalive-app.js";
import { group, startRouter } from "./support/router.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("Router drain under keep-alive load (child-process apps without slipway/health)", () => {
  for (const keepAliveTimeout of [undefined, 1000]) {
    it(`retires an instance with zero failed requests (keepAliveTimeout ${keepAliveTimeout ?? "default"})`, async () => {
      const a = await startApp(cleanups, { id: "a", keepAliveTimeout });
      const b = await startApp(cleanups, { id: "b", keepAliveTimeout });
      const c = await startApp(cleanups, { id: "c", keepAliveTimeout });
      const { router, port } = await startRouter(cleanups);
      router.setGroups([group("r1", 1, a.target, b.target)]);
      const load = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 200, concurrency: 8 });
      await sleep(1500);
      router.setGroups([group("r1", 1, b.target, c.target)]);
      await router.drain("a", 10_000);
      expect(await a.stop()).toBe(0);
      await sleep(1500);
      router.setGroups([group("r1", 1, c.target)]);
      await router.drain("b", 10_000);
      expect(await b.stop()).toBe(0);
      await sleep(1000);
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.ok).toBeGreaterThan(200);
    });
  }

  it("switches between releases, then 15 s of load past the idle old app's keep-alive timeout: zero failed requests", async () => {
    const blue = await startApp(cleanups, { id: "blue" });
    const green = await startApp(cleanups, { id: "green" });
    const { router, port } = await startRouter(cleanups);
    router.setGroups([group("blue", 1, blue.target)]);
    const load = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 200, concurrency: 8 });
    await sleep(1000);
    router.setGroups([group("green", 1, green.target)]); // blue stays up, idle, on standby
    await sleep(15_000);
    router.setGroups([group("blue", 1, blue.target)]); // and back, as a rollback does
    await sleep(1000);
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(report.versions.green).toBeGreaterThan(1000);
    expect(report.versions.blue).toBeGreaterThan(100);
  });
});
