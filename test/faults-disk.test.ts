import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { startLoad, type LoadReport } from "../src/load/load-generator.js";
import { helloConfig, isAlive, TestProject, waitFor } from "./support/project.js";
import type { Status } from "./support/status.js";
import { SIDE_HOST, sidePort } from "./support/ports.js";
import { fillDisk, mountTmpfs, tmpfsUnavailable, unmountTmpfs } from "./support/tmpfs.js";

const noTmpfs = tmpfsUnavailable();
if (noTmpfs) console.warn(`test/faults-disk.test.ts skipped: ${noTmpfs}`);

let project: TestProject | undefined;
let mounted: string | undefined;
let load: ReturnType<typeof startLoad> | undefined;

afterEach(async () => {
  await load?.stop();
  load = undefined;
  if (mounted) rmSync(join(mounted, "filler"), { force: true }); // so slipway down can record what it does
  await project?.shutdown(); // before the unmount: nothing may hold the tmpfs
  if (mounted) unmountTmpfs(mounted);
  mounted = undefined;
  await project?.cleanup();
  project = undefined;
});

/** A project whose .slipway is a 2 MB tmpfs, with v1 deployed (2 instances) and a steady load on it. */
async function deployedOnSmallDisk(
  edit: (config: string) => string = (c) => c,
  ...firstDeploy: string[]
): Promise<{ project: TestProject; state: string; daemon: number }> {
  project = await TestProject.create((port) => edit(helloConfig(port).replace("replicas: 3", "replicas: 2")));
  mounted = join(project.dir, ".slipway");
  mountTmpfs(mounted, "2m");
  const first = await project.run("deploy", "--version", "v1", ...firstDeploy);
  expect(first.code, first.stderr).toBe(0);
  load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
  return { project, state: mounted, daemon: project.daemonPid()! };
}

/** Frees the disk, deploys v3 (which must work), stops the load: zero failed requests throughout. */
async function freeAndDeploy(p: TestProject, state: string, daemon: number): Promise<LoadReport> {
  rmSync(join(state, "filler"));
  const ok = await p.run("deploy", "--version", "v3");
  expect(ok.code, ok.stderr).toBe(0);
  const report = await load!.stop();
  load = undefined;
  expect(report.failed, report.failures.join("\n")).toBe(0);
  expect((await expectServing(p, daemon)).current?.version).toBe("v3");
  return report;
}

/** What must hold after a full disk: the daemon is the same process, v1 (or what went live) serves, status answers. */
async function expectServing(p: TestProject, daemon: number): Promise<Status> {
  expect(isAlive(daemon)).toBe(true);
  expect(p.daemonPid()).toBe(daemon);
  const status = await p.status();
  expect(status.rollout).toBeNull();
  expect((await p.get("/")).status).toBe(200);
  return status;
}

it.skipIf(noTmpfs !== null)(
  "a deploy on a full disk fails with a disk-space hint (not a bug); the daemon stays up, the last good release serves every request; after freeing space a deploy works",
  async () => {
    const { project: p, state, daemon } = await deployedOnSmallDisk();
    fillDisk(join(state, "filler"));

    const failed = await p.run("deploy", "--version", "v2");
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(new RegExp(`^error: no space left on the disk holding ${state} \\(`));
    expect(failed.stderr).toContain(`hint: free space on the filesystem of ${state} (df -h ${state}) and retry`);
    expect(failed.stderr).not.toMatch(/bug/i);
    const status = await expectServing(p, daemon);
    expect(status.current?.version).toBe("v1");
    expect(status.instances.map((i) => [i.version, i.state])).toEqual([
      ["v1", "ready"],
      ["v1", "ready"],
    ]);

    // An instance crash on the full disk: the exit handler's ledger writes fail, the daemon lives on and restarts it.
    process.kill(status.instances[0]!.pid, "SIGKILL");
    await waitFor("the crashed instance to be noticed", async () => {
      const s = await p.status();
      return s.instances.some((i) => i.state !== "ready");
    });
    expect(isAlive(daemon)).toBe(true);
    // (its ledger lines, when they could not be written, are in daemon.log as "fault: ledger: record r1-1 restarting failed: ...")
    expect(readFileSync(join(state, "daemon.log"), "utf8")).not.toMatch(/not survivable/);
    rmSync(join(state, "filler"));
    await waitFor("both v1 instances to be ready again", async () => {
      const s = await p.status();
      return s.instances.filter((i) => i.version === "v1" && i.state === "ready").length === 2;
    });
    fillDisk(join(state, "filler"));

    const report = await freeAndDeploy(p, state, daemon);
    expect(report.versions.v1).toBeGreaterThan(0);
    expect(report.versions.v3).toBeGreaterThan(0);
    expect(report.versions.v2).toBeUndefined();
  },
  120_000,
);

it.skipIf(noTmpfs !== null)(
  "a disk that fills up mid-deploy: the deploy succeeds or fails with a clear line (never a bug, never a dead daemon); every request succeeds; after freeing space a deploy works",
  async () => {
    const { project: p, state, daemon } = await deployedOnSmallDisk();
    const deploy = p.run("deploy", "--version", "v2");
    await waitFor("a v2 instance to start", async () => {
      const s = await p.status();
      return s.instances.some((i) => i.version === "v2" && i.pid > 0);
    });
    fillDisk(join(state, "filler"));
    const result = await deploy;
    if (result.code !== 0) {
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^error: /);
      expect(result.stderr).not.toMatch(/bug/i);
    }
    await expectServing(p, daemon);
    const log = readFileSync(join(state, "daemon.log"), "utf8");
    expect(log).not.toMatch(/not survivable/);

    await freeAndDeploy(p, state, daemon);
  },
  120_000,
);

it.skipIf(noTmpfs !== null)(
  "a disk that is full when a release goes live: it keeps serving (the old one is not brought back on a full disk), and its activation is recorded once space frees",
  async () => {
    // Blue-green with a manual promotion: the disk fills while v2 waits, ready, for the switch.
    const preview = `${SIDE_HOST}:${await sidePort()}`;
    const blueGreen = (c: string) =>
      c.replace(
        /strategy:\n {2}type: rolling\n/,
        `strategy:\n  type: blue-green\n  blueGreen: { previewListen: "${preview}", autoPromote: false, scaleDownDelay: 0s }\n`,
      );
    const { project: p, state, daemon } = await deployedOnSmallDisk(blueGreen, "--strategy", "rolling");
    const paused = await p.run("deploy", "--version", "v2");
    expect(paused.code, paused.stderr).toBe(0); // waiting for promote
    fillDisk(join(state, "filler"));
    // promote follows the rollout like deploy: it ends with what deploy would say, exit 1
    const promote = await p.run("promote");
    expect(promote.code).toBe(1);
    expect(promote.stderr).toMatch(
      /^error: no space left on the disk holding .*\n {2}release 2 \(v2\) serves, but the ledger could not record it yet/,
    );
    await waitFor("v2 to serve", async () => (await p.get("/")).body.includes('"version":"v2"'));
    // the ledger could not say so: it still names v1, and no rollout is shown as running
    const during = await expectServing(p, daemon);
    expect(during.current?.version).toBe("v1");
    for (let i = 0; i < 20; i++) expect((await p.get("/")).body).toContain('"version":"v2"');

    rmSync(join(state, "filler"));
    await waitFor("the activation of v2 to be recorded", async () => (await p.status()).current?.version === "v2", 20_000);
    const report = await load!.stop();
    load = undefined;
    expect(report.failed, report.failures.join("\n")).toBe(0);
    expect(readFileSync(join(state, "daemon.log"), "utf8")).not.toMatch(/not survivable/);
  },
  120_000,
);
