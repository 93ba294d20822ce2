import { afterEach, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { answersSentAfter } from "./support/load.js";
import { isAlive, TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

// examples/hello with slipway/health: readiness /health/ready (200ms x 2), shutdownDelay 800ms (helloConfig).
it("SIGTERM to one instance under 200 req/s through the router: readiness fails first, zero failed requests, exit 0, restarted", async () => {
  project = await TestProject.create();
  await project.ok("deploy", "--version", "v1");
  const before = await project.status();
  expect(before.instances.map((i) => i.state)).toEqual(["ready", "ready", "ready"]);
  const victim = before.instances[0]!;

  const load = startLoad({ url: project.url, rate: 200, concurrency: 8 });
  await waitFor("the load to be answered", () => load.report().ok >= 50);
  process.kill(victim.pid, "SIGTERM"); // kill -TERM <pid>, as an operator or an OOM-avoiding supervisor would

  await waitFor("the instance to exit", async () => !isAlive(victim.pid), 10_000);
  const back = await waitFor("the instance to be restarted and ready", async () => {
    const s = await project!.status();
    const i = s.instances.find((x) => x.id === victim.id);
    return i && i.state === "ready" && i.pid !== victim.pid ? i : undefined;
  });
  await answersSentAfter(load, Date.now()); // and a few more, with the new instance in rotation
  const report = await load.stop();

  expect(report.failures).toEqual([]);
  expect(report.failed).toBe(0);
  expect(report.sent).toBeGreaterThan(200);
  expect(back).toMatchObject({ restarts: 1, inRotation: true });

  // the router stopped sending because readiness failed, before the process went away
  const events = project.instanceEvents(victim.id);
  const unready = events.findIndex((m) => m.includes("ready -> unready"));
  const exited = events.findIndex((m) => /-> restarting: process exited with code 0/.test(m));
  expect(unready, events.join("\n")).toBeGreaterThan(-1);
  expect(exited, events.join("\n")).toBeGreaterThan(unready);

  const logs = await project.run("logs", "-n", "200");
  expect(logs.stdout).toContain(`${victim.id} | hello v1 (${victim.id}) shutdown: SIGTERM; readiness fails now, closing in 800ms`);
  expect(logs.stdout).toContain(`${victim.id} | hello v1 (${victim.id}) shutdown: done, exit 0`);
});
