import { afterEach, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

it("restarts an instance that crashes after becoming ready, and routes around it meanwhile", async () => {
  project = await TestProject.create();
  await project.ok("deploy", "--version", "v1");
  const before = await project.status();
  const victim = before.instances[0]!;

  const load = startLoad({ url: project.url, rate: 200, concurrency: 8 });
  await waitFor("the load to be answered", () => load.report().ok >= 50);
  process.kill(victim.pid, "SIGKILL");

  // not ready lasts about a second: wait on the ledger's record of it, not on a status poll
  const left = await waitFor("the crashed instance to leave ready", () =>
    project!.instanceEvents(victim.id).find((m) => m.startsWith(`${victim.id} ready -> `)),
  );
  expect(left).toMatch(/ ready -> (unready|restarting): /);

  const back = await waitFor("the instance to be restarted and ready", async () => {
    const s = await project!.status();
    const i = s.instances.find((x) => x.id === victim.id);
    return i && i.state === "ready" && i.restarts === 1 ? i : undefined;
  });
  const report = await load.stop();
  expect(back.pid).not.toBe(victim.pid);
  expect(back.inRotation).toBe(true);
  expect(report.failures).toEqual([]);

  const logs = await project.run("logs", "-n", "100");
  expect(logs.stdout).toContain(`${victim.id} | hello v1 (${victim.id}) listening`);
});
