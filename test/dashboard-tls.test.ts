import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/clock.js";
import { startDashboard, type Dashboard } from "../src/dashboard/dashboard-server.js";

/**
 * The dashboard over HTTPS (`dashboard.tls`), in process, with a self-signed
 * certificate made by openssl. No daemon runs: its socket does not exist, so
 * the feed keeps retrying in the background; the session flow never needs it.
 */
let dir = "";
let dashboard: Dashboard | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-dashboard-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" }); // prettier-ignore
  dashboard = await startDashboard({
    socketPath: join(dir, "daemon.sock"),
    listen: { host: "127.0.0.1", port: 0 },
    tls: { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) },
    hosts: [],
    app: "tls-test",
    operator: "test@host",
    clock: systemClock,
  });
});

afterAll(async () => {
  await dashboard?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(join(dir, "cert.pem")), headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the dashboard over HTTPS", () => {
  it("serves its link as https, sets a Secure session cookie, and still refuses what has no session", async () => {
    const url = dashboard!.url;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    const origin = new URL(url).origin;
    expect((await get(`${origin}/api/state`)).status).toBe(401);
    const redeemed = await get(url);
    expect(redeemed.status).toBe(303);
    expect(redeemed.headers.location).toBe("/");
    const cookie = String(redeemed.headers["set-cookie"]);
    expect(cookie).toMatch(/^slipway_dashboard=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    const page = await get(`${origin}/`, { cookie: cookie.split(";")[0]! });
    expect(page.status).toBe(200);
    expect(page.body).toContain("<title>tls-test · Slipway</title>");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect((await get(url)).status).toBe(401); // the token worked once
  });
});
