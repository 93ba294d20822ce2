import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { COHORT_BUCKETS, DEFAULT_COHORT_COOKIE } from "../src/router/cohort.js";
import { Router, type RouterOptions } from "../src/router/router.js";
import type { Target } from "../src/router/types.js";
import { deadTarget, group, startRouter } from "./support/router.js";

// Canary routing: header override and cookie stickiness, over real HTTP.

// ---------------------------------------------------------------- helpers

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const COOKIE = DEFAULT_COHORT_COOKIE;
const SET_COOKIE = new RegExp(`^${COOKIE}=(0|[1-9][0-9]{0,3}); Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax$`);

/** A backend that answers with its name in `x-backend` and the request headers it saw as JSON. */
async function backend(name: string, setCookies: string[] = []): Promise<{ server: http.Server; target: Target }> {
  const server = http.createServer((req, res) => {
    const headers: [string, string][] = [
      ["x-backend", name],
      ["content-type", "application/json"],
    ];
    for (const cookie of setCookies) headers.push(["Set-Cookie", cookie]);
    res.writeHead(200, headers.flat());
    res.end(JSON.stringify(req.headers));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { server, target: { id: name, host: "127.0.0.1", port: (server.address() as AddressInfo).port } };
}

const router = (options: Partial<RouterOptions> = {}) => startRouter(cleanups, options);

/** canary first, as the daemon lists it. */
const canaryAt = (weight: number, canary: Target[], stable: Target[]) => [
  group("canary", weight, ...canary),
  group("stable", 100 - weight, ...stable),
];

interface Answer {
  status: number;
  backend: string | undefined;
  setCookies: string[];
  /** Request headers the backend saw. */
  seen: Record<string, string>;
}

function get(port: number, headers: http.OutgoingHttpHeaders = {}, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", headers, agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        const backend = res.headers["x-backend"];
        resolve({
          status: res.statusCode ?? 0,
          backend: typeof backend === "string" ? backend : undefined,
          setCookies: res.headers["set-cookie"] ?? [],
          seen: res.statusCode === 200 ? (JSON.parse(body) as Record<string, string>) : {},
        });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

const withCohort = (bucket: number | string) => ({ cookie: `theme=dark; ${COOKIE}=${bucket}` });

function keepAliveAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  cleanups.push(() => agent.destroy());
  return agent;
}

/** Runs `fn` over `items` with `concurrency` at a time, keeping order. */
async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

function bucketOf(setCookie: string | undefined): number {
  const match = SET_COOKIE.exec(setCookie ?? "");
  if (match === null) throw new Error(`not a cohort cookie: ${setCookie}`);
  return Number(match[1]);
}

// ---------------------------------------------------------------- header override

describe("Router header override", () => {
  it.each([
    { canaryWeight: 0, plain: "stable" },
    { canaryWeight: 100, plain: "canary" },
  ])("sends X-Slipway-Route: canary/stable to that group at canary weight $canaryWeight", async ({ canaryWeight, plain }) => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router({ headerRoute: { header: "X-Slipway-Route" } });
    r.setGroups(canaryAt(canaryWeight, [canary.target], [stable.target]));
    for (let i = 0; i < 3; i++) {
      expect((await get(port, { "X-Slipway-Route": "canary" })).backend).toBe("canary");
      expect((await get(port, { "x-slipway-route": "stable" })).backend).toBe("stable");
      expect((await get(port)).backend).toBe(plain);
    }
  });

  it("matches the header name in any case and the value exactly (trimmed), and forwards the header", async () => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router({ headerRoute: { header: "x-slipway-route" } });
    r.setGroups(canaryAt(0, [canary.target], [stable.target]));
    const upper = await get(port, { "X-SLIPWAY-ROUTE": "canary" });
    expect(upper.backend).toBe("canary");
    expect(upper.seen["x-slipway-route"]).toBe("canary");
    expect((await get(port, { "X-Slipway-Route": "  canary\t" })).backend).toBe("canary");
    expect((await get(port, { "X-Slipway-Route": "Canary" })).backend).toBe("stable");
    expect((await get(port, { "X-Slipway-Route": "canary-ish" })).backend).toBe("stable");
    expect((await get(port, { "X-Slipway-Route": "nope" })).backend).toBe("stable");
  });

  it("falls back to the weights when the named group has no targets", async () => {
    const stable = await backend("stable");
    const { router: r, port } = await router({ headerRoute: { header: "X-Slipway-Route" } });
    r.setGroups(canaryAt(10, [], [stable.target]));
    expect((await get(port, { "X-Slipway-Route": "canary" })).backend).toBe("stable");
  });

  it("is switched on and off at run time; off, the header is ignored and forwarded as-is", async () => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router();
    r.setGroups(canaryAt(0, [canary.target], [stable.target]));
    const before = await get(port, { "X-Slipway-Route": "canary" });
    expect(before.backend).toBe("stable");
    expect(before.seen["x-slipway-route"]).toBe("canary");

    r.configure({ headerRoute: { header: "X-Slipway-Route" } });
    expect((await get(port, { "X-Slipway-Route": "canary" })).backend).toBe("canary");

    r.configure({ stickiness: null }); // a missing key leaves the header route on
    expect((await get(port, { "X-Slipway-Route": "canary" })).backend).toBe("canary");

    r.configure({ headerRoute: null });
    for (let i = 0; i < 3; i++) {
      const off = await get(port, { "X-Slipway-Route": "canary" });
      expect(off.backend).toBe("stable");
      expect(off.seen["x-slipway-route"]).toBe("canary");
    }
  });

  it("wins over stickiness", async () => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router({ headerRoute: { header: "X-Slipway-Route" }, stickiness: { cookie: COOKIE } });
    r.setGroups(canaryAt(10, [canary.target], [stable.target]));
    // Bucket 5000 is stable's at 10 %, bucket 5 the canary's.
    expect((await get(port, withCohort(5000))).backend).toBe("stable");
    expect((await get(port, { ...withCohort(5000), "X-Slipway-Route": "canary" })).backend).toBe("canary");
    expect((await get(port, { ...withCohort(5), "X-Slipway-Route": "stable" })).backend).toBe("stable");
  });

  it("rejects names that are not HTTP tokens, changing nothing", () => {
    const r = new Router({ listen: { host: "127.0.0.1", port: 0 } });
    expect(() => r.configure({ headerRoute: { header: "X Route" } })).toThrow(/route header "X Route" is not a header name/);
    expect(() => r.configure({ stickiness: { cookie: "a;b" } })).toThrow(/cohort cookie "a;b" is not a cookie name/);
    expect(() => new Router({ listen: { host: "127.0.0.1", port: 0 }, stickiness: { cookie: "" } })).toThrow(
      /CONFIG_INVALID|not a cookie name/,
    );
  });
});

// ---------------------------------------------------------------- stickiness

describe("Router cookie stickiness", () => {
  it("keeps a client with a cohort on one group across 200 requests at 50/50", async () => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    r.setGroups(canaryAt(50, [canary.target], [stable.target]));
    const agent = keepAliveAgent();
    for (const [bucket, expected] of [
      [0, "canary"],
      [4999, "canary"],
      [5000, "stable"],
      [9999, "stable"],
    ] as const) {
      const answers = await mapConcurrent(Array.from({ length: 200 }), 10, () => get(port, withCohort(bucket), agent));
      expect(new Set(answers.map((a) => a.backend))).toEqual(new Set([expected]));
      // A valid cohort is kept: no new cookie.
      expect(answers.every((a) => a.setCookies.length === 0)).toBe(true);
    }
    expect(r.stats().groups).toEqual({ canary: 400, stable: 400 });
  });

  it("keeps every canary cohort in the canary when its weight goes 10 -> 50, in the expected proportions", async () => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    const agent = keepAliveAgent();
    const clients = 2000;

    // 2000 new clients at 10 %: each gets a cohort, and lands where that cohort says.
    r.setGroups(canaryAt(10, [canary.target], [stable.target]));
    const first = await mapConcurrent(Array.from({ length: clients }), 20, () => get(port, {}, agent));
    const cohorts = first.map((a) => {
      expect(a.setCookies).toHaveLength(1);
      return bucketOf(a.setCookies[0]);
    });
    expect(new Set(cohorts).size).toBeGreaterThan(1500); // distinct cohorts (random in 0..9999)
    const at10 = await mapConcurrent(cohorts, 20, async (bucket) => (await get(port, withCohort(bucket), agent)).backend);
    expect(at10).toEqual(first.map((a) => a.backend));
    for (let i = 0; i < clients; i++) expect(at10[i]).toBe((cohorts[i] as number) < 1000 ? "canary" : "stable");

    r.setGroups(canaryAt(50, [canary.target], [stable.target]));
    const at50 = await mapConcurrent(cohorts, 20, async (bucket) => (await get(port, withCohort(bucket), agent)).backend);

    const share = (sides: (string | undefined)[]) => sides.filter((s) => s === "canary").length / clients;
    // Binomial, n = 2000: 10 % +- 3 % and 50 % +- 5 % are beyond 4 standard deviations.
    expect(share(at10)).toBeGreaterThan(0.07);
    expect(share(at10)).toBeLessThan(0.13);
    expect(share(at50)).toBeGreaterThan(0.45);
    expect(share(at50)).toBeLessThan(0.55);
    const left = cohorts.filter((_, i) => at10[i] === "canary" && at50[i] !== "canary");
    expect(left).toEqual([]);
  });

  it("gives a new client a cohort cookie and keeps the instance's own Set-Cookie headers", async () => {
    const canary = await backend("canary", ["session=abc; HttpOnly", "pref=1"]);
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    r.setGroups([group("canary", 1, canary.target)]);
    const fresh = await get(port, { cookie: "theme=dark" });
    expect(fresh.setCookies).toHaveLength(3);
    expect(fresh.setCookies.slice(0, 2)).toEqual(["session=abc; HttpOnly", "pref=1"]);
    expect(fresh.setCookies[2]).toMatch(SET_COOKIE);
    // The client's cookies reach the instance untouched.
    expect(fresh.seen["cookie"]).toBe("theme=dark");

    const known = await get(port, withCohort(1234));
    expect(known.setCookies).toEqual(["session=abc; HttpOnly", "pref=1"]);
    expect(known.seen["cookie"]).toBe(`theme=dark; ${COOKIE}=1234`);
  });

  it.each(["abc", "10000", "007", "-1", "", "1 2"])("replaces an invalid cohort %j with a fresh one", async (value) => {
    const a = await backend("a");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    r.setGroups([group("r1", 1, a.target)]);
    const answer = await get(port, { cookie: `${COOKIE}=${value}` });
    expect(answer.status).toBe(200);
    expect(answer.setCookies).toHaveLength(1);
    expect(answer.setCookies[0]).toMatch(SET_COOKIE);
  });

  it("reads the cookie only at a cookie boundary", async () => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    r.setGroups(canaryAt(10, [canary.target], [stable.target]));
    const lookalike = await get(port, { cookie: `x${COOKIE}=5; other=${COOKIE}=5; ${COOKIE}=9000` });
    expect(lookalike.backend).toBe("stable");
    expect(lookalike.setCookies).toEqual([]);
  });

  it("stops reading and setting the cookie once switched off", async () => {
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router();
    r.setGroups(canaryAt(50, [canary.target], [stable.target]));
    expect((await get(port)).setCookies).toEqual([]);

    r.configure({ stickiness: { cookie: COOKIE } });
    expect((await get(port)).setCookies).toHaveLength(1);
    for (let i = 0; i < 4; i++) expect((await get(port, withCohort(1))).backend).toBe("canary");

    r.configure({ stickiness: null });
    const sides: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await get(port, withCohort(1));
      expect(answer.setCookies).toEqual([]);
      sides.push(answer.backend);
    }
    // Back to smooth weighted round-robin: the cohort no longer matters.
    expect(sides.filter((s) => s === "stable")).toHaveLength(2);
    expect((await get(port)).setCookies).toEqual([]);
  });

  it("skips groups without targets: their buckets go to the next group with targets", async () => {
    const a = await backend("a");
    const c = await backend("c");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    // Ranges: a [0, 1000), b [1000, 2000) (no targets), c [2000, 10000).
    r.setGroups([group("a", 10, a.target), group("b", 10), group("c", 80, c.target)]);
    expect((await get(port, withCohort(999))).backend).toBe("a");
    expect((await get(port, withCohort(1000))).backend).toBe("c");
    expect((await get(port, withCohort(1999))).backend).toBe("c");
    expect((await get(port, withCohort(2000))).backend).toBe("c");
    // An empty canary (listed first) sends its cohorts to stable; new clients are served too.
    r.setGroups(canaryAt(10, [], [c.target]));
    expect((await get(port, withCohort(5))).backend).toBe("c");
    expect((await get(port)).backend).toBe("c");
    // Weight 0 with targets takes no cohort.
    r.setGroups(canaryAt(0, [a.target], [c.target]));
    expect((await get(port, withCohort(0))).backend).toBe("c");
    // Nothing routable: 503, and no cookie on the router's own answer.
    r.setGroups([group("canary", 10), group("stable", 90)]);
    const none = await get(port);
    expect(none.status).toBe(503);
    expect(none.setCookies).toEqual([]);
  });

  it("retries a refused connection within the cohort's group", async () => {
    const dead = await deadTarget("dead");
    const canary = await backend("canary");
    const stable = await backend("stable");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    r.setGroups(canaryAt(10, [dead, canary.target], [stable.target]));
    for (let i = 0; i < 6; i++) expect((await get(port, withCohort(7))).backend).toBe("canary");
    // With no target left in its group, the request still gets an answer.
    r.setGroups(canaryAt(10, [dead], [stable.target]));
    expect((await get(port, withCohort(7))).backend).toBe("stable");
    expect(r.inFlight("dead")).toBe(0);
  });

  it("routes WebSocket upgrades by cohort and gives new clients a cookie on the 101", async () => {
    const wsBackend = async (name: string) => {
      const b = await backend(name);
      const wss = new WebSocketServer({ server: b.server });
      wss.on("connection", (socket) => socket.send(name));
      cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
      return b;
    };
    const canary = await wsBackend("canary");
    const stable = await wsBackend("stable");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    r.setGroups(canaryAt(10, [canary.target], [stable.target]));
    const open = (headers: Record<string, string>) =>
      new Promise<{ first: string; setCookies: string[] }>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers });
        cleanups.push(() => ws.terminate());
        let setCookies: string[] = [];
        ws.once("upgrade", (res) => (setCookies = res.headers["set-cookie"] ?? []));
        ws.once("message", (data) => resolve({ first: data.toString(), setCookies }));
        ws.once("error", reject);
      });
    expect(await open(withCohort(3))).toEqual({ first: "canary", setCookies: [] });
    expect(await open(withCohort(3000))).toEqual({ first: "stable", setCookies: [] });
    const fresh = await open({});
    expect(fresh.setCookies).toHaveLength(1);
    expect(fresh.first).toBe(bucketOf(fresh.setCookies[0]) < 1000 ? "canary" : "stable");
  });

  it("covers every bucket with exactly one group", async () => {
    // Property of the ranges, checked through the router at an odd split (1:2:4).
    const a = await backend("a");
    const b = await backend("b");
    const c = await backend("c");
    const { router: r, port } = await router({ stickiness: { cookie: COOKIE } });
    r.setGroups([group("a", 1, a.target), group("b", 2, b.target), group("c", 4, c.target)]);
    const agent = keepAliveAgent();
    const probes = [0, 1428, 1429, 4285, 4286, COHORT_BUCKETS - 1];
    const sides = await mapConcurrent(probes, 6, async (bucket) => (await get(port, withCohort(bucket), agent)).backend);
    expect(sides).toEqual(["a", "a", "b", "b", "c", "c"]);
  });
});
