import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CLIENT_KEEP_ALIVE_MS } from "../src/router/entrypoint.js";
import { group, startRouter } from "./support/router.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A one-line upstream app answering 200 with its own short keep-alive (Node's 5 s). */
async function upstream(): Promise<{ host: string; port: number }> {
  const server = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
}

describe("the router's keep-alive with its clients", () => {
  it("announces 75 s and keeps an idle client connection past Node's 5 s default: the client's reuse is answered on the same socket", async () => {
    expect(CLIENT_KEEP_ALIVE_MS).toBe(75_000);
    const { router, port } = await startRouter(cleanups);
    router.setGroups([group("r1", 1, { id: "a", ...(await upstream()) })]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const get = () =>
      new Promise<{ status: number; keepAlive: string | undefined; localPort: number }>((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port, agent }, (res) => {
          const localPort = res.socket.localPort!;
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode!, keepAlive: res.headers["keep-alive"]?.toString(), localPort }));
        });
        req.on("error", reject);
      });
    const first = await get();
    expect(first).toMatchObject({ status: 200, keepAlive: "timeout=75" });
    await new Promise((r) => setTimeout(r, 6_000)); // idle past the 5 s a Node server closes at by default
    const second = await get();
    expect(second.status).toBe(200);
    expect(second.localPort).toBe(first.localPort); // the same connection: the router did not close it
  }, 20_000);
});
