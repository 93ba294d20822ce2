// The CLI's start (issue 13): whole processes timed against `node -e 0` in
// the same run, and `slipway rollback` inside blue-green's scaleDownDelay
// timed from the command's start to the first response the old release
// serves, under a steady request load. Run alone after a build with
// `node scripts/bench-cli.mjs [--quick]`, or as part of `npm run bench`.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { project } from "./bench-daemon.mjs";
import { CLI, slipway } from "./bench-support.mjs";

/** Targets from the issue, as ratios to `node -e 0`. */
export const START_TARGET = 2;
export const ROLLBACK_TARGET = 3;

/** Wall time of one process from spawn to exit, in ms. */
function timed(args, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, stdio: "ignore", env: { ...process.env, CI: "1" } });
    child.on("error", reject);
    child.on("exit", () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs the commands in turn, `runs` rounds (after one warm-up round); median ms of each. */
async function alternate(commands, runs, cwd) {
  const times = commands.map(() => []);
  for (let round = -1; round < runs; round++)
    for (const [i, args] of commands.entries()) {
      const ms = await timed(args, cwd);
      if (round >= 0) times[i].push(ms);
    }
  return times.map(median);
}

/**
 * A keep-alive load on `url` (`concurrency` requests in flight) that notes,
 * for each response, when it arrived and which version answered.
 */
function load(url, concurrency) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const seen = [];
  let running = true;
  const one = () =>
    new Promise((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          let version = "?";
          try {
            version = JSON.parse(body).version;
          } catch {
            // not the app's JSON (a router error page): counted by its status
          }
          seen.push({ at: process.hrtime.bigint(), version, status: res.statusCode });
          resolve();
        });
      });
      req.on("error", () => {
        seen.push({ at: process.hrtime.bigint(), version: "error", status: 0 });
        resolve();
      });
    });
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) await one();
  });
  return {
    seen,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/** Bench section: CLI start and a blue-green rollback's time to the old release's first answer. */
export async function cliStartSection(options, results) {
  const runs = options.quick ? 7 : 15;
  console.log(
    `\n## CLI start (whole processes, median of ${runs} alternating runs; targets: ${START_TARGET}x and ${ROLLBACK_TARGET}x node -e 0)`,
  );
  const dir = project((c) =>
    c.replace("type: rolling", "type: blue-green\n  blueGreen: { previewListen: 127.0.0.1:0, autoPromote: true, scaleDownDelay: 5m }"),
  );
  try {
    await slipway(dir, "deploy", "--version", "v1", "--strategy", "rolling");
    const [node, version, status, help] = await alternate(
      [
        ["-e", "0"],
        [CLI, "--version"],
        [CLI, "status"],
        [CLI, "--help"],
      ],
      runs,
      dir,
    );
    const row = (label, ms) => console.log(`${label.padEnd(34)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / node).toFixed(2)}x`);
    row("node -e 0", node);
    row("slipway --version", version);
    row("slipway status (daemon running)", status);
    row("slipway --help (every command)", help);

    // rollback: command start -> first response from the old release, with 8 requests in flight throughout
    const { listen } = JSON.parse(await slipway(dir, "status", "--json")).traffic;
    const url = `http://${listen.host}:${listen.port}/`;
    const rollbacks = [];
    for (let i = 0; i < (options.quick ? 3 : 5); i++) {
      await slipway(dir, "deploy", "--version", `v${i + 2}`);
      // the release on standby: what the rollback switches back to
      const old = JSON.parse(await slipway(dir, "status", "--json")).standby?.version;
      const traffic = load(url, 8);
      await new Promise((r) => setTimeout(r, 1000));
      // the baseline under the same load: the machine, the router and this process are all busier
      const nodeLoaded = await timed(["-e", "0"], dir);
      const t0 = process.hrtime.bigint();
      const cli = await timed([CLI, "rollback"], dir);
      await new Promise((r) => setTimeout(r, 200));
      await traffic.stop();
      const first = traffic.seen.find((s) => s.at > t0 && s.version === old);
      const failed = traffic.seen.filter((s) => s.status !== 200).length;
      rollbacks.push({
        firstOldMs: first ? Number(first.at - t0) / 1e6 : NaN,
        cliMs: cli,
        nodeLoaded,
        failed,
        requests: traffic.seen.length,
      });
    }
    const firstOld = median(rollbacks.map((r) => r.firstOldMs));
    const cliWall = median(rollbacks.map((r) => r.cliMs));
    const nodeLoaded = median(rollbacks.map((r) => r.nodeLoaded));
    const failed = rollbacks.reduce((n, r) => n + r.failed, 0);
    const requests = rollbacks.reduce((n, r) => n + r.requests, 0);
    row("rollback: start -> old release", firstOld);
    row("rollback: whole command", cliWall);
    console.log(
      `${"node -e 0 under the same load".padEnd(34)} ${nodeLoaded.toFixed(0).padStart(5)} ms; rollback to the old release ${(firstOld / nodeLoaded).toFixed(2)}x that`,
    );
    console.log(`  ${rollbacks.length} blue-green switch-backs under load: ${failed} of ${requests} requests failed`);
    const verdict = (ms, target) => (ms / node <= target ? "met" : "missed");
    console.log(
      `--version ${verdict(version, START_TARGET)}, status ${verdict(status, START_TARGET)} (target ${START_TARGET}x); rollback to old release ${verdict(firstOld, ROLLBACK_TARGET)} against idle node -e 0, ${firstOld / nodeLoaded <= ROLLBACK_TARGET ? "met" : "missed"} against node -e 0 under the same load (target ${ROLLBACK_TARGET}x)`,
    );
    results.cliStart = {
      nodeMs: node,
      versionMs: version,
      statusMs: status,
      helpMs: help,
      rollbackFirstOldMs: firstOld,
      rollbackCliMs: cliWall,
      nodeUnderLoadMs: nodeLoaded,
      failed,
      requests,
    };
  } finally {
    await slipway(dir, "down").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await cliStartSection({ quick: process.argv.includes("--quick") }, {});
