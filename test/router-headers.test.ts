import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SlipwayError } from "../src/errors.js";
import { rawExchange, send } from "./support/raw-http.js";
import { group, startRouter } from "./support/router.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** An instance that answers with what it received: url, headers; `seen` counts requests. */
async function echo() {
  const state = { seen: 0 };
  const server = http.createServer((req, res) => {
    state.seen++;
    const body = JSON.stringify({ url: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.on("upgrade", (_req, socket) => socket.destroy()); // never upgrades
  return { state, target: { id: "a", host: "127.0.0.1", port: (server.address() as AddressInfo).port } };
}

async function setup() {
  const a = await echo();
  const { router, port } = await startRouter(cleanups);
  router.setGroups([group("r1", 1, a.target)]);
  return { a, router, port };
}

const seen = (text: string) => JSON.parse(text) as { url: string; headers: IncomingHttpHeaders };

describe("Router header hygiene", () => {
  it("answers 400 to two Host headers, without reaching the instance", async () => {
    const { a, port } = await setup();
    const answer = await rawExchange(port, "GET / HTTP/1.1\r\nHost: shop.test\r\nHost: evil.test\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain("slipway: bad request (conflicting Host headers or request target)");
    expect(a.state.seen).toBe(0);
  });

  it("answers 400 to an absolute-form target naming another host, and sends a matching one in origin-form", async () => {
    const { a, port } = await setup();
    const bad = await rawExchange(port, "GET http://evil.test/x HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(a.state.seen).toBe(0);
    const good = await rawExchange(port, "GET http://shop.test/x?y=1 HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n");
    expect(good).toMatch(/^HTTP\/1\.1 200 /);
    expect(seen(good.slice(good.indexOf("\r\n\r\n") + 4)).url).toBe("/x?y=1");
  });

  it("serves an Upgrade: h2c request as HTTP/1.1 (never tunnelled), and refuses one with a body", async () => {
    const { port } = await setup();
    const plain = await rawExchange(
      port,
      "GET /h2 HTTP/1.1\r\nHost: shop.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
    );
    expect(plain).toMatch(/^HTTP\/1\.1 200 /);
    const headers = seen(plain.slice(plain.indexOf("\r\n\r\n") + 4)).headers;
    expect(headers.upgrade).toBeUndefined();
    expect(headers["http2-settings"]).toBeUndefined();
    const withBody = await rawExchange(
      port,
      "POST /h2 HTTP/1.1\r\nHost: shop.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nContent-Length: 2\r\n\r\nhi",
    );
    expect(withBody).toMatch(/^HTTP\/1\.1 400 /);
    expect(withBody).toContain("Upgrade: h2c is not supported");
  });

  const spoofed = {
    host: "shop.test",
    "x-forwarded-for": "198.51.100.1",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "cdn.test",
    "x-real-ip": "198.51.100.1",
    forwarded: "for=198.51.100.1;proto=https",
  };

  it("replaces X-Forwarded-*, X-Real-IP and drops Forwarded from a client that is not a trusted proxy", async () => {
    const { router, port } = await setup();
    router.configure({ trustedProxies: ["10.0.0.0/8"] });
    const h = seen((await send(port, { headers: spoofed })).text).headers;
    expect(h["x-forwarded-for"]).toBe("127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-forwarded-host"]).toBe("shop.test");
    expect(h["x-real-ip"]).toBe("127.0.0.1");
    expect(h.forwarded).toBeUndefined();
  });

  it("keeps and appends to them from a trusted proxy", async () => {
    const { router, port } = await setup();
    router.configure({ trustedProxies: ["127.0.0.0/8"] });
    const h = seen((await send(port, { headers: spoofed })).text).headers;
    expect(h["x-forwarded-for"]).toBe("198.51.100.1, 127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("https");
    expect(h["x-forwarded-host"]).toBe("cdn.test");
    expect(h["x-real-ip"]).toBe("198.51.100.1");
    expect(h.forwarded).toBe("for=198.51.100.1;proto=https");
    router.configure({ trustedProxies: [] });
    expect(seen((await send(port, { headers: spoofed })).text).headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("rejects a trusted proxy that is not an IP or CIDR block, changing nothing", async () => {
    const { router, port } = await setup();
    router.configure({ trustedProxies: ["127.0.0.1"] });
    expect(() => router.configure({ trustedProxies: ["10.0.0.0/8", "proxy.internal"] })).toThrow(SlipwayError);
    expect(seen((await send(port, { headers: spoofed })).text).headers["x-forwarded-for"]).toBe("198.51.100.1, 127.0.0.1");
  });
});
