import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { REPO, helloConfig, isAlive, TestProject, waitFor } from "./support/project.js";
import { SIDE_HOST, sidePort } from "./support/ports.js";

const LOAD = { rate: 200, concurrency: 8 };

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/** Waits until the router has started a daemon other than `killed`, and returns its pid. */
function restartedDaemon(p: TestProject, killed: number): Promise<number> {
  return waitFor("the router to restart the daemon", () => {
    const pid = p.daemonPid();
    return pid && pid !== killed && isAlive(pid) ? pid : undefined;
  });
}

describe("the router process", () => {
  it("keeps serving with zero failed requests when the daemon is SIGKILLed mid-canary; the daemon comes back by itself and drains the canary", async () => {
    project = await TestProject.create((port) =>
      helloConfig(port).replace(
        /strategy:\n {2}type: rolling\n/,
        "strategy:\n  type: canary\n  canary:\n    replicas: 1\n    steps: [{ setWeight: 30 }, { pause: {} }]\n",
      ),
    );
    await project.ok("deploy", "--version", "v1");
    await project.ok("deploy", "--version", "v2"); // paused at 30%
    const router = project.routerPid()!;
    const load = startLoad({ url: project.url, ...LOAD });
    try {
      await waitFor("the canary to get traffic", () => (load.report().versions.v2 ?? 0) > 20);
      const killed = project.daemonPid()!;
      process.kill(killed, "SIGKILL");
      await restartedDaemon(project, killed);
      const after = await waitFor("recovery to stop the canary", async () => {
        const s = await project!.status();
        return s.rollout === null && s.instances.every((i) => i.version === "v1" && i.state === "ready") ? s : undefined;
      });
      expect(after.current?.version).toBe("v1");
      expect(after.recovery?.stopped).toEqual(["r2-1"]);
      const sent = load.report().sent;
      await waitFor("more load after recovery", () => load.report().sent > sent + 200);
    } finally {
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.versions.v2).toBeGreaterThan(0);
    }
    expect(project.routerPid()).toBe(router); // one router all along
  });

  it("keeps serving with zero failed requests through a blue-green switch, a daemon SIGKILL after it and 15 s of load past the old app's keep-alive timeout", async () => {
    const previewPort = await sidePort();
    project = await TestProject.create((port) =>
      helloConfig(port).replace(
        /strategy:\n {2}type: rolling\n/,
        `strategy:\n  type: blue-green\n  blueGreen:\n    previewListen: ${SIDE_HOST}:${previewPort}\n    scaleDownDelay: 5m\n`,
      ),
    );
    await project.ok("deploy", "--version", "v1");
    const load = startLoad({ url: project.url, ...LOAD });
    try {
      await project.ok("deploy", "--version", "v2"); // switched; v1 on standby
      const switchedAt = Date.now();
      const killed = project.daemonPid()!;
      process.kill(killed, "SIGKILL");
      await restartedDaemon(project, killed);
      await waitFor("the restarted daemon to adopt v2, and v1 as its standby", async () => {
        const s = await project!.status();
        const ready = (version: string) => s.instances.filter((i) => i.version === version && i.state === "ready").length;
        return s.current?.version === "v2" && ready("v2") === 3 && ready("v1") === 3 && s.standby?.release === 1;
      });
      // Past Node's default keep-alive timeout (5 s) of the standby's idle pooled sockets, three times over.
      await waitFor("15 s after the switch", () => Date.now() - switchedAt > 15_000, 30_000, 250);
    } finally {
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      const last = report.timeline.slice(-100);
      expect(last.every((r) => r.version === "v2")).toBe(true);
    }
  });

  it("is restarted by the daemon after a SIGKILL, and a router started while the daemon is away serves the table it saved", async () => {
    project = await TestProject.create((port) =>
      helloConfig(port, "router: { upstreamIdleTimeout: 700ms, trustedProxies: [10.0.0.0/8], responseTimeout: 9s }\n"),
    );
    await project.ok("deploy", "--version", "v1");
    const saved = JSON.parse(readFileSync(join(project.dir, ".slipway/router.json"), "utf8")) as {
      listeners: { public: { options: Record<string, unknown>; groups: { targets: { id: string }[] }[] } };
    };
    expect(saved.listeners.public.groups.flatMap((g) => g.targets.map((t) => t.id)).sort()).toEqual(["r1-1", "r1-2", "r1-3"]);
    // slipway.yaml's router settings reach the router process
    expect(saved.listeners.public.options).toMatchObject({
      name: "hello",
      upstreamIdleTimeout: 700,
      trustedProxies: ["10.0.0.0/8"],
      responseTimeout: 9000,
    });
    expect(statSync(join(project.dir, ".slipway/router.sock")).mode & 0o777).toBe(0o600);

    const first = project.routerPid()!;
    process.kill(first, "SIGKILL");
    const second = await waitFor("the daemon to restart the router", () => {
      const pid = project!.routerPid();
      return pid && pid !== first ? pid : undefined;
    });
    await waitFor("the new router to serve", async () => (await project!.get("/")).status === 200);

    // With the daemon frozen, nobody can send the table: a new router must serve it from its file.
    const daemon = project.daemonPid()!;
    process.kill(daemon, "SIGSTOP");
    try {
      process.kill(second, "SIGKILL");
      await waitFor(
        "the port to close",
        async () =>
          !(await project!.get("/").then(
            () => true,
            () => false,
          )),
      );
      const third = spawn(process.execPath, [join(REPO, "dist/routerd/main.js"), "--root", project.dir], {
        cwd: project.dir,
        stdio: "ignore",
      });
      third.unref();
      const res = await waitFor("the restored router to serve v1", async () => {
        const r = await project!.get("/");
        return r.status === 200 ? r : undefined;
      });
      expect(res.body).toContain('"version":"v1"');
    } finally {
      process.kill(daemon, "SIGCONT");
    }
    expect(isAlive(daemon)).toBe(true);
    expect((await project.status()).instances.map((i) => i.state)).toEqual(["ready", "ready", "ready"]);
  });

  it("slipway down stops the router and forgets its table; a router whose project is deleted exits", async () => {
    project = await TestProject.create();
    await project.ok("deploy", "--version", "v1");
    const router = project.routerPid()!;
    await project.ok("down");
    await waitFor("the router to exit", () => !isAlive(router));
    expect(existsSync(join(project.dir, ".slipway/router.json"))).toBe(false);
    await expect(project.get("/")).rejects.toThrow();

    await project.ok("up");
    const again = await waitFor("a router", () => project!.routerPid());
    rmSync(join(project.dir, ".slipway"), { recursive: true, force: true });
    await waitFor("the orphaned router to exit", () => !isAlive(again), 20_000);
  });
});
