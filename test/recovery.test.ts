import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { helloConfig, isAlive, TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

it("after SIGKILL of the daemon (even before it recorded a new instance's pid), the router keeps serving, restarts the daemon, and the new daemon brings back the last good release", async () => {
  project = await TestProject.create((port) => helloConfig(port).replace("minReady: 300ms", "minReady: 2s"));
  await project.ok("deploy", "--version", "v1");
  await project.ok("deploy", "--version", "v2");
  const before = await project.status();
  const router = project.routerPid()!;

  // a third rollout is in flight when the daemon dies
  const third = project.run("deploy", "--version", "v3");
  const mid = await waitFor("a v3 instance to run", async () => {
    const s = await project!.status();
    return s.rollout && s.instances.find((i) => i.version === "v3" && i.pid > 0);
  });
  // Frozen, the router cannot restart the daemon while the test rewrites the ledger.
  process.kill(router, "SIGSTOP");
  const killed = project.daemonPid()!;
  try {
    process.kill(killed, "SIGKILL");
    await waitFor("the daemon to die", () => !isAlive(killed));
    // The worst moment to die: after recording the v3 instance, before learning its pid (pid 0).
    // The next daemon must still find it (by its log file) and stop it.
    const db = new Database(join(project.dir, ".slipway/ledger.db"));
    expect(db.prepare("UPDATE instances SET pid = 0 WHERE id = ?").run(mid.id).changes).toBe(1);
    db.close();
  } finally {
    process.kill(router, "SIGCONT");
  }
  expect((await third).code).not.toBe(0);
  // instances are detached: they survive their daemon, and the router still sends them traffic
  for (const i of before.instances) expect(isAlive(i.pid)).toBe(true);
  expect((await project.get("/")).status).toBe(200);

  const restarted = await waitFor("the router to restart the daemon", () => {
    const pid = project!.daemonPid();
    return pid && pid !== killed && isAlive(pid) ? pid : undefined;
  });
  const up = await project.run("up"); // idempotent: reports what the restarted daemon recovered
  expect(up.code).toBe(0);
  expect(up.stdout).toContain(`daemon already running (pid ${restarted})`);
  expect(up.stdout).toMatch(/rollout 3 was interrupted/);
  expect(up.stdout).toMatch(/adopted running instances: r2-1, r2-2, r2-3/);
  expect(up.stdout).toContain(`stopped orphaned instances: ${mid.id}`);

  const res = await waitFor("v2 to serve", async () => {
    const r = await project!.get("/");
    return r.status === 200 ? r : undefined;
  });
  expect(res.body).toContain('"version":"v2"');
  await waitFor("the orphaned v3 instance to be gone", async () => !isAlive(mid.pid));

  const after = await project.status();
  expect(after.current?.version).toBe("v2");
  expect(after.instances.map((i) => i.pid).sort()).toEqual(before.instances.map((i) => i.pid).sort());
  const releases = await project.json<{ id: number; version: string; status: string }[]>("releases");
  expect(releases.map((r) => [r.id, r.version, r.status])).toEqual([
    [3, "v3", "failed"],
    [2, "v2", "active"],
    [1, "v1", "superseded"],
  ]);
  expect(isAlive(router)).toBe(true); // the same router all along

  // slipway down stops everything it adopted, the router included
  await project.ok("down");
  for (const i of after.instances) await waitFor(`${i.id} to stop`, async () => !isAlive(i.pid));
  await waitFor("the router to exit", () => !isAlive(router));
});
