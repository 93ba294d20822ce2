import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PACKAGE_VERSION } from "../src/package-version.js";
import { CLI, REPO, runCli, TestProject } from "./support/project.js";

/**
 * The built CLI's start: `--version` before anything loads, each command
 * loading only its own modules, `slipway version`, and the completion scripts
 * as bash, zsh and fish read them.
 */

const RECORDER = join(REPO, "test/support/record-imports.mjs");
/** What the daemon's client path must never load (issue 13): the config schema, YAML, Docker, the audit, SQLite, the redraw. */
const HEAVY = [/node_modules\/zod\//, /node_modules\/yaml\//, /node_modules\/dockerode\//, /dist\/audit\//, /better-sqlite3/, /log-update/];

let dirs: string[] = [];
let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-cli-start-"));
  dirs.push(dir);
  return dir;
}

/** The modules (file URLs and CommonJS paths) `slipway ...args` loads in `cwd`. */
function modulesOf(cwd: string, args: string[]): string[] {
  const out = join(cwd, `imports-${args.join("-")}.txt`);
  writeFileSync(out, "");
  spawnSync(process.execPath, ["--import", RECORDER, CLI, ...args], { cwd, env: { ...process.env, SLIPWAY_RECORD_IMPORTS: out, CI: "1" } });
  return [...new Set(readFileSync(out, "utf8").split("\n").filter(Boolean))];
}

/** Runs `script` in `shell` after loading the completion script of that shell; its stdout. */
function shell(bin: string, script: string, cwd: string, binDir = join(cwd, "bin")): string {
  const r = spawnSync(bin, ["-c", script], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` },
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("slipway --version and slipway version", () => {
  it("prints the version alone, exit 0, loading neither commander nor a command", async () => {
    const dir = tempDir();
    for (const flag of ["--version", "-V"])
      expect(await runCli(dir, [flag])).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: "" });
    const loaded = modulesOf(dir, ["--version"]).filter((m) => !m.startsWith("node:") && !m.startsWith("cjs:node:"));
    expect(loaded.map((m) => m.replace(/^.*\/dist\//, "dist/")).sort()).toEqual([
      "dist/cli/main.js",
      "dist/cli/version-flags.js",
      "dist/package-version.js",
    ]);
  });

  it("status, rollback, promote and stats load none of the config schema, YAML, Docker, audit, SQLite or redraw modules", () => {
    const dir = tempDir();
    for (const command of [["status"], ["rollback"], ["promote"], ["logs"], ["stats"], ["version"]]) {
      const loaded = modulesOf(dir, command);
      expect(
        loaded.some((m) => m.includes("commands/")),
        command.join(" "),
      ).toBe(true);
      expect(
        loaded.filter((m) => HEAVY.some((re) => re.test(m))),
        command.join(" "),
      ).toEqual([]);
      // and only that command's module
      expect(loaded.filter((m) => /commands\/\w+-commands\.js/.test(m)).length, command.join(" ")).toBe(1);
    }
    // deploy reads the config: zod loads there, Docker and the audit still do not
    const deploy = modulesOf(dir, ["deploy"]);
    expect(deploy.some((m) => m.includes("node_modules/zod/"))).toBe(true);
    expect(deploy.filter((m) => /dockerode|dist\/audit\//.test(m))).toEqual([]);
  });

  it("version names Node and the daemon's version when one runs; completion offers the project's release ids", async () => {
    project = await TestProject.create();
    const before = JSON.parse((await project.ok("version", "--json")).stdout) as unknown;
    expect(before).toEqual({ slipway: PACKAGE_VERSION, node: process.version, daemon: null });
    expect((await project.ok("version")).stdout).toBe(
      `slipway ${PACKAGE_VERSION}\nnode    ${process.version}\ndaemon  not running for this project\n`,
    );
    await project.ok("deploy", "--version", "v1");
    await project.ok("deploy", "--version", "v2");
    const running = JSON.parse((await project.ok("version", "--json")).stdout) as { daemon: { pid: number; version: string } };
    expect(running.daemon).toEqual({ pid: expect.any(Number) as number, version: PACKAGE_VERSION });

    // a `slipway` on PATH for the scripts to call, as an installed one would be
    const dir = project.dir;
    shell(
      "bash",
      `mkdir -p bin && printf '#!/bin/sh\\nexec ${process.execPath} ${CLI} "$@"\\n' > bin/slipway && chmod +x bin/slipway`,
      dir,
    );
    const complete = (line: string) =>
      shell(
        "bash",
        `eval "$(slipway completion bash)"; COMP_WORDS=(${line}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _slipway; printf '%s\\n' "\${COMPREPLY[@]}"`,
        dir,
      )
        .trim()
        .split("\n");
    // from the daemon, newest first
    expect(complete(`slipway rollback --to ''`)).toEqual(["2", "1"]);
    expect(complete(`slipway logs --release ''`)).toEqual(["2", "1"]);
    expect((await project.ok("completion", "releases")).stdout).toMatch(/^2\tv2 active\n1\tv1 superseded\n$/);
    await project.ok("down");
    // from the ledger, read only, with no daemon
    expect(complete(`slipway rollback --to ''`)).toEqual(["2", "1"]);
    // commands, options, fixed values
    expect(complete("slipway dep")).toEqual(["deploy"]);
    expect(complete("slipway deploy --str")).toEqual(["--strategy"]);
    expect(complete("slipway deploy --strategy ''")).toEqual(["rolling", "blue-green", "canary"]);
    expect(complete("slipway init --strategy ''")).toEqual(["rolling", "canary"]);
    expect(complete("slipway -c slipway.yaml pro")).toEqual(["promote"]);
    expect(complete("slipway promote --")).toEqual(expect.arrayContaining(["--full", "--no-wait", "--help"]));
    expect(complete("slipway env ch")).toEqual(["check"]);
    expect(complete("slipway completion ''")).toEqual(expect.arrayContaining(["bash", "zsh", "fish"]));
    expect(complete("slipway audit --fail-on ''")).toEqual(["error", "warning", "info", "none"]);
    // env check's --release is a switch, logs' -f too: what follows them is an option, not a release id or a file
    expect(complete("slipway env check --release --w")).toEqual(["--with-process-env"]);
    expect(complete("slipway env check --release ''")).not.toContain("2");
    expect(complete("slipway logs -f --r")).toEqual(["--release"]);
    // fish, with -c naming the project from elsewhere
    writeFileSync(join(dir, "slipway.fish"), (await project.ok("completion", "fish")).stdout);
    const other = tempDir();
    const fish = shell(
      "fish",
      `source ${join(dir, "slipway.fish")}; complete -C 'slipway -c ${join(dir, "slipway.yaml")} rollback --to '`,
      other,
      join(dir, "bin"),
    );
    expect(fish.trim().split("\n")).toEqual(["1\tv1 superseded", "2\tv2 active"]); // fish sorts them
  }, 120_000);

  it("each script parses in its shell; zsh and fish complete a command too", async () => {
    const dir = tempDir();
    for (const sh of ["bash", "zsh", "fish"]) {
      const r = await runCli(dir, ["completion", sh]);
      expect(r.code, r.stderr).toBe(0);
      writeFileSync(join(dir, `slipway.${sh}`), r.stdout);
      const check = spawnSync(sh, ["-n", join(dir, `slipway.${sh}`)], { encoding: "utf8" });
      expect(check.status, `${sh}: ${check.stderr}`).toBe(0);
    }
    shell(
      "bash",
      `mkdir -p bin && printf '#!/bin/sh\\nexec ${process.execPath} ${CLI} "$@"\\n' > bin/slipway && chmod +x bin/slipway`,
      dir,
    );
    // fish's own completion engine, given the script
    expect(shell("fish", `source slipway.fish; complete -C 'slipway rollb'`, dir)).toMatch(/^rollback\t/m);
    const values = (line: string) =>
      shell("fish", `source slipway.fish; complete -C '${line}'`, dir)
        .trim()
        .split("\n")
        .map((l) => l.split("\t")[0]);
    expect(values("slipway deploy --strategy ").sort()).toEqual(["blue-green", "canary", "rolling"]);
    expect(values("slipway init --strategy ").sort()).toEqual(["canary", "rolling"]);
    expect(values("slipway sta").sort()).toEqual(["stats", "status"]);
    expect(values("slipway stats --bucket ").sort()).toEqual(["day", "week"]);
    // zsh loads it through bashcompinit and registers the function
    expect(shell("zsh", `source ./slipway.zsh; print -r -- \${_comps[slipway]}`, dir).trim()).toBe("_bash_complete -F _slipway");
    const bad = await runCli(dir, ["completion", "powershell"]);
    expect(bad).toEqual({ code: 2, stdout: "", stderr: "error: completion powershell: unknown shell\nhint: use one of bash, zsh, fish\n" });
  });
});
