import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { Router, type RouterOptions } from "../src/router/router.js";
import type { ResponseSample, RouteGroup, Target } from "../src/router/types.js";
import { deadTarget, group, startRouter } from "./support/router.js";

// ---------------------------------------------------------------- helpers

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Backend {
  name: string;
  server: http.Server;
  port: number;
  target: Target;
  /** Remote ports of the router's connections, one entry per request. */
  sockets: number[];
  close(): Promise<void>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Echoes the request as JSON: backend name, method, url, headers, body. */
const echo =
  (name: string): Handler =>
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify({
        backend: name,
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { "content-type": "application/json", "x-backend": name });
      res.end(body);
    });
  };

async function backend(name: string, handler: Handler = echo(name)): Promise<Backend> {
  const sockets: number[] = [];
  const server = http.createServer((req, res) => {
    sockets.push(req.socket.remotePort ?? 0);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  cleanups.push(close);
  return { name, server, port, target: { id: name, host: "127.0.0.1", port }, sockets, close };
}

const router = (options: Partial<RouterOptions> = {}) => startRouter(cleanups, options);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

function request(
  port: number,
  options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | string; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString() });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const json = (reply: Reply) =>
  JSON.parse(reply.text) as {
    backend: string;
    method: string;
    url: string;
    headers: Record<string, string>;
    rawHeaders: string[];
    body: string;
  };

/** Writes `text` on a raw TCP connection to the router; resolves with everything read until the router closes it. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let data = "";
    socket.on("data", (c: Buffer) => (data += c.toString()));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
  });
}

function keepAliveAgent(maxSockets = Infinity): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  cleanups.push(() => agent.destroy());
  return agent;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}

// ---------------------------------------------------------------- forwarding

describe("Router forwarding", () => {
  it("forwards method, path, query, headers and body, and sets X-Forwarded-* (replacing an untrusted client's)", async () => {
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);

    const reply = await request(port, {
      method: "PUT",
      path: "/items/42?x=1&y=%20two",
      headers: {
        host: "shop.example:8443",
        "x-custom": "yes",
        "x-forwarded-for": "203.0.113.7",
        connection: "keep-alive, x-hop",
        "x-hop": "must not pass",
        "content-type": "text/plain",
      },
      body: "hello body",
    });
    expect(reply.status).toBe(200);
    expect(reply.headers["x-backend"]).toBe("a");
    const seen = json(reply);
    expect(seen.method).toBe("PUT");
    expect(seen.url).toBe("/items/42?x=1&y=%20two");
    expect(seen.body).toBe("hello body");
    expect(seen.headers["host"]).toBe("shop.example:8443");
    expect(seen.headers["x-custom"]).toBe("yes");
    expect(seen.headers["content-type"]).toBe("text/plain");
    expect(seen.headers["x-hop"]).toBeUndefined();
    expect(seen.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe("shop.example:8443");
  });

  it("passes response status, repeated headers and body back, minus hop-by-hop", async () => {
    const a = await backend("a", (_req, res) => {
      res.writeHead(
        418,
        "I'm a teapot",
        [
          ["Set-Cookie", "a=1"],
          ["Set-Cookie", "b=2"],
          ["X-Thing", "t"],
          ["Keep-Alive", "timeout=5"],
        ].flat(),
      );
      res.end("short and stout");
    });
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const reply = await request(port);
    expect(reply.status).toBe(418);
    expect(reply.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(reply.headers["x-thing"]).toBe("t");
    expect(reply.text).toBe("short and stout");
  });

  it("streams a chunked response as it is written", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const a = await backend("a", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
      void released.then(() => res.end("second\n"));
    });
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);

    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/stream" }, (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          received.push(chunk);
          // The second chunk is only written once the first reached us: a
          // buffering proxy would deadlock here.
          if (received.length === 1) release();
        });
        res.on("end", resolve);
      });
      req.on("error", reject);
    });
    expect(received.join("")).toBe("first\nsecond\n");
    expect(received[0]).toBe("first\n");
  });

  it("reuses keep-alive connections to the instance", async () => {
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const agent = keepAliveAgent(1);
    for (let i = 0; i < 10; i++) expect((await request(port, { agent })).status).toBe(200);
    expect(a.sockets).toHaveLength(10);
    expect(new Set(a.sockets).size).toBe(1);
  });

  it("streams a request body as it is sent", async () => {
    // The instance answers as soon as the first chunk arrives; the client
    // only sends the rest once it saw that answer. A buffering proxy would deadlock.
    const a = await backend("a", (req, res) => {
      req.once("data", (first: Buffer) => {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write(`got ${first.toString()}\n`);
        let rest = "";
        req.on("data", (c: Buffer) => (rest += c.toString()));
        req.on("end", () => res.end(`then ${rest}\n`));
      });
    });
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port, method: "POST", path: "/upload", headers: { "transfer-encoding": "chunked" } },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
            if (body === "got one\n") req.end("two");
          });
          res.on("end", () => resolve(body));
        },
      );
      req.on("error", reject);
      req.write("one");
    });
    expect(text).toBe("got one\nthen two\n");
  });

  it("forwards an HTTP/1.0 request without Host, giving the instance its address", async () => {
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const raw = await rawExchange(port, "GET /old HTTP/1.0\r\n\r\n");
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    const seen = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe("/old");
    expect(seen.headers["host"]).toBe(`127.0.0.1:${a.port}`);
    expect(seen.headers["x-forwarded-host"]).toBeUndefined();
  });

  it("handles Expect: 100-continue", async () => {
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port, method: "POST", headers: { expect: "100-continue", "content-length": "5" } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const body = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString() });
          });
        },
      );
      req.on("continue", () => req.end("hello"));
      req.on("error", reject);
    });
    expect(reply.status).toBe(200);
    expect(json(reply).body).toBe("hello");
  });

  it("round-trips a 10 MB body", async () => {
    const a = await backend("a", (req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      req.pipe(res);
    });
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const body = randomBytes(10 * 1024 * 1024);
    const reply = await request(port, { method: "POST", body, headers: { "content-length": body.length } });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(body.length);
    expect(createHash("sha256").update(reply.body).digest("hex")).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("answers HEAD without a body", async () => {
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const reply = await request(port, { method: "HEAD" });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(0);
  });
});

// ---------------------------------------------------------------- no target

describe("Router with no ready instance", () => {
  it.each([
    { name: "no groups", groups: [] as RouteGroup[] },
    { name: "an empty group", groups: [group("r1", 1)] },
    { name: "only weight-0 groups", groups: [] as RouteGroup[], zeroWeight: true },
  ])("answers 503 at once with $name", async ({ groups, zeroWeight }) => {
    const { router: r, port } = await router();
    if (zeroWeight) {
      const a = await backend("a");
      r.setGroups([group("r1", 0, a.target)]);
    } else {
      r.setGroups(groups);
    }
    const started = Date.now();
    const reply = await request(port, { path: "/anything" });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("1");
    expect(reply.headers["content-type"]).toMatch(/^text\/plain/);
    expect(reply.text).toBe('slipway: no ready instance for "web" (all instances are starting, stopping or unhealthy)\n');
  });

  it("answers 503 before any setGroups, and never intercepts a path", async () => {
    const { port } = await router();
    for (const path of ["/", "/health", "/_slipway", "/status"]) {
      expect((await request(port, { path })).status).toBe(503);
    }
  });
});

// ---------------------------------------------------------------- weights

describe("Router weights", () => {
  it("splits 1:3 exactly over 400 requests", async () => {
    const a = await backend("a");
    const b = await backend("b");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target), group("r2", 3, b.target)]);
    const agent = keepAliveAgent(10);
    const replies = await Promise.all(Array.from({ length: 400 }, () => request(port, { agent })));
    const count = (name: string) => replies.filter((x) => x.headers["x-backend"] === name).length;
    expect(count("a")).toBe(100);
    expect(count("b")).toBe(300);
    expect(r.stats().groups).toEqual({ r1: 100, r2: 300 });
    expect(r.stats().requests).toBe(400);
  });

  it("keeps the smooth sequence across a rebuild that changes only targets (the split stays exact)", async () => {
    const a = await backend("a");
    const a2 = await backend("a2");
    const b = await backend("b");
    const { router: r, port } = await router();
    const seq: string[] = [];
    const next = async () => seq.push(String((await request(port)).headers["x-backend"]).replace("a2", "a"));
    r.setGroups([group("r1", 1, a.target), group("r2", 1, b.target)]);
    await next();
    r.setGroups([group("r1", 1, a.target), group("r2", 1, b.target)]); // the same table again
    await next();
    r.setGroups([group("r1", 1, a.target, a2.target), group("r2", 1, b.target)]); // an instance joins r1
    await next();
    await next();
    expect(seq).toEqual(["a", "b", "a", "b"]);
    r.setGroups([group("r1", 3, a.target), group("r2", 1, b.target)]); // new weights: starts afresh
    for (let i = 0; i < 4; i++) await next();
    expect(seq.slice(4)).toEqual(["a", "a", "b", "a"]);
  });

  it("follows the smooth sequence a,a,b,a,c,a,a for weights 5,1,1", async () => {
    const a = await backend("a");
    const b = await backend("b");
    const c = await backend("c");
    const { router: r, port } = await router();
    r.setGroups([group("ra", 5, a.target), group("rb", 1, b.target), group("rc", 1, c.target)]);
    const agent = keepAliveAgent(1);
    const seq: string[] = [];
    for (let i = 0; i < 14; i++) seq.push(String((await request(port, { agent })).headers["x-backend"]));
    expect(seq.join(",")).toBe("a,a,b,a,c,a,a,a,a,b,a,c,a,a");
  });

  it("round-robins the targets of a group", async () => {
    const a = await backend("a");
    const b = await backend("b");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target, b.target)]);
    const seq: string[] = [];
    for (let i = 0; i < 4; i++) seq.push(String((await request(port)).headers["x-backend"]));
    expect(seq).toEqual(["a", "b", "a", "b"]);
  });

  it("routes by header to a named group, even at weight 0", async () => {
    const a = await backend("a");
    const b = await backend("b");
    const { router: r, port } = await router({ headerRoute: { header: "X-Slipway-Group" } });
    r.setGroups([group("stable", 1, a.target), group("canary", 0, b.target)]);
    expect((await request(port, { headers: { "x-slipway-group": "canary" } })).headers["x-backend"]).toBe("b");
    expect((await request(port, { headers: { "x-slipway-group": "nope" } })).headers["x-backend"]).toBe("a");
    expect((await request(port)).headers["x-backend"]).toBe("a");
  });

  it("swaps tables under concurrent load with zero failures", async () => {
    const a = await backend("a");
    const b = await backend("b");
    const { router: r, port } = await router();
    r.setGroups([group("blue", 1, a.target)]);
    let flip = false;
    const swapper = setInterval(() => {
      flip = !flip;
      r.setGroups([flip ? group("green", 1, b.target) : group("blue", 1, a.target)]);
    }, 20);
    const agent = keepAliveAgent(20);
    let next = 0;
    const statuses: number[] = [];
    const worker = async () => {
      while (next < 2000) {
        next++;
        statuses.push((await request(port, { agent })).status);
      }
    };
    try {
      await Promise.all(Array.from({ length: 20 }, worker));
    } finally {
      clearInterval(swapper);
    }
    expect(statuses).toHaveLength(2000);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(a.sockets.length).toBeGreaterThan(0);
    expect(b.sockets.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------- drain

describe("Router drain", () => {
  /** Answers /slow after `delayMs`; `answered` turns true once that response is sent. */
  const slowBackend = async (name: string, delayMs: number) => {
    const state = { answered: false };
    const b = await backend(name, (req, res) => {
      if (req.url !== "/slow") return echo(name)(req, res);
      const timer = setTimeout(() => res.end(`slow from ${name}`, () => (state.answered = true)), delayMs);
      res.on("close", () => clearTimeout(timer));
    });
    return Object.assign(b, { state });
  };

  it("lets an in-flight request to a removed target finish, then resolves", async () => {
    const a = await slowBackend("a", 400);
    const b = await backend("b");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);

    const slow = request(port, { path: "/slow" });
    await until(() => r.inFlight("a") === 1);
    r.setGroups([group("r2", 1, b.target)]);

    const drained = r.drain("a", 5000).then(() => a.state.answered);
    const fresh = await request(port);
    expect(fresh.headers["x-backend"]).toBe("b");
    expect(r.inFlight("a")).toBe(1);

    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(reply.text).toBe("slow from a");
    expect(await drained).toBe(true);
    expect(r.inFlight("a")).toBe(0);
  });

  it("resolves at the timeout when the target does not finish", async () => {
    const a = await backend("a", () => {
      /* never answers */
    });
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const stuck = request(port).catch((err: Error) => err);
    await until(() => r.inFlight("a") === 1);
    r.setGroups([]);
    const started = Date.now();
    await r.drain("a", 200);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(2000);
    await stuck; // aborted by the drain timeout, not left hanging
    await until(() => r.inFlight("a") === 0);
  });

  it("resolves at once for an idle or unknown target", async () => {
    const a = await backend("a");
    const { router: r } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    r.setGroups([]);
    await r.drain("a", 10_000);
    await r.drain("nobody", 10_000);
  });
});

// ---------------------------------------------------------------- retries

describe("Router retries", () => {
  it("skips a refused target transparently for GET and POST", async () => {
    const dead = await deadTarget("dead");
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, dead, a.target)]);
    for (let i = 0; i < 6; i++) {
      const get = await request(port, { path: `/get/${i}` });
      expect(get.status).toBe(200);
      expect(json(get).url).toBe(`/get/${i}`);
      const post = await request(port, {
        method: "POST",
        path: "/post",
        body: `body ${i}`,
        headers: { "content-length": String(`body ${i}`.length) },
      });
      expect(post.status).toBe(200);
      expect(json(post).body).toBe(`body ${i}`);
      const chunked = await request(port, {
        method: "POST",
        path: "/chunked",
        body: `chunked ${i}`,
        headers: { "transfer-encoding": "chunked" },
      });
      expect(chunked.status).toBe(200);
      expect(json(chunked).body).toBe(`chunked ${i}`);
    }
    expect(r.inFlight("dead")).toBe(0);
  });

  it("retries in another group when a group's only target is refused", async () => {
    const dead = await deadTarget("dead");
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("canary", 1, dead), group("stable", 1, a.target)]);
    for (let i = 0; i < 4; i++) expect((await request(port)).headers["x-backend"]).toBe("a");
  });

  it("answers 502 with a clear body when every target is refused", async () => {
    const d1 = await deadTarget("d1");
    const d2 = await deadTarget("d2");
    const samples: ResponseSample[] = [];
    const { router: r, port } = await router({ onResponse: (s) => samples.push(s) });
    r.setGroups([group("r1", 1, d1, d2)]);
    const reply = await request(port);
    expect(reply.status).toBe(502);
    expect(reply.text).toMatch(/^slipway: instance "d[12]" of "web" failed before responding \(ECONNREFUSED\)\n$/);
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ group: "r1", status: 502 });
  });

  it("replays a GET reset before any response byte, but not a POST", async () => {
    // Resets the connection without answering on /reset.
    const flaky = await backend("flaky", (req, res) => {
      if (req.url === "/reset") req.socket.destroy();
      else echo("flaky")(req, res);
    });
    const good = await backend("good");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, flaky.target, good.target)]);
    const agent = keepAliveAgent(1);
    for (let i = 0; i < 4; i++) {
      const reply = await request(port, { agent, path: "/reset" });
      expect(reply.status).toBe(200);
      expect(reply.headers["x-backend"]).toBe("good");
    }
    expect(flaky.sockets.length).toBeGreaterThan(0);
    const post = await request(port, { agent, method: "POST", path: "/reset", body: "x", headers: { "content-length": "1" } });
    const posts = [post, await request(port, { agent, method: "POST", path: "/reset", body: "x", headers: { "content-length": "1" } })];
    // One of the two went to `flaky` first (round-robin): that one is not replayed.
    expect(posts.map((p) => p.status).sort()).toEqual([200, 502]);
    expect(posts.find((p) => p.status === 502)?.text).toMatch(
      /^slipway: instance "flaky" of "web" failed before responding \(ECONNRESET\)\n$/,
    );
  });
});

// ---------------------------------------------------------------- response timeout

describe("Router response timeout", () => {
  it("answers 504 when an instance sends no headers in time, frees it, and never retries the request", async () => {
    const closed: string[] = [];
    const hung = await backend("hung", (req) => req.socket.once("close", () => closed.push(req.url ?? ""))); // never answers
    const samples: ResponseSample[] = [];
    const { router: r, port } = await router({ onResponse: (s) => samples.push(s) });
    r.configure({ responseTimeout: 300 });
    r.setGroups([group("r1", 1, hung.target, (await backend("ok")).target)]);
    // round-robin: of two requests, one goes to `hung`, is answered 504 and not replayed on `ok`
    const replies = await Promise.all([request(port, { path: "/a" }), request(port, { path: "/b" })]);
    const timedOut = replies.find((x) => x.status === 504);
    expect(replies.map((x) => x.status).sort()).toEqual([200, 504]);
    expect(timedOut?.text).toBe('slipway: instance "hung" of "web" did not respond within 300 ms\n');
    expect(hung.sockets).toHaveLength(1);
    await until(() => closed.length === 1); // the upstream request was aborted
    await until(() => samples.length === 2);
    expect(samples.map((x) => x.status).sort()).toEqual([200, 504]);
    expect(r.stats().inFlight).toBe(0);
  });

  it("does not cut a response that started in time, however long its body streams", async () => {
    const slow = await backend("slow", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      let n = 0;
      const tick = setInterval(() => {
        res.write(`chunk ${++n}\n`);
        if (n === 4) {
          clearInterval(tick);
          res.end();
        }
      }, 200); // 800 ms of body, past the 300 ms timeout
    });
    const { router: r, port } = await router();
    r.configure({ responseTimeout: 300 });
    r.setGroups([group("r1", 1, slow.target)]);
    const reply = await request(port);
    expect(reply.status).toBe(200);
    expect(reply.text).toBe("chunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  });

  it("names the app given to configure in its own replies (the daemon's router outlives a rename)", async () => {
    const { router: r, port } = await router();
    r.configure({ name: "shop" });
    expect((await request(port)).text).toMatch(/^slipway: no ready instance for "shop"/);
  });

  it("waits forever with 0 (the router's default), and rejects a bad value changing nothing", async () => {
    const late = await backend("late", (req, res) => setTimeout(() => echo("late")(req, res), 400));
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, late.target)]);
    expect((await request(port)).status).toBe(200);
    r.configure({ responseTimeout: 100 });
    expect(() => r.configure({ responseTimeout: -1 })).toThrow(/response timeout -1 is not a number of ms/);
    expect((await request(port)).status).toBe(504);
    r.configure({ responseTimeout: 0 });
    expect((await request(port)).status).toBe(200);
  });
});

// ---------------------------------------------------------------- websockets

describe("Router WebSockets", () => {
  async function wsBackend(name: string) {
    const b = await backend(name);
    const wss = new WebSocketServer({ server: b.server });
    wss.on("connection", (socket, req) => {
      socket.send(`hello from ${name} ${req.url}`);
      socket.on("message", (data) => socket.send(`echo:${data.toString()}`));
    });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    return b;
  }

  function open(port: number, path: string): Promise<{ ws: WebSocket; messages: string[] }> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(data.toString()));
    cleanups.push(() => ws.terminate());
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve({ ws, messages }));
      ws.once("error", reject);
    });
  }

  it("echoes through the router and counts as in flight", async () => {
    const a = await wsBackend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const { ws, messages } = await open(port, "/chat?room=1");
    ws.send("ping");
    await until(() => messages.length === 2);
    expect(messages).toEqual(["hello from a /chat?room=1", "echo:ping"]);
    expect(r.inFlight("a")).toBe(1);
    ws.close();
    await until(() => r.inFlight("a") === 0);
  });

  it("keeps an open WebSocket through a swap, and a timed-out drain closes it", async () => {
    const a = await wsBackend("a");
    const b = await wsBackend("b");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const { ws, messages } = await open(port, "/");
    r.setGroups([group("r2", 1, b.target)]);
    ws.send("still here");
    await until(() => messages.includes("echo:still here"));
    const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    await r.drain("a", 200);
    await closed;
    await until(() => r.inFlight("a") === 0);
    const second = await open(port, "/");
    await until(() => second.messages.length === 1);
    expect(second.messages[0]).toBe("hello from b /");
  });

  it("skips a refused target for an upgrade", async () => {
    const dead = await deadTarget("dead");
    const a = await wsBackend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, dead, a.target)]);
    for (let i = 0; i < 3; i++) {
      const { messages } = await open(port, `/ws/${i}`);
      await until(() => messages.length === 1);
      expect(messages[0]).toBe(`hello from a /ws/${i}`);
    }
    expect(r.inFlight("dead")).toBe(0);
  });

  it("answers 503 to an upgrade when no target is ready", async () => {
    const { port } = await router();
    await expect(open(port, "/")).rejects.toThrow(/503/);
  });
});

// ---------------------------------------------------------------- robustness

describe("Router robustness", () => {
  it("aborts the upstream request when the client goes away, and keeps serving", async () => {
    let upstreamClosed = false;
    const a = await backend("a", (req, res) => {
      if (req.url === "/hang") {
        res.on("close", () => (upstreamClosed = true));
        return;
      }
      echo("a")(req, res);
    });
    const samples: ResponseSample[] = [];
    const { router: r, port } = await router({ onResponse: (s) => samples.push(s) });
    r.setGroups([group("r1", 1, a.target)]);
    const req = http.get({ host: "127.0.0.1", port, path: "/hang" });
    req.on("error", () => undefined);
    await until(() => r.inFlight("a") === 1);
    req.destroy();
    await until(() => upstreamClosed && r.inFlight("a") === 0);
    expect(samples.at(-1)).toMatchObject({ group: "r1", target: "a", status: 499 });
    expect((await request(port)).status).toBe(200);
  });

  it("answers garbage with 400 and keeps serving", async () => {
    const a = await backend("a");
    const { router: r, port } = await router();
    r.setGroups([group("r1", 1, a.target)]);
    const answer = await rawExchange(port, "THIS IS NOT HTTP\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect((await request(port)).status).toBe(200);
  });

  it("reports each completed request to onResponse", async () => {
    const a = await backend("a");
    const samples: ResponseSample[] = [];
    const { router: r, port } = await router({ onResponse: (s) => samples.push(s) });
    await request(port);
    r.setGroups([group("r1", 1, a.target)]);
    await request(port);
    await until(() => samples.length === 2);
    expect(samples[0]).toMatchObject({ group: "", target: "", status: 503 });
    expect(samples[1]).toMatchObject({ group: "r1", target: "a", status: 200 });
    expect(samples[1]!.durationMs).toBeGreaterThan(0);
  });

  it("reports stats and closes with idle keep-alive connections open", async () => {
    const a = await backend("a");
    const r = new Router({ listen: { host: "127.0.0.1", port: 0 } });
    const { port } = await r.listen();
    r.setGroups([group("r1", 1, a.target)]);
    const agent = keepAliveAgent();
    await request(port, { agent });
    expect(r.stats()).toEqual({ requests: 1, groups: { r1: 1 }, inFlight: 0, targets: { a: 0 }, ejected: [] });
    const started = Date.now();
    await r.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("rejects listen on a busy port with a clear error", async () => {
    const { port } = await router();
    const other = new Router({ listen: { host: "127.0.0.1", port } });
    await expect(other.listen()).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);
  });
});
