import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { helloConfig, TestProject } from "./support/project.js";

let project: TestProject | undefined;
let out: string | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
  if (out) rmSync(out, { recursive: true, force: true });
  out = undefined;
});

/** The hello app whose hooks append `<hook> <release> <previous> <strategy> <version>` to `log`; `command` replaces the app's. */
function configWithHooks(port: number, log: string, command?: string): string {
  const line = `sh -c 'echo "$SLIPWAY_HOOK $SLIPWAY_RELEASE $SLIPWAY_PREVIOUS_RELEASE $SLIPWAY_STRATEGY $SLIPWAY_VERSION" >> ${log}'`;
  const config = helloConfig(port, `hooks:\n  postDeploy: ${JSON.stringify(line)}\n  postRollback: ${JSON.stringify(line)}\n`);
  return command ? config.replace('command: ["node", "server.js"]', `command: ${command}`) : config;
}

it("postRollback after a failed deploy names the failed release SLIPWAY_RELEASE and the one serving again SLIPWAY_PREVIOUS_RELEASE", async () => {
  out = mkdtempSync(join(tmpdir(), "slipway-hook-env-"));
  const log = join(out, "hooks.log");
  project = await TestProject.create((port) => configWithHooks(port, log));
  await project.ok("deploy", "--version", "v1");
  project.writeConfig(configWithHooks(project.port, log, `["node", "-e", "process.exit(3)"]`));
  const failed = await project.run("deploy", "--version", "v2");
  expect(failed.code).toBe(1);
  expect(failed.stderr).toContain("release 2 (v2) failed");
  expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["postDeploy 1  rolling v1", "postRollback 2 1 rolling v2"]);
});
