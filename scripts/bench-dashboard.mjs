// What an open dashboard costs during a canary at 1,000 req/s: the router's
// throughput and latency, the daemon's CPU and memory, with and without a
// browser showing the live page (rounds alternate, medians reported).
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { autocannon, cpuSeconds } from "./bench.mjs";
import { project } from "./bench-daemon.mjs";
import { CLI, slipway } from "./bench-support.mjs";

const RATE = 1_000;
/** Target from the issue: the router's throughput changes by less than this with the dashboard open. */
export const DASHBOARD_THROUGHPUT_TARGET = 0.05;
const CHROMIUM = "/usr/bin/chromium";

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One fixed-rate run, with the CPU seconds the daemon (and the dashboard, when open) spent during it. */
async function run(url, pids, duration, rate) {
  const before = await Promise.all(pids.map((p) => cpuSeconds([p])));
  const t0 = process.hrtime.bigint();
  const load = await autocannon(url, { connections: 20, duration, rate });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = await Promise.all(pids.map((p) => cpuSeconds([p])));
  return { ...load, cpu: after.map((a, i) => ((a - before[i]) / seconds) * 100), rss: pids.map(rssMb) };
}

function startDashboard(dir) {
  const child = spawn(process.execPath, [CLI, "dashboard", "--json", "--listen", "127.0.0.1:0"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c) => {
      out += c;
      if (out.includes("\n")) resolve({ child, url: JSON.parse(out.split("\n")[0]).url });
    });
    child.once("exit", (code) => reject(new Error(`slipway dashboard exited ${code}`)));
  });
}

/** Bench section: a paused canary (20%) under 1,000 req/s, the dashboard closed, then open in Chromium, alternating. */
export async function dashboardSection(options, results) {
  console.log(
    `\n## Dashboard open during a canary at ${RATE} req/s (target: router throughput changes < ${DASHBOARD_THROUGHPUT_TARGET * 100}%)`,
  );
  const { chromium } = await import("playwright-core");
  const dir = project((c) =>
    c.replace(
      /strategy:\n {2}type: rolling\n(?: {2}.*\n)*/,
      `strategy:
  type: canary
  canary:
    replicas: 1
    steps: [{ setWeight: 20 }, { pause: {} }]
    analysis: { interval: 1s, window: 5s, minRequests: 10, maxErrorRate: 5%, failureLimit: 0, inconclusiveLimit: 1000 }
`,
    ),
  );
  let dashboard;
  let browser;
  try {
    await slipway(dir, "deploy", "--version", "v1");
    await slipway(dir, "deploy", "--version", "v2"); // paused at 20%, background analysis every second
    const status = JSON.parse(await slipway(dir, "status", "--json"));
    const url = `http://127.0.0.1:${status.traffic.listen.port}/`;
    const daemon = status.daemon.pid;
    const duration = options.quick ? 5 : 10;
    await autocannon(url, { duration: 2, rate: RATE }); // warm
    dashboard = await startDashboard(dir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const rounds = options.quick ? 1 : 3;
    const closed = [];
    const open = [];
    const closedMax = [];
    const openMax = [];
    for (let i = 0; i < rounds; i++) {
      closed.push(await run(url, [daemon], duration, RATE));
      closedMax.push(await run(url, [daemon], duration, undefined));
      const page = await browser.newPage();
      await page.goto(dashboard.url);
      await page.locator("[data-testid=rollout-weight]").waitFor();
      open.push(await run(url, [daemon, dashboard.child.pid], duration, RATE));
      openMax.push(await run(url, [daemon, dashboard.child.pid], duration, undefined));
      await page.close();
      if (i + 1 < rounds) {
        // a new link for the next round: the token works once
        dashboard.child.kill("SIGTERM");
        await new Promise((r) => dashboard.child.once("exit", r));
        dashboard = await startDashboard(dir);
      }
    }
    const m = (runs, f) => median(runs.map(f));
    const rows = [
      [`router throughput at ${RATE} req/s offered`, m(closed, (r) => r.rps).toFixed(0), m(open, (r) => r.rps).toFixed(0)],
      ["router throughput, unpaced (req/s)", m(closedMax, (r) => r.rps).toFixed(0), m(openMax, (r) => r.rps).toFixed(0)],
      [
        "latency p50 / p99 (ms)",
        `${m(closed, (r) => r.p50)} / ${m(closed, (r) => r.p99)}`,
        `${m(open, (r) => r.p50)} / ${m(open, (r) => r.p99)}`,
      ],
      [
        "failed requests (all runs)",
        [...closed, ...closedMax].reduce((n, r) => n + r.errors + r.non2xx, 0),
        [...open, ...openMax].reduce((n, r) => n + r.errors + r.non2xx, 0),
      ],
      [`daemon CPU at ${RATE} req/s (% of one core)`, m(closed, (r) => r.cpu[0]).toFixed(1), m(open, (r) => r.cpu[0]).toFixed(1)],
      ["daemon RSS (MB)", m(closed, (r) => r.rss[0]).toFixed(1), m(open, (r) => r.rss[0]).toFixed(1)],
      ["dashboard process CPU (%) / RSS (MB)", "-", `${m(open, (r) => r.cpu[1]).toFixed(1)} / ${m(open, (r) => r.rss[1]).toFixed(1)}`],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log(`${"".padEnd(width)}  ${"closed".padStart(9)}  ${"open".padStart(9)}`);
    for (const [label, a, b] of rows) console.log(`${label.padEnd(width)}  ${String(a).padStart(9)}  ${String(b).padStart(9)}`);
    const pct = (x) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
    const change = (m(open, (r) => r.rps) - m(closed, (r) => r.rps)) / m(closed, (r) => r.rps);
    const maxChange = (m(openMax, (r) => r.rps) - m(closedMax, (r) => r.rps)) / m(closedMax, (r) => r.rps);
    const meets = Math.abs(change) < DASHBOARD_THROUGHPUT_TARGET;
    console.log(
      `router throughput with the dashboard open: ${pct(change)} at ${RATE} req/s (${rounds} alternating rounds of ${duration} s each, medians): ${meets ? "meets" : "misses"} the target`,
    );
    console.log(
      `unpaced, the machine saturated: ${pct(maxChange)} (Chromium rendering the live page runs on the same cores as the router, the app and the load generator)`,
    );
    results.dashboard = { closed, open, closedMax, openMax, throughputChange: change, unpacedChange: maxChange };
  } finally {
    await browser?.close();
    dashboard?.child.kill("SIGTERM");
    await slipway(dir, "down").catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await dashboardSection({ quick: process.argv.includes("--quick") }, {});
