import { chmodSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { RULES } from "../src/audit/rules.js";
import { runCli, type CliResult } from "./support/project.js";
import { cleanupTrees, DIGEST, DOCKERIGNORE, GOOD, tree } from "./fixtures/audit/support.js";

// Drives the built CLI (`npm run build` first, as `npm test` does).
function slipway(cwd: string, ...args: string[]): Promise<CliResult> {
  return slipwayAs({}, cwd, ...args);
}

/** Root reads any file whatever its mode: as root, run the CLI as nobody (65534) so mode 000 means unreadable. */
const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

function slipwayAs(user: { uid?: number; gid?: number }, cwd: string, ...args: string[]): Promise<CliResult> {
  return runCli(cwd, args, user);
}

const README = "# app\n\n## Rollback\n\nslipway rollback\n";
const projects = {
  clean: tree({ Dockerfile: GOOD, ".dockerignore": DOCKERIGNORE, "README.md": README }),
  warnOnly: tree({ Dockerfile: GOOD.replace(/HEALTHCHECK.*\n/, ""), ".dockerignore": DOCKERIGNORE, "README.md": README }),
  infoOnly: tree({ Dockerfile: GOOD.replaceAll(`@${DIGEST}`, ""), ".dockerignore": DOCKERIGNORE, "README.md": README }),
  dirty: tree({ Dockerfile: GOOD.replace("USER node", "USER root"), ".dockerignore": DOCKERIGNORE, ".env": "X=1\n", "README.md": README }),
};
const { clean, dirty } = projects;
afterAll(cleanupTrees);

describe("slipway audit", () => {
  it("exits 0 on a clean project (working directory by default)", async () => {
    const r = await slipway(clean, "audit");
    expect(r).toEqual({ code: 0, stdout: expect.stringMatching(/^no findings in 3 files \(35 rules\)\nscore: 100\/100/), stderr: "" });
  });

  it("exits 1 on errors, prints grouped findings and the score", async () => {
    const r = await slipway(clean, "audit", dirty);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Security\n  .env:1  SW2002 error  .env is committed\n");
    expect(r.stdout).toContain("Dockerfile:13  SW1003 error  the final stage runs as root");
    expect(r.stdout).toMatch(/score: 77\/100/);
  });

  it.each([
    ["warnOnly", "error", 0],
    ["warnOnly", "warning", 1],
    ["infoOnly", "warning", 0],
    ["infoOnly", "info", 1],
    ["dirty", "none", 0],
  ] as const)("%s project, --fail-on %s: exit %i", async (name, failOn, code) => {
    const r = await slipway(clean, "audit", projects[name], "--fail-on", failOn);
    expect(r.code).toBe(code);
  });

  it("an unreadable file (mode 000) is a finding with its error, not a crash", async () => {
    const dir = tree({ Dockerfile: GOOD, ".dockerignore": DOCKERIGNORE, "README.md": README }, ["Dockerfile"]);
    chmodSync(dir, 0o755); // mkdtemp made it 0700
    const r = await slipwayAs(UNPRIVILEGED, dir, "audit", "--format", "json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings).toEqual([
      expect.objectContaining({ rule: "SW0001", file: "Dockerfile", message: "cannot read Dockerfile: EACCES permission denied" }),
    ]);
  });

  it.each([
    [["--format", "xml"], "error: --format xml: unknown value\nhint: use one of pretty, json, sarif, junit\n"],
    [["--fail-on", "critical"], "error: --fail-on critical: unknown value\nhint: use one of error, warning, info, none\n"],
    [["no-such-dir"], "error: no-such-dir: no such directory\nhint: pass the project's directory: slipway audit [dir]\n"],
    [["README.md"], "error: README.md: not a directory\nhint: pass the project's directory: slipway audit [dir]\n"],
  ])("usage errors exit 2 with one line and a hint: %j", async (args, stderr) => {
    const r = await slipway(clean, "audit", ...args);
    expect(r).toEqual({ code: 2, stdout: "", stderr });
  });

  it("--format json, sarif, junit", async () => {
    const json = JSON.parse((await slipway(dirty, "audit", "--format", "json")).stdout) as { score: number; findings: { rule: string }[] };
    expect(json.findings.map((f) => f.rule)).toEqual(["SW2002", "SW1003", "SW1016"]);
    expect(json.score).toBe(77);
    expect(JSON.parse((await slipway(dirty, "audit", "--json")).stdout)).toEqual({ ...json, durationMs: expect.any(Number) });
    const sarif = JSON.parse((await slipway(dirty, "audit", "-f", "sarif")).stdout) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0]?.results).toHaveLength(3);
    const junit = await slipway(dirty, "audit", "-f", "junit");
    expect(junit.code).toBe(1);
    expect(junit.stdout).toMatch(/^<\?xml .*\n<testsuites name="slipway audit" tests="\d+" failures="3"/);
  });

  it("--list-rules, as text and JSON", async () => {
    const text = await slipway(clean, "audit", "--list-rules");
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      "SW1003  error    Security        container runs as root  (checkov CKV_DOCKER_3, checkov CKV_DOCKER_8)\n",
    );
    const rules = JSON.parse((await slipway(clean, "audit", "--list-rules", "--json")).stdout) as { id: string; equivalents: string[] }[];
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    expect(rules.find((r) => r.id === "SW1008")?.equivalents).toEqual(["hadolint DL3020"]);
  });
});
