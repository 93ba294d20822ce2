import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, startPebble } from "./support/pebble.js";
import { helloConfig, killProcessesUnder, TestProject, waitFor } from "./support/project.js";

const run = promisify(execFile);

/**
 * Automatic certificates through the CLI: slipway.yaml names an ACME
 * directory (Debian's Pebble on loopback) and the daemon's router gets the
 * certificate; `slipway status` shows it, and shows a failed challenge with
 * the host and what the CA said.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("slipway deploy with router.tls.acme", () => {
  it("serves HTTPS with a certificate from the CA, redirects plain HTTP, and shows each certificate's state in status", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-acme-cli-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const httpPort = await freePort();
    const tlsPort = await freePort();
    const pebble = await startPebble(dir, { httpPort, validitySeconds: 3600 });
    cleanups.push(() => pebble.stop());
    await pebble.resolve("down.test", "127.0.0.9"); // the CA cannot reach this one
    const router = [
      "router:",
      "  hosts: [shop.test, down.test]",
      "  tls:",
      `    listen: 127.0.0.1:${tlsPort}`,
      `    acme: { directory: "${pebble.directory}", ca: ${pebble.apiCa}, email: ops@shop.test }`,
      "    hsts: true",
      "",
    ].join("\n");
    // Listening where the CA's HTTP-01 request arrives; no other project shares it, so this project's
    // shared router lives under the test's own SLIPWAY_ROUTERS.
    const project = await TestProject.create((own) =>
      helloConfig(own, router).replace(`listen: 127.0.0.1:${own}`, `listen: 127.0.0.1:${httpPort}`),
    );
    const routers = join(dir, "routers");
    cleanups.push(async () => {
      await project.runWith({ SLIPWAY_ROUTERS: routers }, "down");
      await project.cleanup();
      killProcessesUnder(routers);
    });
    const cli = (...args: string[]) => project.runWith({ SLIPWAY_ROUTERS: routers }, ...args);
    const deployed = await cli("deploy", "--version", "v1");
    expect(deployed.code, deployed.stderr).toBe(0);
    type Cert = { host: string; state: string; error?: string };
    const certificates = async () => {
      const r = await cli("status", "--json");
      return (JSON.parse(r.stdout) as { traffic: { certificates: Cert[] } }).traffic.certificates;
    };
    await waitFor("shop.test valid, down.test failed", async () => {
      const c = await certificates();
      return c.find((x) => x.host === "shop.test")?.state === "valid" && c.find((x) => x.host === "down.test")?.state === "failed";
    });
    const text = (await cli("status")).stdout;
    expect(text).toMatch(/certificate shop\.test: valid until \d{4}-\d\d-\d\d \d\d:\d\d \(renews /);
    expect(text).toMatch(/certificate down\.test: FAILED: down\.test: .*127\.0\.0\.9.*connection refused \(retrying at /);
    // HTTPS with the CA's certificate; plain HTTP redirects.
    const root = join(dir, "pebble-root.pem");
    writeFileSync(root, await pebble.root());
    const { stdout } = await run("curl", [
      "-sS",
      "--http2",
      "--cacert",
      root,
      "--resolve",
      `shop.test:${tlsPort}:127.0.0.1`,
      "-D",
      "-",
      `https://shop.test:${tlsPort}/`,
    ]);
    expect(stdout).toMatch(/^HTTP\/2 200/);
    expect(stdout).toMatch(/"version":"v1"/);
    // node:http, since fetch may not set Host.
    const plain = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .get({ host: "127.0.0.1", port: httpPort, path: "/x", headers: { host: "shop.test" }, agent: false }, resolve)
        .on("error", reject),
    );
    plain.resume();
    expect([plain.statusCode, plain.headers.location]).toEqual([308, `https://shop.test:${tlsPort}/x`]);
    // The router keeps account and certificates private, in its own directory (a shared router's, here).
    const acmeDir = join(routers, `127.0.0.1_${httpPort}`, ".slipway", "acme");
    expect(statSync(acmeDir).mode & 0o777).toBe(0o700);
  });
});
