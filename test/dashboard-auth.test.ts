import type { IncomingMessage } from "node:http";
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import { hostGuard, isLoopback } from "../src/dashboard/host-guard.js";
import { cookieOf, CSRF_HEADER, SESSION_COOKIE, SessionAuth } from "../src/dashboard/session-auth.js";
import { FakeClock } from "./support/fake-clock.js";

/** A request as SessionAuth reads it: only its headers. */
function req(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe("SessionAuth", () => {
  it("redeems the token once for a session whose cookie is its key; a wrong token redeems nothing", () => {
    const auth = new SessionAuth(new FakeClock(1_000));
    const token = auth.token!;
    expect(token).toMatch(/^[\w-]{32}$/);
    expect(auth.redeem("x".repeat(32))).toBeNull();
    expect(auth.redeem(null)).toBeNull();
    const first = auth.redeem(token)!;
    expect(first.session.label).toMatch(/^[0-9a-f]{6}$/);
    expect(auth.token).toBeNull();
    expect(auth.redeem(token)).toBeNull(); // used
    expect(auth.session(req({ cookie: `other=1; ${SESSION_COOKIE}=${first.cookie}` }))).toBe(first.session);
    expect(auth.session(req({ cookie: `${SESSION_COOKIE}=${first.cookie}x` }))).toBeNull();
    expect(auth.session(req({}))).toBeNull();
  });

  it("checks the CSRF header against the session's token", () => {
    const auth = new SessionAuth(new FakeClock());
    const { session } = auth.redeem(auth.token)!;
    expect(auth.csrfOk(req({ [CSRF_HEADER]: session.csrf }), session)).toBe(true);
    expect(auth.csrfOk(req({ [CSRF_HEADER]: `${session.csrf}0` }), session)).toBe(false);
    expect(auth.csrfOk(req({}), session)).toBe(false);
  });

  it("ends a session unused for 12 hours; use keeps it alive", async () => {
    const clock = new FakeClock(0);
    const auth = new SessionAuth(clock);
    const { cookie } = auth.redeem(auth.token)!;
    const asked = () => auth.session(req({ cookie: `${SESSION_COOKIE}=${cookie}` }));
    await clock.advance(11 * 3600_000);
    expect(asked()).not.toBeNull();
    await clock.advance(11 * 3600_000); // 11 h after the last use
    expect(asked()).not.toBeNull();
    await clock.advance(12 * 3600_000 + 1);
    expect(asked()).toBeNull();
  });

  it("sets an HttpOnly SameSite=Strict cookie, Secure over HTTPS", () => {
    expect(SessionAuth.setCookie("abc", false)).toBe(`${SESSION_COOKIE}=abc; Path=/; HttpOnly; SameSite=Strict`);
    expect(SessionAuth.setCookie("abc", true)).toBe(`${SESSION_COOKIE}=abc; Path=/; HttpOnly; SameSite=Strict; Secure`);
    expect(cookieOf(" a=1 ;b = 2", "b")).toBe("2");
    expect(cookieOf(undefined, "b")).toBeNull();
  });
});

describe("hostGuard", () => {
  it("accepts a loopback dashboard's own names with its port, and nothing else", () => {
    const ok = hostGuard({ host: "127.0.0.1", port: 7070 }, [], false);
    for (const h of ["127.0.0.1:7070", "localhost:7070", "LOCALHOST:7070", "[::1]:7070"]) expect(ok(h)).toBe(true);
    for (const h of ["evil.example:7070", "127.0.0.1:7071", "127.0.0.1", "localhost.evil.example:7070", "", "127.0.0.1:7070:1"])
      expect(ok(h)).toBe(false);
    expect(ok(undefined)).toBe(false);
  });

  it("takes dashboard.hosts, the scheme's default port, and a wildcard listener's machine names", () => {
    const tls = hostGuard({ host: "10.1.2.3", port: 443 }, ["deploy.example"], true);
    expect(tls("deploy.example")).toBe(true);
    expect(tls("10.1.2.3:443")).toBe(true);
    expect(tls("localhost:443")).toBe(false);
    const any = hostGuard({ host: "0.0.0.0", port: 7070 }, [], false);
    expect(any(`${hostname()}:7070`)).toBe(true);
    expect(any("127.0.0.1:7070")).toBe(true);
    expect(any("rebound.example:7070")).toBe(false);
  });

  it("knows loopback addresses", () => {
    expect(["127.0.0.1", "127.3.4.5", "::1", "localhost"].map(isLoopback)).toEqual([true, true, true, true]);
    expect(["0.0.0.0", "10.0.0.1", "::", "128.0.0.1"].map(isLoopback)).toEqual([false, false, false, false]);
  });
});
