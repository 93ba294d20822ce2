import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { createBigApp } from "./support/big-app.js";
import { linkSlipway, TestProject } from "./support/project.js";

let project: TestProject | undefined;
let scratch = "";
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
  rmSync(scratch, { recursive: true, force: true });
});

it("a rolling deploy and a rollback of an app with a 100 MB node_modules give zero failed requests at 200 req/s", async () => {
  project = await TestProject.create();
  // examples/hello with a realistic node_modules beside it (about 20,000 files, 100 MB)
  scratch = mkdtempSync(join(tmpdir(), "slipway-bigapp-"));
  const big = createBigApp(join(scratch, "app"));
  expect(big.bytes).toBeGreaterThan(95 * 1024 * 1024);
  rmSync(join(project.dir, "node_modules"), { recursive: true, force: true });
  renameSync(join(scratch, "app/node_modules"), join(project.dir, "node_modules"));
  linkSlipway(project.dir);
  await project.ok("deploy", "--version", "v1");

  const load = startLoad({ url: project.url, rate: 200, concurrency: 8 });
  let report;
  try {
    const deploy = await project.run("deploy", "--version", "v2");
    expect(deploy.code, deploy.stderr).toBe(0);
    const rollback = await project.run("rollback");
    expect(rollback.code, rollback.stderr).toBe(0);
  } finally {
    report = await load.stop();
  }
  expect(report.failures).toEqual([]);
  expect(report.failed).toBe(0);
  expect(report.versions.v2).toBeGreaterThan(0);
  expect(report.timeline.at(-1)?.version).toBe("v1");
}, 600_000);
