import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { dockerGate, ensureNodeBaseImage, removeAppContainers, removeAppImages } from "./support/docker.js";
import { answersSentAfter } from "./support/load.js";
import { freePort, REPO, TestProject, waitFor } from "./support/project.js";
import { sidePort, SIDE_HOST } from "./support/ports.js";

const gate = await dockerGate();

/** slipway.yaml of the docker test app; `strategy` is a YAML fragment. */
function dockerConfig(
  port: number,
  name: string,
  strategy = "strategy:\n  type: rolling\n  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 300ms }\n",
): string {
  return `name: ${name}
platform: docker
listen: 127.0.0.1:${port}
app:
  build: { context: ., dockerfile: Dockerfile }
  replicas: 2
  resources: { cpus: 1, memory: 256MB }
  shutdown: { signal: SIGTERM, timeout: 10s }
health:
  startup: { http: /health, interval: 100ms, failureThreshold: 100 }
  readiness: { http: /health, interval: 200ms, failureThreshold: 2 }
${strategy}drain: { timeout: 5s }
progressDeadline: 20s
retain: 3
`;
}

describe.skipIf(!gate.run)("docker platform, real engine", () => {
  let project: TestProject | undefined;
  let n = 0;
  let app = "";
  const create = async (strategy?: string) => {
    const name = (app = `swtest-${process.pid}-${++n}`);
    project = await TestProject.create((port) => dockerConfig(port, name, strategy));
    cpSync(join(REPO, "test/fixtures/docker-app"), project.dir, { recursive: true });
    return project;
  };
  beforeAll(async () => {
    await ensureNodeBaseImage();
  }, 120_000);
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
    await removeAppContainers(gate.docker, app); // whatever cleanup() could not stop
    await removeAppImages(gate.docker, app); // vfs storage: every image is a full copy
  });

  it("builds the image, deploys rolling under load with zero failed requests, then canary and blue-green the same way", async () => {
    const p = await create(
      [
        "strategy:",
        "  type: rolling",
        "  rolling: { maxSurge: 1, maxUnavailable: 0, minReady: 300ms }",
        "  canary:",
        "    steps: [{ setWeight: 50 }, { pause: 500ms }]",
        "  blueGreen: { previewListen: " + SIDE_HOST + ":" + (await sidePort()) + ", scaleDownDelay: 1m }",
        "",
      ].join("\n"),
    );
    const first = await p.run("deploy", "--version", "v1");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/runs image swtest-\d+-\d+:release-1/);
    expect(first.stdout).toMatch(/r1-1 starting -> ready: readiness passed; container healthy/); // the image's HEALTHCHECK gates readiness

    const load = startLoad({ url: p.url, rate: 200, concurrency: 8 });
    for (const [version, strategy] of [
      ["v2", "rolling"],
      ["v3", "canary"],
      ["v4", "blue-green"],
    ] as const) {
      const r = await p.run("deploy", "--version", version, "--strategy", strategy);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`(${strategy})`);
    }
    const after = await answersSentAfter(load, Date.now());
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(Object.keys(report.versions).sort()).toEqual(["v1", "v2", "v3", "v4"]);
    expect(after.filter((t) => t.version !== "v4")).toEqual([]);
  });

  it("a container that never becomes healthy fails the deploy and the old release keeps serving", async () => {
    const p = await create();
    await p.ok("deploy", "--version", "v1");
    const load = startLoad({ url: p.url, rate: 100, concurrency: 4 });
    const bad = await p.run("deploy", "--version", "v2", "--env", "BROKEN=health");
    const report = await load.stop();
    expect(bad.code).toBe(1);
    // whichever instance fails first (both may be starting), and whichever notices first: Slipway's startup
    // probe, or the image's HEALTHCHECK
    expect(bad.stderr).toMatch(
      /release 2 \(v2\) failed: instance r2-\d failed: (startup probe failed: startup: GET \/health -> 503|liveness probe failed: container HEALTHCHECK reports unhealthy)/,
    );
    expect(report.failed).toBe(0);
    expect(Object.keys(report.versions)).toEqual(["v1"]);
  });

  it("rolls back to a retained image, and a restarted daemon adopts the running containers", async () => {
    const p = await create();
    await p.ok("deploy", "--version", "v1");
    await p.ok("deploy", "--version", "v2");
    const back = await p.run("rollback", "--to", "1");
    expect(back.code).toBe(0);
    expect(JSON.parse((await p.get("/")).body).version).toBe("v1");
    const before = await p.status();

    process.kill(p.daemonPid()!, "SIGKILL");
    const up = await p.run("up");
    expect(up.stdout).toMatch(/adopted running instances: r1-\d+, r1-\d+/);
    const served = await waitFor("v1 to serve again", async () => {
      const r = await p.get("/").catch(() => undefined);
      return r?.status === 200 ? r.body : undefined;
    });
    expect(JSON.parse(served).version).toBe("v1");
    const after = await p.status();
    expect(after.instances.map((i) => i.id).sort()).toEqual(before.instances.map((i) => i.id).sort());
    // logs come from the engine for containers
    const logs = await p.run("logs", "--release", "1");
    expect(logs.stdout).toMatch(/r1-\d+ \| docker-app v1 listening on \d+/);
  });
});

describe.skipIf(!gate.run)("docker images in a registry", () => {
  let project: TestProject | undefined;
  let registry: ChildProcess | undefined;
  let dir = "";
  const app = `swreg-${process.pid}`;
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
    registry?.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
    await removeAppContainers(gate.docker, app);
    await removeAppImages(gate.docker, app);
  });

  it("pushes the built image; credentials from the environment are used and never stored", async () => {
    const bin = ["/usr/bin/docker-registry", "/usr/sbin/docker-registry"].find((b) => existsSync(b));
    if (!bin) {
      if (process.env.SLIPWAY_REQUIRE_DOCKER === "1") throw new Error("docker-registry is not installed (apt-get install docker-registry)");
      console.warn("registry test skipped: docker-registry is not installed");
      return;
    }
    await ensureNodeBaseImage();
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), "slipway-registry-"));
    writeFileSync(
      join(dir, "config.yml"),
      `version: 0.1\nstorage: { filesystem: { rootdirectory: ${dir}/data } }\nhttp: { addr: 127.0.0.1:${port} }\n`,
    );
    registry = spawn(bin, ["serve", join(dir, "config.yml")], { stdio: "ignore" });
    await waitFor("the registry", async () => (await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.ok);

    project = await TestProject.create((p) => dockerConfig(p, app) + `registry: { repository: 127.0.0.1:${port}/team/${app} }\n`);
    cpSync(join(REPO, "test/fixtures/docker-app"), project.dir, { recursive: true });
    const secret = `s3cret-${process.pid}`;
    const r = await project.runWith({ DOCKER_USERNAME: "deployer", DOCKER_PASSWORD: secret }, "deploy", "--version", "v1");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pushed 127.0.0.1:${port}/team/${app}:release-1 and 127.0.0.1:${port}/team/${app}:v1`);
    const tags = (await (await fetch(`http://127.0.0.1:${port}/v2/team/${app}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(["release-1", "v1"]);
    // the instances run the pushed reference
    const status = await project.json<{ instances: { version: string; state: string }[] }>("status");
    expect(status.instances.map((i) => i.state)).toEqual(["ready", "ready"]);
    // the password is nowhere in Slipway's state
    for (const file of ["ledger.db", "ledger.db-wal", "daemon.log"]) {
      const path = join(project.dir, ".slipway", file);
      if (existsSync(path)) expect(readFileSync(path).includes(secret)).toBe(false);
    }
  });
});
