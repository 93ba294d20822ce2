import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { answersSentAfter } from "./support/load.js";
import { helloConfig, TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("rolling deploy", () => {
  it("replaces 3 replicas under 200+ req/s with zero failed requests", async () => {
    project = await TestProject.create();
    const first = await project.run("deploy", "--version", "v1");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("release 1 (v1) is live");

    const load = startLoad({ url: project.url, rate: 250, concurrency: 10 });
    await waitFor("v1 answering the load", () => (load.report().versions.v1 ?? 0) >= 20);
    const second = await project.run("deploy", "--version", "v2");
    const during = load.report();
    const after = await answersSentAfter(load, Date.now());
    const report = await load.stop();

    expect(second.code).toBe(0);
    expect(second.stdout).toContain("release 2 (v2) is live");
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    // the load really ran through the whole rollout, and both versions answered
    expect(during.sent).toBeGreaterThan(200);
    expect(report.versions.v1).toBeGreaterThan(0);
    expect(report.versions.v2).toBeGreaterThan(0);
    // after the deploy returned, every response comes from v2
    expect(new Set(after.map((t) => t.version))).toEqual(new Set(["v2"]));

    const status = await project.status();
    expect(status.current?.version).toBe("v2");
    expect(status.instances.map((i) => [i.version, i.state])).toEqual([
      ["v2", "ready"],
      ["v2", "ready"],
      ["v2", "ready"],
    ]);
  });

  it("fails a release that never becomes ready within progressDeadline, keeps the old one serving, exit 1", async () => {
    // no startup probe: the new instances run but readiness never passes, so only the deadline ends the rollout
    project = await TestProject.create((port) =>
      helloConfig(port)
        .replace(/ {2}(startup|liveness):.*\n/g, "")
        .replace("progressDeadline: 20s", "progressDeadline: 3s"),
    );
    await project.ok("deploy", "--version", "v1");

    const load = startLoad({ url: project.url, rate: 200, concurrency: 8 });
    const bad = await project.run("deploy", "--version", "v2", "--env", "BROKEN=health");
    const report = await load.stop();

    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /error: release 2 \(v2\) failed: no progress within progressDeadline \(3s\); r2-1: readiness: GET \/health\/ready -> 503/,
    );
    expect(bad.stderr).toContain("release 1 (v1) still serves");
    expect(bad.stderr).toContain("last log lines of r2-1:");
    expect(bad.stderr).toContain("hello v2 (r2-1) listening");
    expect(bad.stderr).toContain("hint: see slipway logs --release 2");
    expect(report.failed).toBe(0);
    expect(Object.keys(report.versions)).toEqual(["v1"]);

    const status = await project.status();
    expect(status.current?.version).toBe("v1");
    expect(status.instances.every((i) => i.version === "v1" && i.state === "ready")).toBe(true);
    const releases = await project.json<{ id: number; status: string }[]>("releases");
    expect(releases.map((r) => [r.id, r.status])).toEqual([
      [2, "failed"],
      [1, "active"],
    ]);
  });

  it("fails fast when new instances crash, and says why", async () => {
    project = await TestProject.create();
    await project.ok("deploy", "--version", "v1");
    const bad = await project.run("deploy", "--version", "v2", "--env", "BROKEN=crash");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/instance r2-1 failed: process exited with code 1/);
    expect((await project.get("/")).body).toContain('"version":"v1"');
  });

  it("answers 504 for an instance that never responds, after router.responseTimeout (health stays green)", async () => {
    project = await TestProject.create((port) => helloConfig(port, "router: { responseTimeout: 500ms }\n"));
    await project.ok("deploy", "--version", "v1", "--env", "BROKEN=hang");
    const r = await project.get("/");
    expect(r.status).toBe(504);
    expect(r.body).toMatch(/^slipway: instance "r1-\d" of "hello" did not respond within 500 ms\n$/);
    expect((await project.get("/health/ready")).status).toBe(200); // the router passes health paths through like any other
  });

  it("rejects a second concurrent deploy with exit code 3; --wait-lock waits", async () => {
    // v2's preDeploy hook holds its rollout (and the lock) until the test opens the gate, so the
    // second deploy meets the lock however slowly its CLI starts on a loaded machine.
    project = await TestProject.create();
    const gate = join(project.dir, "gate");
    const hold = `test "$SLIPWAY_VERSION" != v2 || { i=0; while [ ! -e ${gate} ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done; }`;
    writeFileSync(
      join(project.dir, "slipway.yaml"),
      helloConfig(project.port, `hooks:\n  preDeploy: ["sh", "-c", ${JSON.stringify(hold)}]\n`),
    );
    await project.ok("deploy", "--version", "v1");
    try {
      const first = project.run("deploy", "--version", "v2");
      await waitFor("the first rollout to hold the lock", async () => (await project!.status()).lock?.what === "deploy of hello");
      const second = await project.run("deploy", "--version", "v3");
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(/^error: another rollout holds the deploy lock: deploy of hello, by .+ since .+ UTC \(\d+s ago\)\n/);
      expect(second.stderr).toContain("hint: wait for it to finish (slipway status), or pass --wait-lock 5m to wait");

      const third = project.run("deploy", "--version", "v4", "--wait-lock", "60s");
      await waitFor("the third deploy to wait for the lock", async () => (await project!.status()).lock?.waiting === 1);
      expect((await project.run("status")).stdout).toMatch(/^deploy lock: deploy of hello by .+; 1 more waiting for it \(--wait-lock\)$/m);
      writeFileSync(gate, "");
      expect((await first).code).toBe(0);
      expect((await third).code).toBe(0);
    } finally {
      writeFileSync(gate, ""); // a failed assertion must not leave the hook waiting
    }
    const releases = await project.json<{ version: string; status: string }[]>("releases");
    expect(releases.map((r) => r.version)).toEqual(["v4", "v2", "v1"]);
    expect(releases[0]?.status).toBe("active");
  });

  it("rolls back to the previous release through the health gates, and to a chosen one with --to", async () => {
    project = await TestProject.create();
    await project.ok("deploy", "--version", "v1");
    await project.ok("deploy", "--version", "v2");
    const back = await project.run("rollback");
    expect(back.code).toBe(0);
    expect(back.stdout).toContain("rolled back: release 1 (v1) is live");
    expect((await project.get("/")).body).toContain('"version":"v1"');
    const forward = await project.run("rollback", "--to", "2");
    expect(forward.code).toBe(0);
    expect((await project.get("/")).body).toContain('"version":"v2"');
    const missing = await project.run("rollback", "--to", "9");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("error: release 9 does not exist\nhint: see slipway releases\n");
  });

  it("runs an old release from its snapshot after the source changed; retain prunes older snapshots", async () => {
    project = await TestProject.create((port) => helloConfig(port).replace("replicas: 3", "replicas: 1") + "retain: 2\n");
    await project.ok("deploy", "--version", "v1");
    const server = join(project.dir, "server.js");
    writeFileSync(server, readFileSync(server, "utf8").replace("message: env.GREETING", 'message: "changed"'));
    await project.ok("deploy", "--version", "v2");
    expect((await project.get("/")).body).toContain('"message":"changed"');
    await project.ok("rollback");
    expect((await project.get("/")).body).toContain('"message":"hello","version":"v1"');

    await project.ok("deploy", "--version", "v3");
    await project.ok("deploy", "--version", "v4");
    const releases = await project.json<{ id: number; runnable: boolean }[]>("releases");
    expect(releases.map((r) => [r.id, r.runnable])).toEqual([
      [4, true],
      [3, true],
      [2, false],
      [1, false],
    ]);
    const pruned = await project.run("rollback", "--to", "1");
    expect(pruned.code).toBe(2);
    expect(pruned.stderr).toBe(
      "error: release 1 has no snapshot left (pruned by retain)\nhint: raise retain in slipway.yaml to keep more releases runnable\n",
    );
  });
});
