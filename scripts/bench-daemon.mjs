// Daemon memory with 30 instances: deploys examples/hello with 30 replicas on
// the embedded default and reads the daemon's resident memory from /proc.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, slipway } from "./bench-support.mjs";

export const DAEMON_INSTANCES = 30;
/** Target from the issue: the daemon stays under this with 30 instances. */
export const DAEMON_MEMORY_TARGET_MB = 80;

function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** Bench section: daemon RSS idle, after deploying 30 instances, and after a rolling redeploy of all 30. */
export async function daemonMemorySection(_options, results) {
  console.log(`\n## Daemon memory with ${DAEMON_INSTANCES} instances (target < ${DAEMON_MEMORY_TARGET_MB} MB)`);
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-bench-daemon-"));
  try {
    copyHello(dir);
    const config = readFileSync(path.join(dir, "slipway.yaml"), "utf8")
      .replace("127.0.0.1:8080", "127.0.0.1:0")
      .replace("replicas: 3", `replicas: ${DAEMON_INSTANCES}`)
      .replace("minReady: 1s", "minReady: 0s")
      .replace("maxSurge: 1", "maxSurge: 25%");
    writeFileSync(path.join(dir, "slipway.yaml"), config);
    await slipway(dir, "up");
    const pid = Number(readFileSync(path.join(dir, ".slipway", "daemon.pid"), "utf8"));
    const idle = memoryMb(pid);
    await slipway(dir, "deploy", "--version", "v1");
    await new Promise((r) => setTimeout(r, 2000));
    const running = memoryMb(pid);
    await slipway(dir, "deploy", "--version", "v2");
    await new Promise((r) => setTimeout(r, 2000));
    const redeployed = memoryMb(pid);
    const rows = [
      ["daemon idle, no instances", idle.rss.toFixed(1)],
      [`${DAEMON_INSTANCES} instances running`, running.rss.toFixed(1)],
      [`after rolling redeploy of all ${DAEMON_INSTANCES}`, redeployed.rss.toFixed(1)],
      ["peak (VmHWM) over the run", redeployed.peak.toFixed(1)],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    for (const [label, mb] of rows) console.log(`${label.padEnd(width)}  ${mb.padStart(6)} MB RSS`);
    const verdict = redeployed.rss < DAEMON_MEMORY_TARGET_MB ? "meets" : "misses";
    console.log(`${verdict} the ${DAEMON_MEMORY_TARGET_MB} MB target with ${DAEMON_INSTANCES} instances`);
    results.daemonMemory = {
      instances: DAEMON_INSTANCES,
      idleMb: idle.rss,
      runningMb: running.rss,
      redeployedMb: redeployed.rss,
      peakMb: redeployed.peak,
    };
  } finally {
    await slipway(dir, "down").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Copies examples/hello into `dir` and links node_modules/slipway to this
 * checkout (the app imports slipway/health; absolute, so the release
 * snapshots, which copy symlinks verbatim, resolve it).
 */
export function copyHello(dir) {
  cpSync(path.join(ROOT, "examples", "hello"), dir, { recursive: true, filter: (src) => !/[/\\](node_modules|\.slipway)$/.test(src) });
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(ROOT, path.join(dir, "node_modules", "slipway"), "dir");
}

/** A project dir with examples/hello and a config rewritten by `edit`. */
export function project(edit) {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-bench-"));
  copyHello(dir);
  const config = readFileSync(path.join(dir, "slipway.yaml"), "utf8").replace("127.0.0.1:8080", "127.0.0.1:0");
  writeFileSync(path.join(dir, "slipway.yaml"), edit(config));
  return dir;
}

async function timedRollback(dir) {
  const t0 = process.hrtime.bigint();
  const out = await slipway(dir, "rollback", "--json");
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const result = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .find((m) => m.type === "result").result;
  return { wallMs, daemonMs: result.durationMs, via: result.via ?? "rolling" };
}

/**
 * Bench section: `slipway rollback` inside blue-green's scaleDownDelay (a
 * traffic switch to the standby release, no process start) against a
 * rollback that has to start the old release again (rolling, 3 replicas).
 */
export async function rollbackSection(_options, results) {
  console.log("\n## Rollback time, 3 replicas (wall time of the CLI command; daemon-side time in brackets)");
  const rows = [];
  const standby = project((c) =>
    c.replace("type: rolling", "type: blue-green\n  blueGreen: { previewListen: 127.0.0.1:0, autoPromote: true, scaleDownDelay: 5m }"),
  );
  const rolling = project((c) => c);
  try {
    await slipway(standby, "deploy", "--version", "v1", "--strategy", "rolling");
    await slipway(standby, "deploy", "--version", "v2");
    const fast = await timedRollback(standby);
    rows.push(["blue-green, inside scaleDownDelay (switch)", fast]);
    await slipway(rolling, "deploy", "--version", "v1");
    await slipway(rolling, "deploy", "--version", "v2");
    const slow = await timedRollback(rolling);
    rows.push(["rolling (old release started again)", slow]);
    const width = Math.max(...rows.map((r) => r[0].length));
    for (const [label, r] of rows)
      console.log(`${label.padEnd(width)}  ${r.wallMs.toFixed(0).padStart(6)} ms  (daemon ${r.daemonMs} ms, via ${r.via})`);
    console.log(
      `switch-back rollback is ${(slow.wallMs / fast.wallMs).toFixed(1)}x faster than a rolling rollback (wall time; most of the switch's wall time is the CLI starting)`,
    );
    results.rollback = { switch: fast, rolling: slow };
  } finally {
    for (const dir of [standby, rolling]) {
      await slipway(dir, "down").catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
