import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { ROTATE_SLACK_BYTES } from "../src/platform/process/log-pieces.js";
import { helloConfig, TestProject, waitFor } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

/**
 * A project whose app writes `lines` log lines of about 100 bytes in one write at start
 * (`burst.js`, then the hello server), with the given `logs:` settings, deployed;
 * `project` before the deploy, so afterEach cleans up after a deploy that failed.
 */
async function burstingApp(lines: number, logs: string): Promise<TestProject> {
  const p = (project = await TestProject.create((port) =>
    helloConfig(port, `logs: ${logs}\n`).replace("replicas: 3", "replicas: 1").replace('["node", "server.js"]', '["node", "burst.js"]'),
  ));
  writeFileSync(
    join(p.dir, "burst.js"),
    `const pad = "x".repeat(90);
let out = "";
for (let i = 1; i <= ${lines}; i++) out += "burst " + i + " " + pad + "\\n";
process.stdout.write(out);
await import("./server.js");
`,
  );
  const r = await p.run("deploy", "--version", "v1");
  expect(r.code, r.stderr).toBe(0);
  return p;
}

function kib(status: string, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return Number(m?.[1]);
}

it("slipway logs -n 100000000 streams a 20 MB log (across rotated files) in bounded daemon memory", async () => {
  project = await burstingApp(200_000, "{ maxSize: 8MB, maxFiles: 5 }");
  const logDir = join(project.dir, ".slipway/logs/1");
  await waitFor("the burst to be rotated", () => readdirSync(logDir).some((f) => f.endsWith(".log.2")));
  const daemon = project.daemonPid()!;
  const before = kib(readFileSync(`/proc/${daemon}/status`, "utf8"), "VmRSS");

  const r = await project.run("logs", "-n", "100000000");
  expect(r.code, r.stderr).toBe(0);
  const out = r.stdout.split("\n");
  const burst = out.filter((l) => /^r1-1 \| burst \d+ x+$/.test(l));
  expect(burst.length).toBe(200_000);
  expect(burst[0]).toMatch(/^r1-1 \| burst 1 /);
  expect(burst.at(-1)).toMatch(/^r1-1 \| burst 200000 /);

  const after = readFileSync(`/proc/${daemon}/status`, "utf8");
  const grewMiB = (Math.max(kib(after, "VmRSS"), kib(after, "VmHWM")) - before) / 1024;
  // A memory bound, not a timing: the old tail read all 20 MB (and wrote it out unpaced).
  expect(grewMiB).toBeLessThan(50);
}, 120_000);

it("a 3 MB burst with logs { maxSize: 1MB, maxFiles: 3 }: no log file passes 1 MB + 64 KiB", async () => {
  project = await burstingApp(30_000, "{ maxSize: 1MB, maxFiles: 3 }");
  const logDir = join(project.dir, ".slipway/logs/1");
  const bound = 1024 * 1024 + ROTATE_SLACK_BYTES;
  const sizes = () => readdirSync(logDir).map((f) => [f, statSync(join(logDir, f)).size] as const);
  await waitFor("the burst to be rotated", () => sizes().some(([f]) => f.endsWith(".log.3")));
  for (const [file, size] of sizes()) expect(size, file).toBeLessThanOrEqual(bound);
  expect(
    sizes()
      .map(([f]) => f)
      .sort(),
  ).toEqual(["r1-1.log", "r1-1.log.1", "r1-1.log.2", "r1-1.log.3"]);
  // The newest lines are all there, in order.
  const r = await project.run("logs", "-n", "3");
  expect(r.stdout).toMatch(/r1-1 \| burst 30000 x+\n/);
}, 120_000);
