import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { detectStack } from "../src/init/detect.js";
import { planInit } from "../src/init/plan.js";
import { projectDir } from "../src/init/project-dir.js";
import { writePlan } from "../src/init/write.js";
import { demultiplex } from "../src/platform/docker/container-logs.js";
import { buildImage } from "../src/platform/docker/image-builder.js";
import { startLoad } from "../src/load/load-generator.js";
import {
  builtLayers,
  dockerGate,
  ensureNodeBaseImage,
  NODE_BASE_IMAGE,
  ownLayers,
  removeAppContainers,
  removeAppImages,
  removeImages,
} from "./support/docker.js";
import { cleanupProjects, makeProject, nodeNpm, pythonFlaskFactory } from "./support/init-projects.js";
import { ensureNodeNpmImage, NODE_NPM_IMAGE } from "./support/node-npm-image.js";
import { freePort, killProcessesUnder, runCli, waitFor } from "./support/project.js";

// The Dockerfile `slipway init` writes for a Node app, built and run for real. Base images cannot be
// pulled here, so every `FROM node:...` line is rewritten to a local image with this machine's node and npm.
const gate = await dockerGate();
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const TAG = `slipway-test/init-node-${RUN}:1`;

async function execIn(container: Dockerode.Container, cmd: string[]): Promise<string> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return demultiplex(Buffer.concat(chunks)).trim();
}

describe.skipIf(!gate.run)("slipway init: the Node Dockerfile builds and runs (real engine)", () => {
  const docker = gate.docker as Dockerode;
  const layers: string[] = [];
  let container: Dockerode.Container | undefined;
  /** The project a test deployed: taken down after it, also when it failed or timed out. */
  let deployed: { dir: string; app: string } | undefined;
  afterEach(async () => {
    if (!deployed) return;
    await runCli(deployed.dir, ["down"], { timeoutMs: 60_000 }).catch(() => undefined);
    killProcessesUnder(deployed.dir);
    await removeAppContainers(docker, deployed.app);
    await removeAppImages(docker, deployed.app);
    deployed = undefined;
  });

  beforeAll(async () => {
    await ensureNodeNpmImage(docker);
  }, 120_000);
  afterAll(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
    await removeImages(docker, [TAG]);
    await removeImages(docker, layers.reverse());
    cleanupProjects();
  });

  it("builds, answers its health path as a non-root user, and its HEALTHCHECK turns healthy", async () => {
    const dir = makeProject(nodeNpm);
    const stack = detectStack(dir, { strategy: "rolling" });
    writePlan(dir, planInit(stack, "rolling", projectDir(dir)).files, { force: false, dryRun: false });
    const generated = readFileSync(join(dir, "Dockerfile"), "utf8");
    const froms = generated.match(/^FROM .*/gm) ?? [];
    expect(froms).toEqual(["FROM node:24.11-bookworm-slim AS deps", "FROM node:24.11-bookworm-slim AS runtime"]);
    writeFileSync(join(dir, "Dockerfile"), ownLayers(generated.replace(/^FROM node:\S+/gm, `FROM ${NODE_NPM_IMAGE}`), RUN));

    const lines: string[] = [];
    try {
      await buildImage(docker, { context: dir, tag: TAG, labels: {}, onLine: (l) => lines.push(l) });
    } finally {
      layers.push(...builtLayers(lines));
    }
    const image = await docker.getImage(TAG).inspect();
    expect(image.Config.User).toBe("1000:1000");
    expect(image.Config.Healthcheck?.Test?.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(image.Config.Cmd).toEqual(["node", "server.js"]);

    const port = await freePort();
    container = await docker.createContainer({
      Image: TAG,
      name: `slipway-init-${RUN}`,
      Env: [`PORT=${port}`],
      // The image's HEALTHCHECK command, checked every second instead of every 10 s to keep the test short.
      Healthcheck: { Interval: 1_000_000_000, StartPeriod: 1_000_000_000 },
      HostConfig: { NetworkMode: "host" },
    });
    await container.start();
    const body = await waitFor(
      "GET /healthz to answer 200",
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        return res.status === 200 ? res.text() : undefined;
      },
      20_000,
      250,
    );
    expect(JSON.parse(body)).toEqual({ status: "ok" });
    expect(await execIn(container, ["node", "-e", "console.log(process.getuid())"])).toBe("1000");
    const health = await waitFor(
      "the HEALTHCHECK to report healthy",
      async () => {
        const state = (await container!.inspect()).State.Health;
        return state?.Status === "healthy" ? state : undefined;
      },
      30_000,
      250,
    );
    expect(health.Log?.at(-1)?.ExitCode).toBe(0);
  }, 180_000);

  it("the slipway.yaml it writes deploys with Slipway on Docker: v1, then v2 rolling under load with zero failed requests", async () => {
    const dir = makeProject(nodeNpm);
    const stack = detectStack(dir, { strategy: "rolling" });
    writePlan(dir, planInit(stack, "rolling", projectDir(dir)).files, { force: false, dryRun: false });
    const dockerfile = join(dir, "Dockerfile");
    writeFileSync(dockerfile, ownLayers(readFileSync(dockerfile, "utf8").replace(/^FROM node:\S+/gm, `FROM ${NODE_NPM_IMAGE}`), RUN));
    const port = await freePort();
    const config = join(dir, "slipway.yaml");
    // not :8080, and a name of its own: another copy of the suite may deploy the same project on this engine
    const app = `${stack.name}-${process.pid}`;
    writeFileSync(
      config,
      readFileSync(config, "utf8")
        .replace(/^listen: .*$/m, `listen: 127.0.0.1:${port}`)
        .replace(/^name: .*$/m, `name: ${app}`),
    );
    deployed = { dir, app };
    const v1 = await runCli(dir, ["deploy", "--version", "v1"]);
    expect(v1.stderr).toBe("");
    expect(v1.stdout).toMatch(/release 1 \(v1\) is live/);
    const load = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 50, concurrency: 4 });
    const v2 = await runCli(dir, ["deploy", "--version", "v2"]);
    const report = await load.stop();
    expect(v2.stdout).toMatch(/release 2 \(v2\) is live in [\d.]+s \(rolling\)/);
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.sent).toBeGreaterThan(50);
  }, 240_000);
});

// The Python Dockerfile init writes for a Flask app keeping SQLite in instance/: its final stage's data
// folder must be writable by the image's user, also once a named volume is mounted there (as Slipway's
// docker platform does for app.shared). No python image or package index here: both stages start FROM a
// local busybox image and the virtualenv step becomes an empty /opt/venv; every line of the final stage
// after FROM (COPY, the RUN that creates and chowns the folder, USER) is built as written.
describe.skipIf(!gate.run)("slipway init: the Python image's user can write the app's data folder (real engine)", () => {
  const docker = gate.docker as Dockerode;
  const tools = `slipway-test/init-busybox-${RUN}:1`;
  const tag = `slipway-test/init-python-${RUN}:1`;
  const volume = `slipway-init-instance-${RUN}`;
  const layers: string[] = [];
  const containers: Dockerode.Container[] = [];

  afterAll(async () => {
    for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined);
    await removeImages(docker, [tag, tools]);
    await removeImages(docker, layers.reverse());
    cleanupProjects();
  });

  async function build(context: string, t: string): Promise<void> {
    const lines: string[] = [];
    try {
      await buildImage(docker, { context, tag: t, labels: {}, onLine: (l) => lines.push(l) });
    } finally {
      layers.push(...builtLayers(lines));
    }
  }

  /** Runs `script` in a container of the image, as its user, and returns its output once it exits. */
  async function run(script: string, mounts: Dockerode.MountConfig = []): Promise<string> {
    const container = await docker.createContainer({
      Image: tag,
      Cmd: ["sh", "-c", script],
      Healthcheck: { Test: ["NONE"] },
      HostConfig: { Mounts: mounts },
    });
    containers.push(container);
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = demultiplex((await container.logs({ stdout: true, stderr: true })) as Buffer).trim();
    expect(StatusCode, output).toBe(0);
    return output;
  }

  it("instance/ is in app.shared, created and owned by uid 10001, writable with and without a named volume", async () => {
    await ensureNodeBaseImage(docker);
    const base = makeProject({
      Dockerfile: ownLayers(`FROM ${NODE_BASE_IMAGE}\nRUN ["/bin/busybox", "--install", "-s", "/usr/local/bin"]\n`, RUN),
    });
    await build(base, tools);

    const dir = makeProject({ ...pythonFlaskFactory, "instance/seed.txt": "seeded\n" });
    const stack = detectStack(dir, { strategy: "rolling" });
    expect(stack.shared).toEqual(["instance"]);
    writePlan(dir, planInit(stack, "rolling", projectDir(dir)).files, { force: false, dryRun: false });
    const lines = readFileSync(join(dir, "Dockerfile"), "utf8").split("\n");
    const venv = lines.findIndex((l) => l.startsWith("RUN python -m venv"));
    let end = venv;
    while (lines[end]?.endsWith("\\")) end += 1;
    lines.splice(venv, end - venv + 1, "RUN mkdir -p /opt/venv");
    const rewritten = lines.join("\n").replace(/^FROM python:\S+ AS (\w+)$/gm, `FROM ${tools} AS $1`);
    expect(rewritten.match(/^FROM .*/gm)).toEqual([`FROM ${tools} AS build`, `FROM ${tools} AS runtime`]);
    expect(rewritten).toMatch(/^RUN mkdir -p instance && chown -R 10001:10001 instance\n(#.*\n)*USER 10001:10001$/m);
    writeFileSync(join(dir, "Dockerfile"), ownLayers(rewritten, RUN));
    await build(dir, tag);
    expect((await docker.getImage(tag).inspect()).Config.User).toBe("10001:10001");

    const write =
      "id -u; cat instance/seed.txt; echo written >> instance/seed.txt; echo db > instance/flaskr.sqlite; cat instance/seed.txt";
    expect(await run(write)).toBe("10001\nseeded\nseeded\nwritten");
    // The source stays read-only to the app.
    expect(await run("touch flaskr/x.py 2>/dev/null && echo writable || echo read-only")).toBe("read-only");

    await docker.createVolume({ Name: volume });
    const mounts = [{ Type: "volume" as const, Source: volume, Target: "/app/instance" }];
    expect(await run(write, mounts)).toBe("10001\nseeded\nseeded\nwritten");
    // A second container (the next release) sees what the first one wrote.
    expect(await run("cat instance/seed.txt instance/flaskr.sqlite", mounts)).toBe("seeded\nwritten\ndb");
  }, 240_000);
});
