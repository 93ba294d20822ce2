import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { answersSentAfter } from "./support/load.js";
import { blueGreenConfig } from "./support/blue-green-config.js";
import { isAlive, TestProject, waitFor } from "./support/project.js";
import { SIDE_HOST, sidePort } from "./support/ports.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

const version = async (url: string) => ((await (await fetch(url)).json()) as { version: string }).version;

describe("blue-green", () => {
  it("switches under load with zero failed requests; rollback inside scaleDownDelay only moves traffic", async () => {
    const previewPort = await sidePort();
    project = await TestProject.create((port) =>
      blueGreenConfig(
        port,
        previewPort,
        "    autoPromote: false\n    scaleDownDelay: 5m\n    prePromotion:\n      - http: { path: /health, expectStatus: 200, expectBody: pass }",
      ),
    );
    await project.ok("deploy", "--version", "v1", "--strategy", "rolling");
    const blue = await project.status();

    const load = startLoad({ url: project.url, rate: 200, concurrency: 8 });
    const deploy = await project.run("deploy", "--version", "v2");
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/prePromotion checks: pass GET \/health: GET http:\/\/127\.0\.0\.2:\d+\/health -> 200/);
    expect(deploy.stdout).toContain(`rollout 2 is paused: waiting for slipway promote; preview on http://${SIDE_HOST}:${previewPort}`);
    // the preview listener shows green, the public one still blue
    for (let i = 0; i < 10; i++) {
      expect(await version(`http://${SIDE_HOST}:${previewPort}/`)).toBe("v2");
      expect(await version(project.url)).toBe("v1");
    }
    const promote = await project.run("promote");
    expect(promote.code).toBe(0);
    const switched = await waitFor("the switch", async () => {
      const s = await project!.status();
      return s.current?.version === "v2" && s.rollout === null ? s : undefined;
    });
    const afterSwitch = await answersSentAfter(load, Date.now());
    expect(load.report().failures).toEqual([]);
    expect(afterSwitch.filter((t) => t.version !== "v2")).toEqual([]);
    // blue is on standby: running, out of rotation
    expect(switched.standby?.release).toBe(1);
    for (const b of blue.instances) {
      const now = switched.instances.find((i) => i.id === b.id)!;
      expect(now).toMatchObject({ pid: b.pid, inRotation: false, state: "ready" });
    }
    await expect(fetch(`http://${SIDE_HOST}:${previewPort}/`)).rejects.toThrow(); // preview closed after the switch

    const rollback = await project.run("rollback");
    const rolledBack = Date.now();
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/rolled back: release 1 \(v1\) is live by switching traffic in \d+ms, no process started/);
    const afterRollback = await answersSentAfter(load, rolledBack);
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    expect(afterRollback.filter((t) => t.version !== "v1")).toEqual([]);
    const back = await project.status();
    expect(back.current?.version).toBe("v1");
    // the very same blue processes serve again: no process was started
    expect(
      back.instances
        .filter((i) => i.version === "v1")
        .map((i) => i.pid)
        .sort(),
    ).toEqual(blue.instances.map((i) => i.pid).sort());
  });

  it("a failing prePromotion check keeps blue serving and stops green", async () => {
    const previewPort = await sidePort();
    project = await TestProject.create((port) =>
      blueGreenConfig(port, previewPort, "    prePromotion:\n      - http: { path: /health, expectBody: all-good }"),
    );
    await project.ok("deploy", "--version", "v1", "--strategy", "rolling");
    const deploy = await project.run("deploy", "--version", "v2");
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/release 2 \(v2\) failed: prePromotion check failed: .*body does not contain "all-good"/);
    const s = await project.status();
    expect(s.instances.map((i) => i.version)).toEqual(["v1", "v1", "v1"]);
    expect(await version(project.url)).toBe("v1");
  });

  it("a failing postPromotion analysis switches traffic back to blue by itself", async () => {
    const previewPort = await sidePort();
    project = await TestProject.create((port) =>
      blueGreenConfig(port, previewPort, "    postPromotion: { window: 4s, interval: 500ms, minRequests: 10, maxErrorRate: 5% }"),
    );
    await project.ok("deploy", "--version", "v1", "--strategy", "rolling");
    const blue = await project.status();
    const load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
    const deploy = await project.run("deploy", "--version", "v2", "--env", "FAIL_RATE=1");
    const after = await answersSentAfter(load, Date.now());
    await load.stop();
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/postPromotion analysis failed: .*error rate 100% > maxErrorRate 5%/);
    expect(after.filter((t) => t.version !== "v1" || t.status !== 200)).toEqual([]);
    const s = await project.status();
    expect(s.current?.version).toBe("v1");
    expect(s.instances.map((i) => i.pid).sort()).toEqual(blue.instances.map((i) => i.pid).sort());
    for (const i of s.instances) expect(isAlive(i.pid)).toBe(true);
  });
});
