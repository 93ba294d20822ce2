import { describe, expect, it } from "vitest";
import { leastInFlight, nextSmooth, type WeightedSlot } from "../src/router/balancer.js";
import { requestHeaders, responseHeaders, type RequestHead } from "../src/router/headers.js";

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

/** Raw headers from readable pairs. */
const raw = (pairs: [string, string][]): string[] => pairs.flat();

describe("requestHeaders", () => {
  const head = (): RequestHead => ({ hasBody: false, route: undefined, hostIndex: -1 });

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
    expect(requestHeaders(input, "10.0.0.9", null, h, false)).toEqual(
      raw([
        ["Host", "a.test"],
        ["Accept", "*/*"],
        ["x-forwarded-for", "10.0.0.9"],
        ["x-forwarded-host", "a.test"],
        ["x-forwarded-proto", "http"],
      ]),
    );
    expect(h.hasBody).toBe(false);
  });

  it("appends to X-Forwarded-For and replaces X-Forwarded-Proto/Host", () => {
    const input = raw([
      ["Host", "a.test"],
      ["X-Forwarded-For", "1.1.1.1"],
      ["x-forwarded-for", "2.2.2.2"],
      ["X-Forwarded-Proto", "https"],
      ["X-Forwarded-Host", "evil"],
    ]);
    expect(requestHeaders(input, "3.3.3.3", null, head(), false)).toEqual(
      raw([
        ["Host", "a.test"],
        ["x-forwarded-for", "1.1.1.1, 2.2.2.2, 3.3.3.3"],
        ["x-forwarded-host", "a.test"],
        ["x-forwarded-proto", "http"],
      ]),
    );
  });

  it("re-frames a chunked body and notes bodies", () => {
    const h = head();
    const out = requestHeaders(
      raw([
        ["Host", "a"],
        ["Transfer-Encoding", "chunked"],
      ]),
      undefined,
      null,
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
      null,
      h2,
      false,
    );
    expect(h2.hasBody).toBe(false);
  });

  it("reserves a Host slot when the client sent none, and finds the route header", () => {
    const h = head();
    const out = requestHeaders(raw([["X-Slipway-Group", "canary"]]), "1.2.3.4", "x-slipway-group", h, false);
    expect(h.route).toBe("canary");
    expect(out[h.hostIndex - 1]).toBe("host");
  });

  it("keeps Connection: Upgrade for upgrades", () => {
    const input = raw([
      ["Host", "a"],
      ["Connection", "Upgrade"],
      ["Upgrade", "websocket"],
    ]);
    expect(requestHeaders(input, undefined, null, head(), true).slice(-4)).toEqual(["connection", "Upgrade", "upgrade", "websocket"]);
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
