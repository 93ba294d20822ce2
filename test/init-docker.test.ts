import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectStack } from "../src/init/detect.js";
import { planInit } from "../src/init/plan.js";
import { projectDir } from "../src/init/project-dir.js";
import { writePlan } from "../src/init/write.js";
import { demultiplex } from "../src/platform/docker/container-logs.js";
import { buildImage } from "../src/platform/docker/image-builder.js";
import { startLoad } from "../src/load/load-generator.js";
import { builtLayers, dockerGate, removeAppImages, removeImages } from "./support/docker.js";
import { cleanupProjects, makeProject, nodeNpm } from "./support/init-projects.js";
import { ensureNodeNpmImage, NODE_NPM_IMAGE } from "./support/node-npm-image.js";
import { freePort, runCli, waitFor } from "./support/project.js";

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
    writeFileSync(join(dir, "Dockerfile"), generated.replace(/^FROM node:\S+/gm, `FROM ${NODE_NPM_IMAGE}`));

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
    writeFileSync(dockerfile, readFileSync(dockerfile, "utf8").replace(/^FROM node:\S+/gm, `FROM ${NODE_NPM_IMAGE}`));
    const port = await freePort();
    const config = join(dir, "slipway.yaml");
    writeFileSync(config, readFileSync(config, "utf8").replace(/^listen: .*$/m, `listen: 127.0.0.1:${port}`)); // not :8080, shared machine
    try {
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
    } finally {
      await runCli(dir, ["down"]);
      await removeAppImages(docker, stack.name);
    }
  }, 240_000);
});
