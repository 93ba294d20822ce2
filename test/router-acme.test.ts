import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { RouterHost } from "../src/routerd/host.js";
import type { AcmeHostStatus } from "../src/routerd/acme.js";
import type { ListenerState } from "../src/routerd/state.js";
import { freePort, startPebble } from "./support/pebble.js";

/**
 * Automatic certificates against Debian's Pebble (Let's Encrypt's test CA)
 * on loopback: the real ACME protocol, the CA's real HTTP-01 request to the
 * router's plain port (Pebble's mock DNS points every name at 127.0.0.1).
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(validitySeconds: number) {
  const dir = mkdtempSync(join(tmpdir(), "slipway-acme-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const httpPort = await freePort();
  const pebble = await startPebble(dir, { httpPort, validitySeconds });
  cleanups.push(() => pebble.stop());
  const app = http.createServer((req, res) => res.end(`app ${req.headers["x-forwarded-proto"]}`));
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => app.close(() => resolve())));
  const logs: string[] = [];
  const acmeDir = join(dir, "acme");
  const host = new RouterHost({ onChange: () => undefined, log: (m) => logs.push(m), acmeDir });
  cleanups.push(() => host.close());
  const tlsPort = await freePort();
  const listener = (hosts: string[]): ListenerState => ({
    listen: { host: "127.0.0.1", port: httpPort },
    hosts,
    options: { name: "app" },
    groups: [{ name: "r1", weight: 1, targets: [{ id: "app-1", host: "127.0.0.1", port: (app.address() as AddressInfo).port }] }],
    tls: {
      listen: { host: "127.0.0.1", port: tlsPort },
      certificates: [],
      redirect: true,
      acme: { directory: pebble.directory, caFile: pebble.apiCa, renewalWindow: 0.5, email: "ops@app.test" },
    },
  });
  return { dir, acmeDir, pebble, host, tlsPort, httpPort, listener, logs };
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

const statusOf = (host: RouterHost, name: string): AcmeHostStatus | undefined => host.acmeStatus().find((s) => s.host === name);

/** An HTTPS request for `name` on a new connection, trusting Pebble's root: the body and the served certificate's serial. */
function get(port: number, name: string, root: string): Promise<{ status: number; text: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, servername: name, headers: { host: name }, ca: root, agent: false }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          text,
          serial: (res.socket as import("node:tls").TLSSocket).getPeerCertificate().serialNumber,
        }),
      );
    });
    req.on("error", reject);
  });
}

describe("ACME certificates (Pebble)", () => {
  it("issues a certificate over HTTP-01, serves it by SNI, keeps account and certificate private, and serves it again after a restart without a new order", async () => {
    const t = await setup(3600);
    await t.host.apply("public", t.listener(["app.test"]));
    const valid = await until("a valid certificate", () => {
      const s = statusOf(t.host, "app.test");
      return s?.state === "valid" ? s : undefined;
    });
    expect(valid.error).toBeUndefined();
    const root = await t.pebble.root();
    const got = await get(t.tlsPort, "app.test", root);
    expect([got.status, got.text]).toEqual([200, "app https"]);
    // Files 0600 in 0700 directories.
    const files: string[] = [];
    const walk = (d: string) => {
      expect(statSync(d).mode & 0o777).toBe(0o700);
      for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (f: string) => files.push(f))(join(d, e.name));
    };
    walk(t.acmeDir);
    expect(files.map((f) => f.slice(t.acmeDir.length)).sort()).toEqual([
      expect.stringMatching(/^\/accounts\/localhost-[0-9a-f]{8}\.key$/),
      expect.stringMatching(/^\/certificates\/localhost-[0-9a-f]{8}\/app\.test\/cert\.pem$/),
      expect.stringMatching(/^\/certificates\/localhost-[0-9a-f]{8}\/app\.test\/key\.pem$/),
    ]);
    for (const f of files) expect(statSync(f).mode & 0o777).toBe(0o600);
    // A new router (a restart) serves the certificate on disk at once: no order (Pebble would issue another serial).
    await t.host.close();
    const again = new RouterHost({ onChange: () => undefined, acmeDir: t.acmeDir });
    cleanups.push(() => again.close());
    await again.apply("public", t.listener(["app.test"]));
    await until("the saved certificate", () => statusOf(again, "app.test")?.state === "valid");
    expect((await get(t.tlsPort, "app.test", root)).serial).toBe(got.serial);
  });

  it("renews a short-lived certificate ahead of expiry without a restart and without failing a request", async () => {
    const t = await setup(12); // renewed at half its life: 6 s
    await t.host.apply("public", t.listener(["app.test"]));
    const first = await until("a valid certificate", () => statusOf(t.host, "app.test")?.notAfter);
    const root = await t.pebble.root();
    const serials = new Set<string>();
    const failures: string[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const got = await get(t.tlsPort, "app.test", root);
        if (got.status !== 200) failures.push(String(got.status));
        serials.add(got.serial);
      } catch (err) {
        failures.push((err as Error).message);
      }
      if (serials.size >= 2 && statusOf(t.host, "app.test")?.notAfter !== first) break;
      await sleep(100);
    }
    expect(failures).toEqual([]);
    expect(serials.size).toBeGreaterThanOrEqual(2);
    expect(new Date(statusOf(t.host, "app.test")?.notAfter ?? 0).getTime()).toBeGreaterThan(new Date(first).getTime());
    expect(t.logs.filter((l) => l.includes("certificate for app.test issued")).length).toBeGreaterThanOrEqual(2);
  });

  it("reports a failed challenge with the host and what the CA said, keeps the other hosts served, and retries later", async () => {
    const t = await setup(3600);
    await t.pebble.resolve("down.test", "127.0.0.9"); // nothing answers the CA there
    await t.host.apply("public", t.listener(["app.test", "down.test"]));
    const failed = await until("a failure", () => {
      const s = statusOf(t.host, "down.test");
      return s?.state === "failed" ? s : undefined;
    });
    expect(failed.error).toMatch(/^down\.test: .*(127\.0\.0\.9|connection refused|Connection refused)/i);
    expect(new Date(failed.retryAt ?? 0).getTime()).toBeGreaterThan(Date.now());
    expect(t.logs.join("\n")).toContain("acme: cannot get a certificate for down.test:");
    await until("app.test valid", () => statusOf(t.host, "app.test")?.state === "valid");
  });
});
