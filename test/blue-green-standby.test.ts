import { afterEach, describe, expect, it } from "vitest";
import { blueGreenConfig } from "./support/blue-green-config.js";
import { isAlive, TestProject, waitFor } from "./support/project.js";
import { sidePort } from "./support/ports.js";

interface Status {
  current: { id: number; version: string } | null;
  rollout: { id: number } | null;
  standby: { release: number; until: number } | null;
  recovery: { standby: string[]; stopped: string[] } | null;
  instances: { id: string; version: string; state: string; pid: number; inRotation: boolean }[];
}

let project: TestProject | undefined;
let frozenRouter: number | null = null;
afterEach(async () => {
  if (frozenRouter) process.kill(frozenRouter, "SIGCONT");
  frozenRouter = null;
  await project?.cleanup();
  project = undefined;
});

/** v1 by a rolling deploy, then v2 by a blue-green switch: v1 is on standby. Returns v1's instances. */
async function switchedToGreen(p: TestProject): Promise<Status> {
  await p.ok("deploy", "--version", "v1", "--strategy", "rolling");
  const blue = await p.json<Status>("status");
  await p.ok("deploy", "--version", "v2");
  const switched = await p.json<Status>("status");
  expect(switched.current?.version).toBe("v2");
  expect(switched.standby?.release).toBe(1);
  return { ...blue, standby: switched.standby };
}

/** SIGKILLs the daemon; resolves with the pid of the one the router started instead. */
async function killDaemon(p: TestProject): Promise<number> {
  const killed = p.daemonPid()!;
  process.kill(killed, "SIGKILL");
  await waitFor("the daemon to die", () => !isAlive(killed));
  return killed;
}

const restartedDaemon = (p: TestProject, killed: number) =>
  waitFor("the router to restart the daemon", () => {
    const pid = p.daemonPid();
    return pid && pid !== killed && isAlive(pid) ? pid : undefined;
  });

describe("blue-green standby across a daemon restart", () => {
  it("a daemon killed after the switch keeps the standby: rollback is still an instant switch to the same processes", async () => {
    const previewPort = await sidePort();
    project = await TestProject.create((port) => blueGreenConfig(port, previewPort, "    scaleDownDelay: 60s"));
    const blue = await switchedToGreen(project);
    const bluePids = blue.instances.map((i) => i.pid).sort();

    const killed = await killDaemon(project);
    await restartedDaemon(project, killed);
    const recovered = await waitFor("recovery to keep the standby", async () => {
      const s = await project!.json<Status>("status");
      const v1 = s.instances.filter((i) => i.version === "v1");
      return s.rollout === null && v1.length === bluePids.length && v1.every((i) => i.state === "ready") ? s : undefined;
    });
    // the same deadline as before the kill, the same processes, out of rotation
    expect(recovered.standby).toEqual(blue.standby);
    expect(recovered.recovery?.standby.sort()).toEqual(blue.instances.map((i) => i.id).sort());
    expect(recovered.recovery?.stopped).toEqual([]);
    const v1 = recovered.instances.filter((i) => i.version === "v1");
    expect(v1.map((i) => i.pid).sort()).toEqual(bluePids);
    expect(v1.every((i) => !i.inRotation)).toBe(true);
    expect(((await (await fetch(project.url)).json()) as { version: string }).version).toBe("v2");

    const rollback = await project.run("rollback");
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/rolled back: release 1 \(v1\) is live by switching traffic in \d+ms, no process started/);
    const back = await project.json<Status>("status");
    expect(back.current?.version).toBe("v1");
    expect(back.standby).toBeNull();
    expect(
      back.instances
        .filter((i) => i.version === "v1")
        .map((i) => i.pid)
        .sort(),
    ).toEqual(bluePids);
    expect(((await (await fetch(project.url)).json()) as { version: string }).version).toBe("v1");
  });

  it("a standby whose deadline passed while no daemon ran is stopped by recovery", async () => {
    const previewPort = await sidePort();
    project = await TestProject.create((port) => blueGreenConfig(port, previewPort, "    scaleDownDelay: 3s"));
    const blue = await switchedToGreen(project);
    // Frozen, the router cannot restart the daemon until the deadline has passed.
    frozenRouter = project.routerPid()!;
    process.kill(frozenRouter, "SIGSTOP");
    const killed = await killDaemon(project);
    await waitFor("the standby's deadline to pass", () => Date.now() > blue.standby!.until + 100, 30_000);
    process.kill(frozenRouter, "SIGCONT");
    frozenRouter = null;
    await restartedDaemon(project, killed);
    for (const i of blue.instances) await waitFor(`${i.id} to stop`, () => !isAlive(i.pid));
    const s = await waitFor("recovery to end", async () => {
      const st = await project!.json<Status>("status");
      return st.rollout === null && st.recovery ? st : undefined;
    });
    expect(s.standby).toBeNull();
    expect(s.recovery?.standby).toEqual([]);
    expect(s.recovery?.stopped.sort()).toEqual(blue.instances.map((i) => i.id).sort());
    expect(s.instances.map((i) => i.version)).toEqual(["v2", "v2", "v2"]);
  });
});
