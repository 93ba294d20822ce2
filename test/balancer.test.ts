import { describe, expect, it } from "vitest";
import { cohortOwner, cohortRanges, leastInFlight, nextSmooth, type WeightedSlot } from "../src/router/balancer.js";
import { cohortFromCookie, cohortSetCookie, isToken, newCohort } from "../src/router/cohort.js";
import { connectFailed, ejectionPeriod } from "../src/router/ejection.js";
import { NO_SCAN, requestHeaders, responseHeaders, type RequestHead } from "../src/router/headers.js";
import { originForm } from "../src/router/request-target.js";
import { TrustedProxies, cidrProblem } from "../src/router/trusted-proxies.js";
import { idleTimeoutFor } from "../src/router/upstream-agent.js";

function sequence(weights: number[], picks: number): string {
  const slots: WeightedSlot[] = weights.map((weight) => ({ weight, current: 0 }));
  const total = weights.reduce((sum, w) => sum + (w > 0 ? w : 0), 0);
  let out = "";
  for (let i = 0; i < picks; i++) {
    const index = nextSmooth(slots, total);
    out += index < 0 ? "-" : "abcdefgh"[index];
  }
  return out;
}

describe("nextSmooth (smooth weighted round-robin)", () => {
  it.each([
    { weights: [5, 1, 1], picks: 7, expected: "aabacaa" },
    { weights: [1, 1], picks: 4, expected: "abab" },
    { weights: [1, 3], picks: 4, expected: "babb" },
    { weights: [2, 1], picks: 6, expected: "abaaba" },
    { weights: [0, 1], picks: 3, expected: "bbb" },
    { weights: [1, 0, 1], picks: 4, expected: "acac" },
    { weights: [0, 0], picks: 2, expected: "--" },
    { weights: [], picks: 1, expected: "-" },
  ])("weights $weights give $expected", ({ weights, picks, expected }) => {
    expect(sequence(weights, picks)).toBe(expected);
  });

  it("is exact over every full cycle", () => {
    const weights = [7, 2, 1];
    const seq = sequence(weights, 10 * 50);
    for (let cycle = 0; cycle < 50; cycle++) {
      const window = seq.slice(cycle * 10, cycle * 10 + 10);
      expect([...window].filter((c) => c === "a")).toHaveLength(7);
      expect([...window].filter((c) => c === "b")).toHaveLength(2);
      expect([...window].filter((c) => c === "c")).toHaveLength(1);
    }
  });

  it("splits 1:3 over 400 picks as exactly 100/300", () => {
    const seq = sequence([1, 3], 400);
    expect([...seq].filter((c) => c === "a")).toHaveLength(100);
    expect([...seq].filter((c) => c === "b")).toHaveLength(300);
  });
});

describe("leastInFlight", () => {
  it.each([
    { loads: [2, 0, 0], start: 0, expected: 1 },
    { loads: [2, 0, 0], start: 2, expected: 2 },
    { loads: [0, 0, 0], start: 1, expected: 1 },
    { loads: [3, 1, 2], start: 0, expected: 1 },
    { loads: [], start: 0, expected: -1 },
  ])("loads $loads from $start pick $expected", ({ loads, start, expected }) => {
    expect(
      leastInFlight(
        loads.map((inFlight) => ({ inFlight })),
        start,
      ),
    ).toBe(expected);
  });

  it("never picks skipped items", () => {
    const items = [{ inFlight: 0 }, { inFlight: 5 }, { inFlight: 0 }];
    expect(leastInFlight(items, 0, items[0] ?? null, items[2] ?? null)).toBe(1);
    expect(leastInFlight([items[0]!], 0, items[0] ?? null)).toBe(-1);
  });

  it("rotates ties like round-robin", () => {
    const items = [{ inFlight: 0 }, { inFlight: 0 }, { inFlight: 0 }];
    expect([0, 1, 2, 3].map((start) => leastInFlight(items, start))).toEqual([0, 1, 2, 0]);
  });
});

describe("cohortRanges / cohortOwner (sticky buckets)", () => {
  const slots = (...weights: [share: number, usable: boolean][]) =>
    weights.map(([share, usable]) => ({ share, weight: usable ? share : 0 }));

  it.each([
    {
      name: "canary 10 %",
      slots: slots([10, true], [90, true]),
      expected: [
        { end: 1000, owner: 0 },
        { end: 10_000, owner: 1 },
      ],
    },
    {
      name: "canary 50 %",
      slots: slots([50, true], [50, true]),
      expected: [
        { end: 5000, owner: 0 },
        { end: 10_000, owner: 1 },
      ],
    },
    {
      name: "weights 1:2:4 (rounded)",
      slots: slots([1, true], [2, true], [4, true]),
      expected: [
        { end: 1429, owner: 0 },
        { end: 4286, owner: 1 },
        { end: 10_000, owner: 2 },
      ],
    },
    { name: "a weight-0 group has no range", slots: slots([0, true], [3, true]), expected: [{ end: 10_000, owner: 1 }] },
    {
      name: "an empty group's range goes to the next usable one",
      slots: slots([10, true], [10, false], [80, true]),
      expected: [
        { end: 1000, owner: 0 },
        { end: 2000, owner: 2 },
        { end: 10_000, owner: 2 },
      ],
    },
    {
      name: "an empty last group's range wraps to the first usable one",
      slots: slots([50, true], [50, false]),
      expected: [
        { end: 5000, owner: 0 },
        { end: 10_000, owner: 0 },
      ],
    },
    { name: "nothing usable", slots: slots([50, false], [0, true]), expected: [{ end: 10_000, owner: -1 }] },
    { name: "no weight at all", slots: slots([0, true]), expected: [] },
  ])("$name", ({ slots, expected }) => {
    expect(cohortRanges(slots, 10_000)).toEqual(expected);
  });

  it("is monotonic for a canary listed first: raising its weight only adds buckets", () => {
    let previous = new Set<number>();
    for (const canary of [0, 1, 5, 10, 25, 33, 50, 75, 99, 100]) {
      const ranges = cohortRanges(slots([canary, true], [100 - canary, true]), 10_000);
      const mine = new Set<number>();
      for (let bucket = 0; bucket < 10_000; bucket++) if (cohortOwner(ranges, bucket) === 0) mine.add(bucket);
      expect(mine.size).toBe(canary * 100);
      for (const bucket of previous) expect(mine.has(bucket)).toBe(true);
      previous = mine;
    }
  });

  it("owns every bucket, and none outside", () => {
    const ranges = cohortRanges(slots([3, true], [7, true]), 10_000);
    expect(cohortOwner(ranges, 0)).toBe(0);
    expect(cohortOwner(ranges, 2999)).toBe(0);
    expect(cohortOwner(ranges, 3000)).toBe(1);
    expect(cohortOwner(ranges, 9999)).toBe(1);
    expect(cohortOwner(ranges, 10_000)).toBe(-1);
  });
});

describe("cohort cookie", () => {
  it.each([
    ["slipway_cohort=42", 42],
    ["theme=dark; slipway_cohort=0", 0],
    ["a=1;slipway_cohort=9999;b=2", 9999],
    ["slipway_cohort=12 ; b=2", 12],
    ["xslipway_cohort=5; slipway_cohort=6", 6],
    ["other=slipway_cohort=5", -1],
    ["slipway_cohort=abc; slipway_cohort=7", 7],
    ["slipway_cohort=10000", -1],
    ["slipway_cohort=007", -1],
    ["slipway_cohort=", -1],
    ["slipway_cohort=1 2", -1],
    ['slipway_cohort="12"', -1],
    ["slipway_cohort", -1],
    ["", -1],
  ])("reads %j as %i", (header, bucket) => {
    expect(cohortFromCookie(header, "slipway_cohort")).toBe(bucket);
  });

  it("builds the Set-Cookie value and gives a fresh cohort", () => {
    expect(cohortSetCookie("slipway_cohort", 42)).toBe("slipway_cohort=42; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax");
    const head = { cohort: -1 };
    const value = newCohort(head, "c");
    expect(head.cohort).toBeGreaterThanOrEqual(0);
    expect(head.cohort).toBeLessThan(10_000);
    expect(cohortFromCookie(value.split(";")[0] as string, "c")).toBe(head.cohort);
  });

  it("accepts only HTTP tokens as names", () => {
    expect(isToken("X-Slipway-Route")).toBe(true);
    expect(isToken("slipway_cohort")).toBe(true);
    expect(isToken("")).toBe(false);
    expect(isToken("a b")).toBe(false);
    expect(isToken("a=b")).toBe(false);
  });
});

/** Raw headers from readable pairs. */
const raw = (pairs: [string, string][]): string[] => pairs.flat();

describe("requestHeaders", () => {
  const head = (): RequestHead => ({
    hasBody: false,
    route: undefined,
    cohort: -1,
    hostIndex: -1,
    host: undefined,
    badHost: false,
    h2c: false,
  });

  it("drops hop-by-hop headers, including those named in Connection", () => {
    const h = head();
    const input = raw([
      ["Host", "a.test"],
      ["Connection", "keep-alive, X-Secret"],
      ["Keep-Alive", "timeout=5"],
      ["X-Secret", "1"],
      ["Proxy-Authorization", "Basic x"],
      ["TE", "trailers"],
      ["Trailer", "X-T"],
      ["Upgrade", "h2c"],
      ["Accept", "*/*"],
    ]);
    expect(requestHeaders(input, "10.0.0.9", NO_SCAN, h, false)).toEqual(
      raw([
        ["Host", "a.test"],
        ["Accept", "*/*"],
        ["x-forwarded-for", "10.0.0.9"],
        ["x-forwarded-host", "a.test"],
        ["x-forwarded-proto", "http"],
        ["x-real-ip", "10.0.0.9"],
      ]),
    );
    expect(h.hasBody).toBe(false);
    expect(h.h2c).toBe(true);
  });

  const forwarded = raw([
    ["Host", "a.test"],
    ["X-Forwarded-For", "1.1.1.1"],
    ["x-forwarded-for", "2.2.2.2"],
    ["X-Forwarded-Proto", "https"],
    ["X-Forwarded-Host", "shop.test"],
    ["X-Real-IP", "1.1.1.1"],
    ["Forwarded", "for=1.1.1.1;proto=https"],
  ]);

  it("replaces X-Forwarded-For/-Proto/-Host and X-Real-IP, and drops Forwarded, from an untrusted client", () => {
    expect(requestHeaders(forwarded, "3.3.3.3", NO_SCAN, head(), false)).toEqual(
      raw([
        ["Host", "a.test"],
        ["x-forwarded-for", "3.3.3.3"],
        ["x-forwarded-host", "a.test"],
        ["x-forwarded-proto", "http"],
        ["x-real-ip", "3.3.3.3"],
      ]),
    );
    const scan = { ...NO_SCAN, trustedProxies: new TrustedProxies(["10.0.0.0/8"]) };
    expect(requestHeaders(forwarded, "3.3.3.3", scan, head(), false)).toContain("3.3.3.3");
    expect(requestHeaders(forwarded, "3.3.3.3", scan, head(), false)).not.toContain("1.1.1.1");
  });

  it("appends to X-Forwarded-For and keeps the rest from a trusted proxy", () => {
    const scan = { ...NO_SCAN, trustedProxies: new TrustedProxies(["10.0.0.0/8", "::1"]) };
    const expected = (peer: string) =>
      raw([
        ["Host", "a.test"],
        ["Forwarded", "for=1.1.1.1;proto=https"],
        ["x-forwarded-for", `1.1.1.1, 2.2.2.2, ${peer}`],
        ["x-forwarded-host", "shop.test"],
        ["x-forwarded-proto", "https"],
        ["x-real-ip", "1.1.1.1"],
      ]);
    expect(requestHeaders(forwarded, "10.1.2.3", scan, head(), false)).toEqual(expected("10.1.2.3"));
    expect(requestHeaders(forwarded, "::ffff:10.1.2.3", scan, head(), false)).toEqual(expected("::ffff:10.1.2.3"));
    expect(requestHeaders(forwarded, "::1", scan, head(), false)).toEqual(expected("::1"));
    // A trusted proxy that sent none of them gets the router's own values.
    expect(requestHeaders(raw([["Host", "a.test"]]), "10.0.0.1", scan, head(), false)).toEqual(
      raw([
        ["Host", "a.test"],
        ["x-forwarded-for", "10.0.0.1"],
        ["x-forwarded-host", "a.test"],
        ["x-forwarded-proto", "http"],
        ["x-real-ip", "10.0.0.1"],
      ]),
    );
  });

  it("flags a second Host header", () => {
    const h = head();
    requestHeaders(
      raw([
        ["Host", "a.test"],
        ["Host", "b.test"],
      ]),
      undefined,
      NO_SCAN,
      h,
      false,
    );
    expect(h.badHost).toBe(true);
  });

  it("re-frames a chunked body and notes bodies", () => {
    const h = head();
    const out = requestHeaders(
      raw([
        ["Host", "a"],
        ["Transfer-Encoding", "chunked"],
      ]),
      undefined,
      NO_SCAN,
      h,
      false,
    );
    expect(h.hasBody).toBe(true);
    expect(out.slice(2, 4)).toEqual(["transfer-encoding", "chunked"]);
    const h2 = head();
    requestHeaders(
      raw([
        ["Host", "a"],
        ["Content-Length", "0"],
      ]),
      undefined,
      NO_SCAN,
      h2,
      false,
    );
    expect(h2.hasBody).toBe(false);
  });

  it("reserves a Host slot when the client sent none, and finds the route header", () => {
    const h = head();
    const out = requestHeaders(raw([["X-Slipway-Group", "canary"]]), "1.2.3.4", { ...NO_SCAN, routeHeader: "x-slipway-group" }, h, false);
    expect(h.route).toBe("canary");
    expect(out[h.hostIndex - 1]).toBe("host");
  });

  it("reads the cohort cookie only when stickiness is on, and forwards Cookie as sent", () => {
    const input = raw([
      ["Host", "a"],
      ["Cookie", "theme=dark; slipway_cohort=321"],
      ["X-Slipway-Route", " canary "],
    ]);
    const off = head();
    expect(requestHeaders(input, undefined, NO_SCAN, off, false).slice(0, 6)).toEqual(input);
    expect(off).toMatchObject({ cohort: -1, route: undefined });
    const on = head();
    requestHeaders(input, undefined, { ...NO_SCAN, routeHeader: "x-slipway-route", stickyCookie: "slipway_cohort" }, on, false);
    expect(on).toMatchObject({ cohort: 321, route: "canary" });
  });

  it("keeps Connection: Upgrade for upgrades", () => {
    const input = raw([
      ["Host", "a"],
      ["Connection", "Upgrade"],
      ["Upgrade", "websocket"],
    ]);
    expect(requestHeaders(input, undefined, NO_SCAN, head(), true).slice(-4)).toEqual(["connection", "Upgrade", "upgrade", "websocket"]);
  });
});

describe("responseHeaders", () => {
  it("drops hop-by-hop headers and keeps repeated ones", () => {
    const input = raw([
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ["Connection", "keep-alive"],
      ["Keep-Alive", "timeout=5"],
      ["Transfer-Encoding", "chunked"],
      ["Content-Type", "text/plain"],
    ]);
    expect(responseHeaders(input)).toEqual(
      raw([
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
        ["Content-Type", "text/plain"],
      ]),
    );
  });
});

describe("passive health and keep-alive rules (pure)", () => {
  it("skips ejected targets unless nothing else is left", () => {
    const items = [{ inFlight: 0, ejectedUntil: 50 }, { inFlight: 3 }, { inFlight: 1, ejectedUntil: 5 }];
    expect(leastInFlight(items, 0, null, null, 10)).toBe(2); // item 2's ejection is over at 10
    expect(leastInFlight(items, 0, null, null, 4)).toBe(1);
    expect(leastInFlight(items, 0, items[1], null, 4)).toBe(-1);
    expect(leastInFlight(items, 0, items[1], null, 4, true)).toBe(0);
  });

  it("ejects on connection failures only", () => {
    const err = (code: string, syscall = "connect") => Object.assign(new Error(code), { code, syscall });
    expect(connectFailed(err("ECONNREFUSED"))).toBe(true);
    expect(connectFailed(err("EHOSTUNREACH"))).toBe(true);
    expect(connectFailed(err("ECONNRESET"))).toBe(true);
    expect(connectFailed(err("ECONNRESET", "read"))).toBe(false);
    expect(connectFailed(err("EPIPE", "write"))).toBe(false);
  });

  it("doubles the ejection period up to the cap", () => {
    expect([0, 1, 2, 3, 5, 6, 40].map((n) => ejectionPeriod(n))).toEqual([0, 1000, 2000, 4000, 16_000, 30_000, 30_000]);
  });

  it("keeps an idle socket below the instance's announced keep-alive timeout", () => {
    expect(idleTimeoutFor(1000, undefined)).toBe(1000);
    expect(idleTimeoutFor(1000, "timeout=5")).toBe(1000);
    expect(idleTimeoutFor(10_000, "timeout=5")).toBe(4000);
    expect(idleTimeoutFor(10_000, "timeout=5, max=100")).toBe(4000);
    expect(idleTimeoutFor(1000, "timeout=1")).toBe(500);
    expect(idleTimeoutFor(1000, "timeout=0")).toBe(0);
    expect(idleTimeoutFor(1000, "max=5")).toBe(1000);
  });

  it("checks trusted proxy entries", () => {
    expect(["10.0.0.0/8", "192.0.2.1", "::1", "fd00::/8"].map(cidrProblem)).toEqual([null, null, null, null]);
    expect(cidrProblem("10.0.0.0/33")).toBe("prefix length must be 0-32 for IPv4");
    expect(cidrProblem("example.com")).toMatch(/must be an IP address or a CIDR block/);
    expect(cidrProblem("10.0.0.0/8/1")).toMatch(/must be an IP address or a CIDR block/);
  });

  it("turns an absolute-form target into origin-form only when it names the Host", () => {
    expect(originForm("/a?b=1", "shop.test")).toBe("/a?b=1");
    expect(originForm("http://shop.test/a?b=1", "shop.test")).toBe("/a?b=1");
    expect(originForm("http://SHOP.test:80/a", "shop.test")).toBe("/a");
    expect(originForm("http://evil.test/a", "shop.test")).toBeNull();
    expect(originForm("ftp://shop.test/a", "shop.test")).toBeNull();
  });
});
