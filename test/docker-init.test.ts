import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DockerPlatform } from "../src/platform/docker/docker-platform.js";
import { LABEL } from "../src/platform/docker/labels.js";
import type { InstanceSpec } from "../src/platform/platform.js";
import { freePort } from "../src/platform/process/port.js";
import {
  containerExitCodes,
  dockerGate,
  ensureNodeBaseImage,
  NODE_BASE_IMAGE,
  removeAppContainers,
  removeAppImages,
} from "./support/docker.js";
import { REPO, TestProject, waitFor } from "./support/project.js";

// docker.init: the engine's init (docker-init) is PID 1 and the app its child,
// so the stop signal reaches an app that has no handler for it. Exit codes are
// read from the engine's event log (Slipway removes stopped containers):
// 143 = ended by SIGTERM, 137 = SIGKILL after the shutdown timeout.

const gate = await dockerGate();
const SINCE = Math.floor(Date.now() / 1000) - 1;

/** slipway.yaml of an image running test/fixtures/apps/no-handler-server.mjs; `docker` is a YAML fragment. */
function config(port: number, name: string, docker: string): string {
  return `name: ${name}
platform: docker
listen: 127.0.0.1:${port}
app: { build: { context: . }, shutdown: { signal: SIGTERM, timeout: 2s } }
health:
  startup: { http: /, interval: 100ms, failureThreshold: 100 }
  readiness: { http: /, interval: 200ms, failureThreshold: 2 }
drain: { timeout: 1s }
${docker}`;
}

describe.skipIf(!gate.run)("docker.init, real engine", () => {
  const docker = gate.docker as Dockerode;
  let project: TestProject | undefined;
  let app = "";
  let n = 0;
  beforeAll(async () => {
    await ensureNodeBaseImage(docker);
  }, 120_000);
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
    await removeAppContainers(docker, app); // whatever cleanup() could not stop
    await removeAppImages(docker, app); // after the containers are gone
  });

  it.each([
    { init: "", code: 143, stop: "stopped", why: "by default docker-init forwards SIGTERM to the app, which ends on it" },
    {
      init: "docker:\n  init: false\n",
      code: 137,
      stop: "killed after app.shutdown.timeout (2s): it did not exit on SIGTERM",
      why: "with docker.init: false the app is PID 1, ignores SIGTERM and is killed",
    },
  ])(
    "a deploy stops the previous release's app without a SIGTERM handler with exit $code: $why",
    async ({ init, code, stop }) => {
      const name = (app = `dinit-${process.pid}-${++n}`);
      project = await TestProject.create((port) => config(port, name, init));
      cpSync(join(REPO, "test/fixtures/apps/no-handler-server.mjs"), join(project.dir, "no-handler-server.mjs"));
      writeFileSync(
        join(project.dir, "Dockerfile"),
        `FROM ${NODE_BASE_IMAGE}\nWORKDIR /app\nCOPY no-handler-server.mjs /app/\nUSER app\nCMD ["node", "no-handler-server.mjs"]\n`,
      );
      let deployed = { stdout: "" };
      for (const version of ["v1", "v2"]) {
        const run = await project.run("deploy", "--version", version);
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        deployed = run;
      }
      expect(deployed.stdout).toMatch(new RegExp(`r1-1 stopping -> stopped: ${stop.replace(/[()]/g, "\\$&")}\n`)); // says how it stopped
      expect((await project.get("/")).body).toBe("ok\n");
      const codes = await containerExitCodes(docker, `slipway-${name}-`, SINCE);
      expect(codes.get(`slipway-${name}-r1-1`)).toBe(code); // release 1's instance, retired by the deploy of v2
    },
    180_000,
  );
});

/** An app that logs "app got SIGTERM" and exits 0 on SIGTERM, as one `node -e` word with no single quote. */
const GRACEFUL_APP =
  'process.on("SIGTERM",()=>{console.log("app got SIGTERM");process.exit(0)});' +
  'require("http").createServer((q,r)=>r.end()).listen(process.env.PORT,"127.0.0.1",()=>console.log("listening"))';

describe.skipIf(!gate.run)("docker.init and a shell command (busybox sh of the test image)", () => {
  const docker = gate.docker as Dockerode;
  const RUN = `${process.pid}-${Date.now().toString(36)}`;
  const APP = `dinit-sh-${RUN}`;
  const platforms: DockerPlatform[] = [];
  let seq = 0;

  async function spec(script: string, init: boolean): Promise<InstanceSpec> {
    const id = `r1-${++seq}`;
    const port = await freePort("127.0.0.1");
    return {
      ...{ id, releaseId: 1, version: "v1", command: ["sh", "-c", script], cwd: "/unused", host: "127.0.0.1", port },
      env: { PORT: String(port), SLIPWAY_INSTANCE: id },
      shutdown: { signal: "SIGTERM", timeout: 1000 },
      platform: "docker",
      container: { image: NODE_BASE_IMAGE, app: APP, version: "v1", network: "host", init },
    };
  }
  beforeAll(async () => {
    await ensureNodeBaseImage(docker);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(platforms.splice(0).map((p) => p.stopAll()));
  });
  afterAll(async () => {
    for (const leftover of await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${APP}`] } }))
      await docker.getContainer(leftover.Id).remove({ force: true });
  });

  const exec = `exec node -e '${GRACEFUL_APP}'`;
  const stays = `node -e '${GRACEFUL_APP}'; echo after`;
  it.each([
    { form: "exec node ...", script: exec, init: true, code: 0, got: true, why: "the app is init's child and gets SIGTERM" },
    {
      ...{ form: "node ...; echo after", script: stays, init: true, code: 143, got: false },
      why: "sh stays in between: init signals sh alone, sh ends on it, init exits and the kernel kills the app (no SIGTERM for it)",
    },
    {
      ...{ form: "node ...; echo after", script: stays, init: false, code: 137, got: false },
      why: "without init sh is PID 1 and ignores SIGTERM: both are killed after the timeout",
    },
  ])(
    "init $init, sh -c $form: exit $code, $why",
    async ({ script, init, code, got }) => {
      const p = new DockerPlatform({ docker });
      platforms.push(p);
      const s = await spec(script, init);
      await p.start(s);
      await waitFor("app listening", async () => (await p.tail(s.id, 5)).includes("listening"));
      await p.stop(s.id);
      const lines = await p.tail(s.id, 10);
      expect(lines.includes("app got SIGTERM")).toBe(got);
      expect(lines).not.toContain("after");
      expect((await containerExitCodes(docker, `slipway-${APP}-`, SINCE)).get(`slipway-${APP}-${s.id}`)).toBe(code);
    },
    60_000,
  );
});
