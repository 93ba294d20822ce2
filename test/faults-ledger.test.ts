import { copyFileSync, existsSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { helloConfig, isAlive, TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

const oneReplica = (port: number) => helloConfig(port).replace("replicas: 3", "replicas: 1");

/** SIGKILLs the daemon and waits until it is gone (so nothing holds the ledger open). */
async function killDaemon(p: TestProject): Promise<void> {
  const pid = p.daemonPid()!;
  process.kill(pid, "SIGKILL");
  await waitFor("the daemon to die", () => !isAlive(pid), 5_000, 10);
}

it("a zero-byte ledger beside running instances: slipway up refuses with one line and a hint, and the instances keep running", async () => {
  project = await TestProject.create((port) => helloConfig(port).replace("replicas: 3", "replicas: 2"));
  await project.ok("deploy", "--version", "v1");
  const { instances } = await project.status();
  const state = join(project.dir, ".slipway");
  // Frozen, the router cannot restart the daemon before the ledger is emptied (it would, within a second).
  const router = project.routerPid()!;
  process.kill(router, "SIGSTOP");
  try {
    await killDaemon(project);
    truncateSync(join(state, "ledger.db"), 0);
    for (const f of ["ledger.db-wal", "ledger.db-shm"]) rmSync(join(state, f), { force: true });
  } finally {
    process.kill(router, "SIGCONT");
  }
  // The router keeps serving the instances it knew while no daemon can start.
  expect((await project.get("/")).status).toBe(200);

  const up = await project.run("up");
  expect(up.code).toBe(1);
  const running = instances.map((i) => `${i.id} \\(pid ${i.pid}\\)`).join(", ");
  expect(up.stderr).toMatch(
    new RegExp(
      `^error: the Slipway daemon did not start: the ledger ${state}/ledger\\.db is empty \\(0 bytes\\), but ${state} has release snapshots 1, 2 instance log\\(s\\), running instances ${running}: refusing to start afresh over them\\n` +
        `hint: restore ledger\\.db from a backup, then slipway up; to really start afresh, stop the instances \\(kill -TERM -\\d+ -\\d+\\) and move ${state} aside \\(mv ${state} ${state}\\.lost\\) \\(see ${state}/daemon\\.log\\)\\n$`,
    ),
  );
  expect(readFileSync(join(state, "daemon.log"), "utf8")).toContain(`error: the ledger ${state}/ledger.db is empty (0 bytes)`);
  // nothing was started afresh: the ledger is still empty, the instances still run and answer
  expect(statSync(join(state, "ledger.db")).size).toBe(0);
  for (const i of instances) {
    expect(isAlive(i.pid)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${i.port}/health`)).status).toBe(200);
  }
  // cleanup cannot stop them through a daemon: stop them here
  for (const i of instances) process.kill(-i.pid, "SIGKILL");
});

it("a missing ledger beside release snapshots (nothing running) is refused as well", async () => {
  project = await TestProject.create(oneReplica);
  await project.ok("deploy", "--version", "v1");
  await project.ok("down");
  const state = join(project.dir, ".slipway");
  for (const f of ["ledger.db", "ledger.db-wal", "ledger.db-shm"]) rmSync(join(state, f), { force: true });

  const up = await project.run("up");
  expect(up.code).toBe(1);
  expect(up.stderr).toMatch(
    /^error: the Slipway daemon did not start: the ledger .+ledger\.db is missing, but .+ has release snapshots 1, 1 instance log\(s\): refusing to start afresh over them\n/,
  );
  expect(up.stderr).toMatch(/\nhint: restore ledger\.db from a backup, then slipway up; to really start afresh, move .+ aside/);
  expect(existsSync(join(state, "ledger.db"))).toBe(false);
});

it("release ids are never reused over a snapshot left on disk (a ledger restored from an older backup)", async () => {
  project = await TestProject.create(oneReplica);
  await project.ok("deploy", "--version", "v1");
  await project.ok("down");
  const state = join(project.dir, ".slipway");
  copyFileSync(join(state, "ledger.db"), join(project.dir, "ledger.backup"));
  await project.ok("deploy", "--version", "v2");
  writeFileSync(join(state, "releases/2/marker"), "release 2 was here");
  await project.ok("down");
  // the backup knows release 1 only; releases/2 stays on disk
  for (const f of ["ledger.db-wal", "ledger.db-shm"]) rmSync(join(state, f), { force: true });
  copyFileSync(join(project.dir, "ledger.backup"), join(state, "ledger.db"));

  await project.ok("deploy", "--version", "v3");
  const releases = await project.json<{ id: number; version: string }[]>("releases");
  expect(releases.map((r) => [r.id, r.version])).toEqual([
    [3, "v3"],
    [1, "v1"],
  ]);
  expect(readFileSync(join(state, "releases/2/marker"), "utf8")).toBe("release 2 was here");
});
