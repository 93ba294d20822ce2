import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { issueCertificate, makeCa } from "./support/certs.js";
import { freePort, helloConfig, killProcessesUnder, TestProject, waitFor } from "./support/project.js";

const run = promisify(execFile);

/**
 * Several apps behind one router by host name, end to end: two projects name
 * their hosts on one listen address, so one shared router process serves both
 * (under $SLIPWAY_ROUTERS), each with its own releases, weights and drain.
 */

const projects: TestProject[] = [];
let routers = "";
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
  if (routers) {
    killProcessesUnder(routers);
    rmSync(routers, { recursive: true, force: true });
    routers = "";
  }
});

/** `slipway` in `project` with the shared routers kept in the test's directory. */
const cli = (project: TestProject, ...args: string[]) => project.runWith({ SLIPWAY_ROUTERS: routers }, ...args);
async function ok(project: TestProject, ...args: string[]): Promise<string> {
  const r = await cli(project, ...args);
  if (r.code !== 0) throw new Error(`slipway ${args.join(" ")} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function hostedProject(name: string, port: number, extra: string): Promise<TestProject> {
  const p = await TestProject.create((own) =>
    helloConfig(own, extra).replace("name: hello", `name: ${name}`).replace(`listen: 127.0.0.1:${own}`, `listen: 127.0.0.1:${port}`),
  );
  projects.push(p);
  return p;
}

/** GET / with `Host: host` (fetch may not set Host). */
function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/", headers: { host }, agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("apps sharing one router by host name", () => {
  it("serves two projects on one address, deploys them alternately under load on both with zero failed requests, and keeps one serving when the other goes down", async () => {
    routers = mkdtempSync(join(tmpdir(), "slipway-routers-"));
    const port = await freePort();
    const tlsPort = await freePort();
    const certs = mkdtempSync(join(routers, "certs-"));
    const ca = makeCa(certs);
    const cert = issueCertificate(certs, ca, "b", ["b.test"]);
    const a = await hostedProject("app-a", port, "router: { hosts: [a.test] }\n");
    const b = await hostedProject(
      "app-b",
      port,
      `router:\n  hosts: [b.test]\n  tls:\n    listen: 127.0.0.1:${tlsPort}\n    redirect: false\n    hsts: true\n    certificates: [{ cert: ${cert.cert}, key: ${cert.key} }]\n`,
    );
    await ok(a, "deploy", "--version", "a1");
    await ok(b, "deploy", "--version", "b1");
    expect(JSON.parse((await get(port, "a.test")).body)).toMatchObject({ version: "a1" });
    expect(JSON.parse((await get(port, "b.test:80")).body)).toMatchObject({ version: "b1" });
    expect(await get(port, "c.test")).toEqual({ status: 404, body: 'slipway: no app is served here for host "c.test"\n' });
    // One router process for both, in the shared directory; no router of its own in either project.
    expect(existsSync(join(a.dir, ".slipway/router.sock"))).toBe(false);
    const status = JSON.parse(await ok(b, "status", "--json")) as { traffic: { tls: { port: number }; hosts: string[] } };
    expect(status.traffic).toMatchObject({ tls: { port: tlsPort }, hosts: ["b.test"] });
    // HTTPS for b, HTTP/2 included, with its certificate.
    const { stdout } = await run("curl", [
      "-sS",
      "--http2",
      "--cacert",
      ca.cert,
      "--resolve",
      `b.test:${tlsPort}:127.0.0.1`,
      "-D",
      "-",
      `https://b.test:${tlsPort}/`,
    ]);
    expect(stdout).toMatch(/^HTTP\/2 200/);
    expect(stdout).toMatch(/strict-transport-security: max-age=31536000/);
    expect(stdout).toMatch(/"version":"b1"/);

    const loadA = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 100, concurrency: 4, headers: { host: "a.test" } });
    const loadB = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 100, concurrency: 4, headers: { host: "b.test" } });
    await ok(a, "deploy", "--version", "a2");
    await ok(b, "deploy", "--version", "b2");
    await ok(a, "deploy", "--version", "a3");
    const [reportA, reportB] = [await loadA.stop(), await loadB.stop()];
    expect(reportA.failures).toEqual([]);
    expect(reportB.failures).toEqual([]);
    expect(Object.keys(reportA.versions).sort()).toEqual(["a1", "a2", "a3"]);
    expect(Object.keys(reportB.versions).sort()).toEqual(["b1", "b2"]);
    expect(reportA.ok).toBeGreaterThan(100);
    expect(reportB.ok).toBeGreaterThan(100);

    // a goes down: b keeps its traffic, a's host is unknown now; the router goes with the last one.
    await ok(a, "down");
    expect(JSON.parse((await get(port, "b.test")).body)).toMatchObject({ version: "b2" });
    expect((await get(port, "a.test")).status).toBe(404);
    await ok(b, "down");
    await waitFor("the shared router to exit", async () => !existsSync(join(routers, `127.0.0.1_${port}`, ".slipway/router.sock")), 10_000);
  });

  it("refuses a host another project serves on the address, with one line naming both, and changes nothing", async () => {
    routers = mkdtempSync(join(tmpdir(), "slipway-routers-"));
    const port = await freePort();
    const a = await hostedProject("app-a", port, "router: { hosts: [a.test] }\n");
    const b = await hostedProject("app-b", port, "router: { hosts: [a.test] }\n");
    await ok(a, "deploy", "--version", "a1");
    const r = await cli(b, "deploy", "--version", "b1");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/host a\.test on 127\.0\.0\.1:\d+ is served by app-a-[0-9a-f]{6}\.public already/);
    expect(JSON.parse((await get(port, "a.test")).body)).toMatchObject({ version: "a1" });
  });
});
