import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO } from "./support/project.js";

const SCRIPT = join(REPO, "scripts/check-cycles.mjs");

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A tree of .ts files, and what the script says about it. */
function check(files: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  dir = mkdtempSync(join(tmpdir(), "slipway-cycles-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = spawnSync(process.execPath, [SCRIPT, dir], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scripts/check-cycles.mjs", () => {
  it("finds a cycle through a type-only import and a re-export, and names it", () => {
    const r = check({
      "daemon/api.ts": 'import type { Daemon } from "./daemon.js";\nexport const a = 1;\n',
      "daemon/daemon.ts": 'export { streamLogs } from "./logs.js";\nexport class Daemon {}\n',
      "daemon/logs.ts": 'import { a } from "./api.js";\nexport const streamLogs = a;\n',
      "rollout/plan.ts": 'import { a } from "../daemon/api.js";\nexport const b = a;\n',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("import cycle in ./: daemon/api.ts -> daemon/daemon.ts -> daemon/logs.ts -> daemon/api.ts\n");
    expect(r.stderr).toContain("hint: ");
    expect(r.stderr).not.toContain("rollout/plan.ts");
  });

  it("a dynamic import and a one-way import are no cycle", () => {
    const r = check({
      "a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
      "b.ts": 'export const b = 1;\nexport const load = () => import("./a.js");\n',
    });
    expect(r).toEqual({ code: 0, stdout: "no import cycle in ./ (2 files)\n", stderr: "" });
  });

  it("src/ has none (the check npm run lint runs)", () => {
    const r = spawnSync(process.execPath, [SCRIPT], { cwd: REPO, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
