import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { helloConfig, TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("CLI errors: one line plus a hint, exit 2, nothing changed", () => {
  it("a bad config stops deploy before anything happens", async () => {
    project = await TestProject.create((port) =>
      helloConfig(port).replace("replicas: 3", "replcas: 3").replace("minReady: 300ms", "minReady: soon"),
    );
    const r = await project.run("deploy");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        "error: slipway.yaml has 2 problems",
        '  app.replcas: unknown key, did you mean "replicas"? (slipway.yaml:5)',
        "  strategy.rolling.minReady: must be a duration like 500ms, 2s or 5m (slipway.yaml:14)",
        "hint: see docs/config.md for every key, its type and default",
        "",
      ].join("\n"),
    );
    expect(existsSync(join(project.dir, ".slipway"))).toBe(false);
    expect((await project.run("config", "validate")).code).toBe(2);
  });

  it.each([
    [
      ["deploy", "--env", "NOPE"],
      'error: --env takes KEY=VALUE; this one has no "=" (its text is not shown: it may be a secret)\nhint: e.g. --env LOG_LEVEL=debug\n',
    ],
    [["deploy", "--strategy", "yolo"], "error: --strategy yolo: unknown strategy\nhint: use one of rolling, blue-green, canary\n"],
    [["deploy", "--wait-lock", "forever"], "error: --wait-lock forever: not a duration\nhint: use a duration like 30s or 5m\n"],
    [
      ["deploy", "--wait-lock", "700h"],
      "error: --wait-lock 700h: too long, at most 2147483647ms (about 24.8 days, 596h31m23s647ms)\nhint: Node's timers cannot wait longer; e.g. --wait-lock 24h\n",
    ],
    [["rollback", "--to", "x"], "error: --to x: must be a whole number\nhint: e.g. --to 3\n"],
  ])("slipway %j", async (args, stderr) => {
    project = await TestProject.create();
    const r = await project.run(...args);
    expect(r.stderr).toBe(stderr);
    expect(r.code).toBe(2);
    expect(existsSync(join(project.dir, ".slipway"))).toBe(false);
  });

  it("unknown commands exit 2 with a suggestion", async () => {
    project = await TestProject.create();
    const r = await project.run("deplyo");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown command 'deplyo'");
    expect(r.stderr).toContain("(Did you mean deploy?)");
  });

  it("commands that need the daemon say how to start it", async () => {
    project = await TestProject.create();
    const r = await project.run("status");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot reach the Slipway daemon at .+daemon\.sock \(ENOENT\)\nhint: start it with slipway up\n$/);
  });
});

describe("config commands", () => {
  it("validate reports a valid file, schema prints a JSON Schema", async () => {
    project = await TestProject.create();
    const ok = await project.run("config", "validate");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/slipway\.yaml is valid: hello, 3 replica\(s\), rolling/);
    const schema = JSON.parse((await project.run("config", "schema")).stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["name", "listen", "app", "health", "strategy"]));
  });
});

describe("daemon lifecycle", () => {
  it("up is idempotent, the socket is private, down stops everything", async () => {
    project = await TestProject.create();
    const first = await project.run("up");
    expect(first.stdout).toMatch(/^daemon started \(pid \d+\)/);
    const second = await project.run("up");
    expect(second.stdout).toMatch(/^daemon already running \(pid \d+\)/);
    const { statSync } = await import("node:fs");
    expect(statSync(join(project.dir, ".slipway/daemon.sock")).mode & 0o777).toBe(0o600);
    // the router answers a clear 503 before anything is deployed
    const empty = await project.get("/");
    expect(empty.status).toBe(503);
    expect(empty.body).toContain("no ready instance");

    await project.ok("deploy", "--version", "v1");
    const status = await project.json<{ instances: { pid: number }[] }>("status");
    const down = await project.run("down");
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/daemon stopped/);
    for (const i of status.instances) {
      await waitFor("instance to stop", async () => {
        try {
          process.kill(i.pid, 0);
          return false;
        } catch {
          return true;
        }
      });
    }
    expect((await project.run("down")).stdout).toBe("no daemon running\n");
  });

  it("status, releases and logs serve scripts with --json and plain text", async () => {
    project = await TestProject.create();
    await project.ok("deploy", "--version", "v1", "--env", "GREETING=hi");
    const releases = await project.json<{ id: number; version: string; status: string; createdAt: string }[]>("releases");
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ id: 1, version: "v1", status: "active" });
    expect(new Date(releases[0]!.createdAt).getTime()).toBeGreaterThan(0);
    const plain = await project.run("releases");
    expect(plain.stdout).toMatch(/ID\s+VERSION\s+STATUS/);
    expect(plain.stdout).toMatch(/1\s+v1\s+active/);
    const logs = await project.run("logs", "--release", "1");
    expect(logs.stdout).toMatch(/r1-1 \| hello v1 \(r1-1\) listening/);
    const deployJson = await project.run("deploy", "--version", "v2", "--json");
    const lines = deployJson.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.at(-1)).toMatchObject({ type: "result", result: { release: { id: 2, version: "v2" } } });
    expect(lines.some((l) => l.type === "event")).toBe(true);
  });

  it("down during a rollout interrupts it, stops every instance and leaves the current release as it was", async () => {
    project = await TestProject.create((port) => helloConfig(port).replace("minReady: 300ms", "minReady: 2s"));
    await project.ok("deploy", "--version", "v1");
    const rollout = project.run("deploy", "--version", "v2");
    await waitFor("a v2 instance", async () => {
      const s = await project!.json<{ instances: { version: string }[] }>("status");
      return s.instances.some((i) => i.version === "v2");
    });
    await project.ok("down");
    const r = await rollout;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("interrupted: the daemon is stopping");
    expect(r.stderr).toContain("the daemon is stopping; the current release is unchanged");
    await project.ok("up");
    const releases = await project.json<{ version: string; status: string }[]>("releases");
    expect(releases.map((x) => [x.version, x.status])).toEqual([
      ["v2", "failed"],
      ["v1", "active"],
    ]);
    const served = await waitFor("v1 to serve again", async () => {
      const res = await project!.get("/");
      return res.status === 200 ? res.body : undefined;
    });
    expect(served).toContain('"version":"v1"');
  });
});
