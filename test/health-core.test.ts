import { afterEach, describe, expect, it, vi } from "vitest";
import { checkKey, runCheck, safeOutput } from "../src/health/checks.js";
import { createHealth, DEFAULT_HEALTH_PATHS } from "../src/health/index.js";
import { hasToken } from "../src/health/token.js";

afterEach(() => vi.unstubAllEnvs());

describe("createHealth().handle", () => {
  it("answers only its paths, GET and HEAD (405 otherwise), with content-length", async () => {
    const health = createHealth();
    expect(health.paths).toEqual(DEFAULT_HEALTH_PATHS);
    expect(await health.handle({ method: "GET", path: "/" })).toBeUndefined();
    expect(await health.handle({ method: "GET", path: "/healthz" })).toBeUndefined();
    expect(await health.handle({ method: "GET", path: "/health/" })).toBeUndefined();

    const get = await health.handle({ method: "GET", path: "/health?verbose=1" });
    expect(get).toEqual({
      status: 200,
      headers: { "content-type": "application/health+json", "cache-control": "no-store", "content-length": "17" },
      body: '{"status":"pass"}',
    });
    const head = await health.handle({ method: "HEAD", path: "/health/ready" });
    expect(head).toMatchObject({ status: 200, body: "", headers: { "content-length": "17" } });
    const post = await health.handle({ method: "POST", path: "/health/detailed" });
    expect(post).toMatchObject({ status: 405, headers: { allow: "GET, HEAD" } });
  });

  it("takes version and releaseId from SLIPWAY_VERSION and SLIPWAY_RELEASE, and leaves them out when unset", async () => {
    vi.stubEnv("SLIPWAY_VERSION", "v9");
    vi.stubEnv("SLIPWAY_RELEASE", "12");
    expect(await createHealth().report()).toEqual({ status: "pass", version: "v9", releaseId: "12", checks: {} });
    vi.stubEnv("SLIPWAY_VERSION", "");
    vi.stubEnv("SLIPWAY_RELEASE", "");
    expect(await createHealth().report()).toEqual({ status: "pass", checks: {} });
  });

  it("fails liveness when `alive` says so, without running checks", async () => {
    const check = vi.fn(async () => {});
    const health = createHealth({ alive: () => false, checks: [{ name: "db", check }] });
    const res = await health.handle({ path: "/health" });
    expect([res?.status, res?.body]).toEqual([503, '{"status":"fail","output":"not alive"}']);
    expect(check).not.toHaveBeenCalled();
  });

  it("shares one in-flight evaluation, and re-runs a failed one after cacheFor", async () => {
    let calls = 0;
    const health = createHealth({
      cacheFor: 0,
      checks: [
        {
          name: "db",
          check: async () => {
            calls++;
            await new Promise((r) => setTimeout(r, 30));
            throw new Error("down");
          },
        },
      ],
    });
    const reports = await Promise.all([health.report(), health.report(), health.handle({ path: "/health/ready" })]);
    expect(calls).toBe(1);
    expect(reports[0]?.status).toBe("fail");
    await health.report();
    expect(calls).toBe(2);
  });
});

describe("createHealth options", () => {
  it.each([
    [{ token: "" }, "createHealth: token is empty; leave it undefined to keep the detailed endpoint open"],
    [{ timeout: -1 }, "createHealth: timeout must be a number of milliseconds >= 0, got -1"],
    [{ cacheFor: Number.NaN }, "createHealth: cacheFor must be a number of milliseconds >= 0, got NaN"],
    [{ checks: [{ name: "db", check: () => {}, timeout: -5 }] }, "createHealth: db.timeout must be a number of milliseconds >= 0, got -5"],
  ])("rejects %j", (options, message) => {
    expect(() => createHealth(options)).toThrow(message);
  });
});

describe("runCheck", () => {
  it("reports the check's own measurement, or its duration in ms", async () => {
    const own = await runCheck({ name: "pool:connections", check: () => ({ observedValue: 7, observedUnit: "connections" }) }, 100);
    expect(own).toEqual({ observedValue: 7, observedUnit: "connections", status: "pass", time: expect.any(String) });
    const timed = await runCheck({ name: "db", componentType: "datastore", check: () => {} }, 100);
    expect(timed).toEqual({
      componentType: "datastore",
      observedValue: expect.any(Number),
      observedUnit: "ms",
      status: "pass",
      time: expect.any(String),
    });
  });

  it("turns a synchronous throw, a rejection with a non-Error and a timeout into safe outputs", async () => {
    const sync = await runCheck(
      {
        name: "a",
        check: () => {
          throw new Error("boom");
        },
      },
      100,
    );
    expect(sync).toMatchObject({ status: "fail", output: "boom" });
    const odd = await runCheck({ name: "b", critical: false, check: () => Promise.reject({ password: "x" }) }, 100);
    expect(odd).toMatchObject({ status: "warn", output: "check failed" });
    // a check that rejects on abort still reports the timeout, not its AbortError
    const aborting = await runCheck(
      {
        name: "c",
        check: (signal) =>
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")))),
      },
      50,
    );
    expect(aborting).toMatchObject({ status: "fail", output: "timed out after 50ms" });
  });

  it("keys checks as component:measurement", () => {
    expect(checkKey({ name: "postgres" })).toBe("postgres:responseTime");
    expect(checkKey({ name: "postgres:connections" })).toBe("postgres:connections");
  });
});

describe("safeOutput", () => {
  it.each([
    ["first line only: no stack", new Error("query failed\n    at Pool.query (/app/node_modules/pg/lib/pool.js:1:1)"), "query failed"],
    [
      "credentials in URLs masked",
      new Error("connect to postgres://app:s3cret@db:5432/app failed"),
      "connect to postgres://***@db:5432/app failed",
    ],
    ["a string", "plain string", "plain string"],
    ["an empty message", new TypeError(""), "TypeError"],
    ["truncated", new Error("x".repeat(500)), `${"x".repeat(199)}…`],
  ])("%s", (_label, err, expected) => {
    expect(safeOutput(err)).toBe(expected);
  });
});

describe("hasToken", () => {
  it.each([
    [{ authorization: "Bearer t0k" }, "", true],
    [{ authorization: "bearer t0k" }, "", true],
    [{ authorization: ["Bearer t0k"] }, "", true],
    [{}, "token=t0k", true],
    [{}, "a=1&token=t0k", true],
    [{ authorization: "Bearer t0" }, "", false],
    [{ authorization: "Basic t0k" }, "", false],
    [{}, "token=", false],
    [{}, "", false],
  ])("%j ?%s -> %s", (headers, query, expected) => {
    expect(hasToken("t0k", headers, query)).toBe(expected);
  });
});
