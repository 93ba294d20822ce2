import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { dockerGate, ensureNodeBaseImage, NODE_BASE_IMAGE, removeAppContainers, removeAppImages } from "./support/docker.js";
import { REPO, TestProject } from "./support/project.js";

/** What argv-server.mjs answers. */
interface Answer {
  args: string[];
  pid: number;
  ppid: number;
  /** /proc/1/comm: the name of PID 1 where the app runs. */
  pid1: string;
  envPort: string;
}

/** slipway.yaml around test/fixtures/apps/argv-server.mjs with `command` (a YAML value). */
function config(port: number, command: string, platform = "process"): string {
  return `name: argv-${process.pid}
platform: ${platform}
listen: 127.0.0.1:${port}
app:
  command: ${command}
  env: { GREETING: "hello there" }
  shutdown: { signal: SIGTERM, timeout: 5s }
health:
  startup: { http: /, interval: 100ms, failureThreshold: 100 }
  readiness: { http: /, interval: 200ms, failureThreshold: 2 }
drain: { timeout: 2s }
progressDeadline: 30s
`;
}

/** The instance logs of the project, concatenated. */
function instanceLogs(dir: string): string {
  const root = join(dir, ".slipway/logs");
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".log"))
    .map((file) => readFileSync(join(root, file), "utf8"))
    .join("\n");
}

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("app.command on the process platform", () => {
  it("a string runs with sh -c: $PORT and app.env expand, the app replaces the shell, and the stop signal reaches it (compound too)", async () => {
    const simple = `node argv-server.mjs --port $PORT --tag "$GREETING"`;
    project = await TestProject.create((port) => config(port, JSON.stringify(simple)));
    cpSync(join(REPO, "test/fixtures/apps/argv-server.mjs"), join(project.dir, "argv-server.mjs"));
    const first = await project.run("deploy", "--version", "v1");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);

    const [instance] = (await project.status()).instances;
    const answer = JSON.parse((await project.get("/")).body) as Answer;
    expect(answer.args).toEqual(["--port", answer.envPort, "--tag", "hello there"]);
    expect(Number(answer.envPort)).toBeGreaterThan(0);
    // exec: the recorded pid is the app itself, no shell in between
    expect(answer.pid).toBe(instance?.pid);
    expect(readFileSync(`/proc/${answer.pid}/cmdline`, "utf8").split("\0")[0]).toBe("node");

    // A compound command keeps sh as the group leader; the group is signalled, so the app still gets SIGTERM.
    project.writeConfig(config(project.port, JSON.stringify(`test -f argv-server.mjs && ${simple}`)));
    const second = await project.run("deploy", "--version", "v2");
    expect(second.code).toBe(0);
    const v2 = JSON.parse((await project.get("/")).body) as Answer;
    const [shell] = (await project.status()).instances;
    expect(v2.args).toEqual(["--port", v2.envPort, "--tag", "hello there"]);
    expect(v2.pid).not.toBe(shell?.pid);
    expect(readFileSync(`/proc/${shell?.pid}/cmdline`, "utf8").split("\0").slice(0, 2)).toEqual(["sh", "-c"]);
    await project.ok("down");
    expect(instanceLogs(project.dir).match(/got SIGTERM/g)).toHaveLength(2);
  });

  it("a list runs without a shell: $PORT and ${NAME} of app.env become the instance's values, one word each, $$ is a literal $", async () => {
    project = await TestProject.create((port) =>
      config(port, `[node, argv-server.mjs, --port, $PORT, --tag, "\${GREETING}!", --literal, "$$PORT", --other, "$HOME"]`),
    );
    cpSync(join(REPO, "test/fixtures/apps/argv-server.mjs"), join(project.dir, "argv-server.mjs"));
    const validate = await project.run("config", "validate");
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain(", 1 warning\n");
    expect(validate.stdout).toMatch(/^warning: app\.command\[9\]: \$HOME is not expanded: .* \(slipway\.yaml:5\)$/m);

    const deployed = await project.run("deploy", "--version", "v1");
    expect(deployed.stderr).toMatch(/^warning: app\.command\[9\]: \$HOME is not expanded: .* \(slipway\.yaml:5\)\n$/); // deploy says it too
    expect(deployed.code).toBe(0);
    const answer = JSON.parse((await project.get("/")).body) as Answer;
    expect(answer.args).toEqual(["--port", answer.envPort, "--tag", "hello there!", "--literal", "$PORT", "--other", "$HOME"]);
    const [instance] = (await project.status()).instances;
    expect(answer.pid).toBe(instance?.pid);

    const withEnv = await project.run("deploy", "--version", "v2", "--env", "HOME=/h"); // the release's env expands, no warning
    expect(withEnv.stderr).toBe("");
    expect(withEnv.code).toBe(0);
    expect((JSON.parse((await project.get("/")).body) as Answer).args.at(-1)).toBe("/h");
  });
});

const gate = await dockerGate();

describe.skipIf(!gate.run)("app.command on docker", () => {
  beforeAll(async () => {
    await ensureNodeBaseImage();
  }, 120_000);
  afterEach(async () => {
    await project?.cleanup();
    project = undefined;
    await removeAppContainers(gate.docker, `argv-${process.pid}`); // whatever cleanup() could not stop
    await removeAppImages(gate.docker, `argv-${process.pid}`); // after the containers are gone
  });

  it("a list overrides the image's CMD with $PORT and app.env expanded per container, the app a child of the init", async () => {
    const command = `[node, /app/argv-server.mjs, --port, $PORT, --tag, "\${GREETING}", --release, "r$SLIPWAY_RELEASE"]`;
    project = await TestProject.create((port) => config(port, command, "docker").replace("app:\n", "app:\n  build: { context: . }\n"));
    cpSync(join(REPO, "test/fixtures/apps/argv-server.mjs"), join(project.dir, "argv-server.mjs"));
    writeFileSync(
      join(project.dir, "Dockerfile"),
      `FROM ${NODE_BASE_IMAGE}\nWORKDIR /app\nCOPY argv-server.mjs /app/argv-server.mjs\nUSER app\nCMD ["node", "-e", "process.exit(3)"]\n`,
    );
    const deployed = await project.run("deploy", "--version", "v1");
    expect(deployed.stderr).toBe("");
    expect(deployed.code).toBe(0);
    const answer = JSON.parse((await project.get("/")).body) as Answer;
    expect(answer.args).toEqual(["--port", answer.envPort, "--tag", "hello there", "--release", "r1"]);
    // docker.init (the default): the engine's init is PID 1, the app its direct child, no shell in between
    expect(answer.pid1).toMatch(/^(docker-init|tini)$/);
    expect(answer.ppid).toBe(1);
    expect(answer.pid).not.toBe(1);
  }, 180_000);
});
