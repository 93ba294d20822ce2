import { afterEach, describe, expect, it } from "vitest";
import { versionNotice } from "../src/cli/daemon-control.js";
import { PACKAGE_VERSION } from "../src/package-version.js";
import { helloConfig, TestProject } from "./support/project.js";

const RESTART_HINT = "hint: restart it with slipway down && slipway up";

describe("versionNotice", () => {
  it.each([
    [{ pid: 7, version: "0.1.0" }, "0.1.0", null],
    [{ pid: 7, version: "0.1.0" }, "0.2.0", `notice: the daemon (pid 7) runs Slipway 0.1.0, this CLI is 0.2.0; ${RESTART_HINT}`],
    [{ pid: 7, version: null }, "0.2.0", `notice: the daemon (pid 7) runs an older Slipway, this CLI is 0.2.0; ${RESTART_HINT}`],
  ])("%j against CLI %s", (ping, cli, expected) => {
    expect(versionNotice(ping, cli)).toBe(expected);
  });
});

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("a CLI talking to a daemon of another version", () => {
  it("says so in one line on stderr, with the restart hint, and the command still works", async () => {
    project = await TestProject.create((port) => helloConfig(port));
    // The daemon inherits the CLI's environment: this one reports another version (its test seam).
    const up = await project.runWith({ SLIPWAY_TEST_VERSION: "0.0.1-old" }, "up");
    expect(up.code).toBe(0);
    expect(up.stderr).toBe("");
    const pid = project.daemonPid();

    const status = await project.run("status");
    expect(status.code).toBe(0);
    expect(status.stderr).toBe(`notice: the daemon (pid ${pid}) runs Slipway 0.0.1-old, this CLI is ${PACKAGE_VERSION}; ${RESTART_HINT}\n`);
    expect(status.stdout).not.toBe("");
    const json = await project.run("status", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toHaveProperty("instances");
    expect((await project.run("up")).stderr).toMatch(/^notice: the daemon .* runs Slipway 0\.0\.1-old/);

    // Restarted as the hint says, the daemon runs this install's version: no notice.
    await project.ok("down");
    await project.ok("up");
    const after = await project.run("status");
    expect(after.code).toBe(0);
    expect(after.stderr).toBe("");
  });
});
