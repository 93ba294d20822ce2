import { afterEach, describe, expect, it } from "vitest";
import { closeOnReuseServer, send } from "./support/raw-http.js";
import { group, startRouter } from "./support/router.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("Router retry after a reused keep-alive socket fails", () => {
  const setup = async () => {
    const flaky = await closeOnReuseServer(cleanups);
    const { router, port } = await startRouter(cleanups);
    router.configure({ upstreamIdleTimeout: 60_000 }); // the pooled socket stays until reused
    router.setGroups([group("r1", 1, { id: "flaky", host: "127.0.0.1", port: flaky.port })]);
    // Warm the router's pool: one connection, one answered request, now idle.
    expect((await send(port)).text).toBe("connection 1");
    return { flaky, port };
  };

  it("retries a GET once on a new connection, and it succeeds", async () => {
    const { flaky, port } = await setup();
    const reply = await send(port, { path: "/again" });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe("connection 2");
    expect(flaky.killed).toBe(1);
  });

  it("retries a POST with no body (nothing of it was sent)", async () => {
    const { flaky, port } = await setup();
    const empty = await send(port, { method: "POST", headers: { "content-length": "0" } });
    expect(empty.status).toBe(200);
    expect(empty.text).toBe("connection 2");
    expect(flaky.killed).toBe(1);
  });

  it("does not retry a POST whose body was already sent: 502", async () => {
    const { flaky, port } = await setup();
    const posted = await send(port, { method: "POST", body: "order=1", headers: { "content-length": "7" } });
    expect(posted.status).toBe(502);
    expect(posted.text).toMatch(/^slipway: instance "flaky" of "web" failed before responding \(ECONNRESET\)\n$/);
    expect(flaky.killed).toBe(1);
    expect(flaky.connections).toBe(1); // the POST was not sent again
  });

  it("replays the body of an idempotent PUT it kept", async () => {
    const { flaky, port } = await setup();
    const put = await send(port, { method: "PUT", body: "v=2", headers: { "content-length": "3" } });
    expect(put.status).toBe(200);
    expect(put.text).toBe("connection 2");
    expect(flaky.killed).toBe(1);
  });
});
