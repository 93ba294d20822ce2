import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/program.js";
import { PACKAGE_VERSION } from "../src/package-version.js";

/** Runs a command line in this process, its own output captured. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(["node", "slipway", ...args], {
    out: { write: (s: string) => ((out += s), true) },
    err: { write: (s: string) => ((err += s), true) },
  });
  return { code, out, err };
}

describe("the command line's argument handling, in process", () => {
  let dir = "";
  let config = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "slipway-cli-args-"));
    config = join(dir, "slipway.yaml");
    writeFileSync(config, "name: args\napp:\n  command: node server.js\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Bad input changes nothing: no state directory, no daemon, no release. */
  const untouched = () => expect(readdirSync(dir)).toEqual(["slipway.yaml"]);

  it("prints its version and its help on stdout, exit 0", async () => {
    expect(await cli("--cli-version")).toEqual({ code: 0, out: `${PACKAGE_VERSION}\n`, err: "" });
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: slipway \[options\] \[command\]/);
    expect(help.out).toContain("deploy [options]");
  });

  it("suggests the command meant by a typo, with the help hint, exit 2", async () => {
    const r = await cli("deplyo");
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: unknown command 'deplyo'\n(Did you mean deploy?)\nhint: see slipway --help\n");
    expect(r.out).toBe("");
  });

  it("refuses an unknown option of a command", async () => {
    const r = await cli("rollback", "--too", "3");
    expect(r.code).toBe(2);
    expect(r.err).toContain("error: unknown option '--too'");
    expect(r.err).toContain("(Did you mean --to?)");
  });

  it("refuses each bad flag value in one line with a hint, before reading the config or starting anything", async () => {
    const cases: [string[], string][] = [
      [["rollback", "--to", "two"], "error: --to two: must be a whole number\nhint: e.g. --to 3\n"],
      [["deploy", "--wait-lock", "soon"], "error: --wait-lock soon: not a duration\nhint: use a duration like 30s or 5m\n"],
      [["deploy", "--env", "LOG_LEVEL"], "error: --env LOG_LEVEL: expected KEY=VALUE\nhint: e.g. --env LOG_LEVEL=debug\n"],
      [
        ["deploy", "--strategy", "sideways"],
        "error: --strategy sideways: unknown strategy\nhint: use one of rolling, blue-green, canary\n",
      ],
    ];
    for (const [args, err] of cases) {
      expect(await cli("-c", config, ...args), args.join(" ")).toEqual({ code: 2, out: "", err });
      untouched();
    }
  });

  it("names a config file that does not exist, exit 2", async () => {
    const r = await cli("-c", join(dir, "missing.yaml"), "config", "validate");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .*missing\.yaml/);
    expect(r.err).toContain("hint: ");
    expect(existsSync(join(dir, ".slipway"))).toBe(false);
  });
});
