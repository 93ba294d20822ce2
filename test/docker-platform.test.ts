import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SlipwayError } from "../src/errors.js";
import { containerName } from "../src/platform/docker/container-spec.js";
import { DockerPlatform } from "../src/platform/docker/docker-platform.js";
import { buildImage } from "../src/platform/docker/image-builder.js";
import { LABEL } from "../src/platform/docker/labels.js";
import type { ContainerSettings, ExitInfo, InstanceSpec } from "../src/platform/platform.js";
import { isAlive } from "../src/platform/process/pid.js";
import { freePort } from "../src/platform/process/port.js";
import {
  NODE_BASE_IMAGE,
  containerEvents,
  ensureNodeBaseImage,
  removeAppContainers,
  removeImages,
  requireDockerOrSkip,
} from "./support/docker.js";
import { waitFor } from "./support/project.js";

const WEB = resolve(import.meta.dirname, "fixtures/docker/web");
const HOST = "127.0.0.1";
const engine = await requireDockerOrSkip();
/** Unique per run: container names are slipway-<app>-<id>, so parallel runs never meet. */
const RUN = `${process.pid}-${Date.now().toString(36)}`;
const APP = `swplat-${RUN}`;
const IMAGE = `slipway-test/web-${RUN}:v1`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait for the app to listen, then GET `path`. */
async function request(port: number, path = "/"): Promise<string> {
  return waitFor(`GET :${port}${path}`, () =>
    fetch(`http://${HOST}:${port}${path}`).then(
      (r) => r.text(),
      () => "",
    ),
  );
}

describe.skipIf(!engine)("DockerPlatform (real engine)", () => {
  const docker = engine as Dockerode;
  const platforms: DockerPlatform[] = [];

  function platform(): DockerPlatform {
    const p = new DockerPlatform({ docker });
    platforms.push(p);
    return p;
  }

  let seq = 0;
  async function spec(overrides: Partial<InstanceSpec> = {}, container: Partial<ContainerSettings> = {}): Promise<InstanceSpec> {
    const id = overrides.id ?? `r1-${++seq}`;
    const port = await freePort(HOST);
    return {
      id,
      releaseId: 1,
      version: "v1",
      command: [],
      cwd: "/unused",
      env: { PORT: String(port), SLIPWAY_INSTANCE: id },
      host: HOST,
      port,
      shutdown: { signal: "SIGTERM", timeout: 5000 },
      platform: "docker",
      container: { image: IMAGE, app: APP, version: "v1", network: "host", ...container },
      ...overrides,
    };
  }

  const inspect = (s: InstanceSpec) => docker.getContainer(`slipway-${APP}-${s.id}`).inspect();

  beforeAll(async () => {
    await ensureNodeBaseImage(docker);
    const started = Date.now();
    await buildImage(docker, { context: WEB, tag: IMAGE, labels: { [LABEL.app]: APP }, onLine: () => {} });
    console.log(`test image built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });
  afterEach(async () => {
    await Promise.all(platforms.splice(0).map((p) => p.stopAll()));
    await removeAppContainers(docker, APP); // a start that timed out is not in stopAll's list
  });
  afterAll(async () => {
    await removeImages(docker, [IMAGE]);
  });

  describe("start", () => {
    it("starts two labelled containers on distinct ports that serve HTTP, with the host pid of their main process", async () => {
      const p = platform();
      const [a, b] = [await spec({}, { cpus: 0.5, memoryBytes: 128 * 1024 * 1024, labels: { team: "web" } }), await spec()];
      const [ra, rb] = [await p.start(a), await p.start(b)];
      expect(ra).toMatchObject({ id: a.id, releaseId: 1, host: HOST, port: a.port });
      expect(await request(a.port)).toBe(`hello from ${a.id} uid 1001\n`);
      expect(await request(b.port)).toBe(`hello from ${b.id} uid 1001\n`);
      expect(ra.pid).toBeGreaterThan(0);
      expect(rb.pid).not.toBe(ra.pid);
      expect(readFileSync(`/proc/${ra.pid}/environ`, "utf8").split("\0")).toContain(`SLIPWAY_INSTANCE=${a.id}`);

      const info = await inspect(a);
      expect(info.State.Pid).toBe(ra.pid);
      expect(info.Config.Labels).toMatchObject({
        team: "web",
        "slipway.app": APP,
        "slipway.release": "1",
        "slipway.version": "v1",
        "slipway.instance": a.id,
      });
      expect(info.Config.Env).toEqual(expect.arrayContaining([`PORT=${a.port}`, `SLIPWAY_INSTANCE=${a.id}`]));
      expect((info.Config as { StopSignal?: string }).StopSignal).toBe("SIGTERM");
      expect(info.HostConfig).toMatchObject({
        NetworkMode: "host",
        NanoCpus: 500_000_000,
        Memory: 134_217_728,
        RestartPolicy: { Name: "no" },
      });

      const tail = await waitFor("log lines", async () => {
        const lines = await p.tail(a.id, 10);
        return lines.includes("GET /") ? lines : undefined;
      });
      // stdout and stderr are two pipes: their lines may interleave either way
      expect([...tail].sort()).toEqual([`listening on ${HOST}:${a.port}`, "stderr: ready", "GET /"].sort());
      expect(await p.tail(a.id, 3)).toHaveLength(3);
      expect(p.running()).toEqual([ra, rb]);
      expect((await p.list(APP)).map((c) => [c.instance, c.state, c.name]).sort()).toEqual([
        [a.id, "running", `slipway-${APP}-${a.id}`],
        [b.id, "running", `slipway-${APP}-${b.id}`],
      ]);
    });

    it("replaces a stale container of the same name, and refuses an id that is already running", async () => {
      const s = await spec();
      const stale = await docker.createContainer({ name: `slipway-${APP}-${s.id}`, Image: NODE_BASE_IMAGE, Cmd: ["true"] });
      const p = platform();
      await p.start(s);
      await request(s.port); // past node's start-up: a SIGTERM before its handler would skip the graceful stop (ignored as PID 1 with docker.init: false)
      await expect(docker.getContainer(stale.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(p.start(s)).rejects.toMatchObject({ code: "PLATFORM", message: `instance ${s.id} is already running` });
    });

    it("rejects with 'image X not found' for a missing image, leaving nothing behind", async () => {
      const p = platform();
      const s = await spec({}, { image: "slipway-test/absent:nope" });
      const err = await p.start(s).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SlipwayError);
      expect(err).toMatchObject({ code: "PLATFORM", message: "image slipway-test/absent:nope not found" });
      expect((err as SlipwayError).hint).toBeTruthy();
      expect(p.running()).toEqual([]);
      await expect(inspect(s)).rejects.toMatchObject({ statusCode: 404 });
    });
  });

  describe("stop", () => {
    it("stops gracefully on the shutdown signal, removes the container, keeps its last lines and reports nothing", async () => {
      const p = platform();
      const exits: string[] = [];
      p.onExit((id) => exits.push(id));
      const s = await spec();
      const running = await p.start(s);
      await request(s.port);
      expect(await p.stop(s.id)).toEqual({ killed: false }); // the app exited on SIGTERM, within its shutdown timeout
      expect(isAlive(running.pid)).toBe(false);
      await expect(inspect(s)).rejects.toMatchObject({ statusCode: 404 });
      expect((await p.tail(s.id, 2)).at(-1)).toBe("SIGTERM received, shutting down");
      await p.stop(s.id);
      await p.stop("never-started");
      await sleep(200);
      expect(exits).toEqual([]);
      expect(p.running()).toEqual([]);
    });

    it("kills a container ignoring SIGTERM after the shutdown timeout", async () => {
      const p = platform();
      const exits: string[] = [];
      p.onExit((id) => exits.push(id));
      const s = await spec({ command: ["node", "/app/ignore-sigterm.mjs"], shutdown: { signal: "SIGTERM", timeout: 1000 } });
      const running = await p.start(s);
      await waitFor("app running", async () => (await p.tail(s.id, 5)).includes("running, ignoring SIGTERM"));
      const started = Date.now();
      const [a, b] = [p.stop(s.id), p.stop(s.id)];
      expect(a).toBe(b);
      expect(await a).toEqual({ killed: true });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(9000); // its own 1 s, not Docker's default 10 s: a bound a loaded machine keeps
      expect(isAlive(running.pid)).toBe(false);
      expect(await p.tail(s.id, 5)).toContain("ignoring SIGTERM");
      expect(exits).toEqual([]);
    });

    it("stopAll stops every container in parallel", async () => {
      const p = platform();
      const specs = await Promise.all(
        // 4 s until the kill: every SIGTERM must reach the engine before the first container is killed, even on a
        // loaded engine; one after another, the first would be killed before the second got its SIGTERM.
        [1, 2, 3].map(() => spec({ command: ["node", "/app/ignore-sigterm.mjs"], shutdown: { signal: "SIGTERM", timeout: 4000 } })),
      );
      const pids = await Promise.all(specs.map(async (s) => (await p.start(s)).pid));
      const since = Math.floor(Date.now() / 1000) - 1;
      await p.stopAll();
      // in parallel: every container got its SIGTERM before the first one died (one after another, each would die first)
      const events = await containerEvents(docker, `slipway-${APP}-`, since, ["kill", "die"]);
      const names = specs.map((s) => containerName(APP, s.id));
      const terms = names.map((name) => events.findIndex((e) => e.name === name && e.action === "kill" && e.signal === "15"));
      // A container whose app had not yet set its SIGTERM handler dies of the SIGTERM itself (143, round 31): the
      // first death that proves an order is the first one killed at its shutdown timeout (137).
      const firstDeath = events.findIndex((e) => names.includes(e.name) && e.action === "die" && e.exitCode === 137);
      expect(
        terms.every((i) => i >= 0),
        JSON.stringify(events),
      ).toBe(true);
      expect(Math.max(...terms), JSON.stringify(events)).toBeLessThan(firstDeath === -1 ? events.length : firstDeath);
      expect(pids.map(isAlive)).toEqual([false, false, false]);
      expect(await p.list(APP)).toEqual([]);
    });
  });

  describe("exits", () => {
    it("reports a crash with its exit code once, keeps the container for tail until stop(), and can start the id again", async () => {
      const p = platform();
      const exits: [string, ExitInfo][] = [];
      p.onExit((id, info) => exits.push([id, info]));
      const s = await spec({ command: ["node", "/app/crash.mjs"] });
      await p.start(s);
      await waitFor("exit", () => exits.length > 0);
      expect(exits).toEqual([[s.id, { code: 3, signal: null }]]);
      expect(p.running()).toEqual([]);
      expect(await p.tail(s.id, 2)).toEqual(["starting, will crash", "crashing with code 3"]);
      expect((await p.list(APP)).map((c) => c.state)).toEqual(["exited"]);

      const again = await p.start({ ...s, command: [] }); // a restart reuses the id
      expect(await request(s.port)).toBe(`hello from ${s.id} uid 1001\n`);
      expect(p.running()).toEqual([again]);
      await p.stop(s.id);
      expect(exits).toHaveLength(1);
    });

    it("reports a kill from outside with Docker's exit status (128 + signal)", async () => {
      const p = platform();
      const exits: ExitInfo[] = [];
      p.onExit((_, info) => exits.push(info));
      const s = await spec({ command: ["node", "/app/ignore-sigterm.mjs"] });
      const running = await p.start(s);
      process.kill(running.pid, "SIGKILL");
      await waitFor("exit", () => exits.length > 0);
      expect(exits).toEqual([{ code: 137, signal: null }]);
    });
  });

  describe("adopt", () => {
    it("a second platform adopts the running container by its labels and can stop it", async () => {
      const first = platform();
      const s = await spec();
      const running = await first.start(s);
      await request(s.port);

      const second = platform();
      const exits: string[] = [];
      second.onExit((id) => exits.push(id));
      const adopted = await second.adopt({ spec: s, pid: 0, startedAt: running.startedAt });
      expect(adopted).toEqual(running);
      expect(await second.adopt({ spec: s, pid: 0, startedAt: 0 })).toBe(adopted);
      // stdout and stderr lines may interleave either way: the request's line is among the last ones
      expect(await second.tail(s.id, 5)).toContain("GET /");
      await second.stop(s.id);
      await expect(inspect(s)).rejects.toMatchObject({ statusCode: 404 });
      expect(exits).toEqual([]);
    });

    it("returns null for a missing container, and removes one of another release or version", async () => {
      const p = platform();
      expect(await p.adopt({ spec: await spec({ id: "r9-1" }), pid: 1234, startedAt: 0 })).toBeNull();

      const s = await spec();
      const running = await p.start(s);
      const other = platform();
      expect(await other.adopt({ spec: { ...s, version: "v2" }, pid: running.pid, startedAt: running.startedAt })).toBeNull();
      await expect(inspect(s)).rejects.toMatchObject({ statusCode: 404 });
    });
  });

  describe("health", () => {
    it("follows the image HEALTHCHECK: healthy, unhealthy, timed out, or none without one", async () => {
      const p = platform();
      const [good, bad, slow] = [await spec(), await spec({ env: {} }), await spec({ env: {} })];
      bad.env = { PORT: String(bad.port), SLIPWAY_INSTANCE: bad.id, HEALTH_STATUS: "503" };
      // answers, but only after the image's 2 s check timeout: Docker says unhealthy, every failure a timeout
      slow.env = { PORT: String(slow.port), SLIPWAY_INSTANCE: slow.id, HEALTH_DELAY_MS: "4000" };
      const none = await spec({ command: ["node", "-e", "setInterval(() => {}, 1000)"] }, { image: NODE_BASE_IMAGE });
      await Promise.all([good, bad, slow, none].map((s) => p.start(s)));
      // Its first check runs a second after start: on a loaded machine it may have passed already.
      expect(["starting", "healthy"]).toContain(await p.containerHealth(good.id));
      expect(await p.containerHealth(none.id)).toBe("none");
      await waitFor("healthy", async () => (await p.containerHealth(good.id)) === "healthy", 15_000);
      await waitFor("unhealthy", async () => (await p.containerHealth(bad.id)) === "unhealthy", 15_000);
      await waitFor("timed-out", async () => (await p.containerHealth(slow.id)) === "timed-out", 30_000);
      expect((await inspect(slow)).State.Health?.Status).toBe("unhealthy");
      await expect(p.containerHealth("never-started")).rejects.toMatchObject({ code: "NOT_FOUND" });
    });
  });
});
