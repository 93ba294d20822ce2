import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { unitName, unitPath, unitText, type UnitOptions } from "../src/service/systemd-unit.js";
import { helloConfig, runCli } from "./support/project.js";
import { writeFileSync } from "node:fs";

const BASE: UnitOptions = {
  name: "hello",
  root: "/srv/hello",
  configFile: "/srv/hello/slipway.yaml",
  node: "/usr/bin/node",
  cli: "/srv/hello/node_modules/slipway/dist/cli/main.js",
  path: "/usr/local/bin:/usr/bin:/bin",
  user: false,
  runAs: "deploy",
  stopTimeoutSec: 65,
};

/** `key=value` lines of one section of a unit file. */
function section(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  let inside = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("[")) inside = line === `[${name}]`;
    else if (inside && line.includes("=")) out[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
  }
  return out;
}

describe("the systemd unit", () => {
  it("is a oneshot that runs slipway up at start and slipway down at stop, as the installing user, after the network", () => {
    const text = unitText(BASE);
    expect(section(text, "Unit")).toMatchObject({ After: "network-online.target", Wants: "network-online.target" });
    expect(section(text, "Service")).toEqual({
      Type: "oneshot",
      RemainAfterExit: "yes",
      User: "deploy",
      WorkingDirectory: "/srv/hello",
      Environment: "PATH=/usr/local/bin:/usr/bin:/bin",
      ExecStart: "/usr/bin/node /srv/hello/node_modules/slipway/dist/cli/main.js --config /srv/hello/slipway.yaml up",
      ExecStop: "/usr/bin/node /srv/hello/node_modules/slipway/dist/cli/main.js --config /srv/hello/slipway.yaml down",
      TimeoutStartSec: "60",
      TimeoutStopSec: "65",
    });
    expect(section(text, "Install")).toEqual({ WantedBy: "multi-user.target" });
  });

  it("as a user unit: no User=, no network target, wanted by default.target, under ~/.config/systemd/user", () => {
    const text = unitText({ ...BASE, user: true, environment: "staging" });
    expect(section(text, "Service").User).toBeUndefined();
    expect(section(text, "Unit").After).toBeUndefined();
    expect(section(text, "Service").ExecStart).toMatch(/--environment staging up$/);
    expect(section(text, "Install")).toEqual({ WantedBy: "default.target" });
    expect(unitPath("hello", true, "/home/ann")).toBe("/home/ann/.config/systemd/user/slipway-hello.service");
    expect(unitPath("hello", false)).toBe("/etc/systemd/system/slipway-hello.service");
  });

  it("quotes paths with spaces and keeps %, $ and quotes literal (systemd would expand them)", () => {
    const text = unitText({ ...BASE, root: '/srv/my app "1"', configFile: "/srv/my app/100%/$HOME.yaml" });
    const service = section(text, "Service");
    expect(service.WorkingDirectory).toBe('"/srv/my app \\"1\\""');
    expect(service.ExecStart).toContain('--config "/srv/my app/100%%/$$HOME.yaml" up');
    expect(unitName("my app")).toBe("slipway-my-app.service");
  });
});

describe("slipway service install", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("--dry-run prints the unit and writes nothing; --user writes it under HOME; a second install needs --force", async () => {
    dir = mkdtempSync(join(tmpdir(), "slipway-service-"));
    writeFileSync(join(dir, "slipway.yaml"), helloConfig(18099));
    const env = { HOME: join(dir, "home") };
    const dry = await runCli(dir, ["service", "install", "--user", "--dry-run"], { env });
    expect(dry.code).toBe(0);
    const file = join(dir, "home/.config/systemd/user/slipway-hello.service");
    expect(dry.stdout.split("\n")[0]).toBe(`# ${file}`);
    expect(section(dry.stdout, "Service").ExecStart).toBe(
      `${process.execPath} ${join(process.cwd(), "dist/cli/main.js")} --config ${join(dir, "slipway.yaml")} up`,
    );
    expect(() => statSync(file)).toThrow();

    const install = await runCli(dir, ["service", "install", "--user"], { env });
    expect(install.code).toBe(0);
    expect(install.stdout).toContain("systemctl --user daemon-reload && systemctl --user enable --now slipway-hello.service");
    expect(readFileSync(file, "utf8")).toBe(dry.stdout.slice(dry.stdout.indexOf("\n") + 1));

    const again = await runCli(dir, ["service", "install", "--user"], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`error: ${file} already exists`);
    expect((await runCli(dir, ["service", "install", "--user", "--force"], { env })).code).toBe(0);
  });
});
