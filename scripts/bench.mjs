#!/usr/bin/env node
// Slipway benchmarks. Run after `npm run build`:
//
//   node scripts/bench.mjs            # 10 s per measurement
//   node scripts/bench.mjs --quick    # 3 s per measurement
//   node scripts/bench.mjs --json     # also print the results as JSON
//
// Every server under test runs in its own process (backend, router,
// http-proxy, nginx) and so does the load generator (autocannon), so no two
// of them share an event loop. Sections are plain async functions listed in
// `SECTIONS`; add one by writing `async function mySection(options, results)`
// and appending it there.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cliStartSection } from "./bench-cli.mjs";
import { dashboardSection } from "./bench-dashboard.mjs";
import { daemonMemorySection, rollbackSection } from "./bench-daemon.mjs";
import { deployLatencySection } from "./bench-deploy.mjs";
import { faultSection } from "./bench-faults.mjs";
import { preciseLatencySection } from "./bench-latency.mjs";
import { snapshotSection } from "./bench-snapshot.mjs";
import { tlsSection } from "./bench-tls.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const AUTOCANNON = path.join(ROOT, "node_modules", "autocannon", "autocannon.js");
const HOST = "127.0.0.1";

/** Load shape of the throughput runs. */
export const CONNECTIONS = 50;
export const DURATION_S = 10;
export const QUICK_DURATION_S = 3;
/** Fixed rate of the added-latency run. */
export const FIXED_RATE = 1_000;

// ------------------------------------------------------------------ options

/** @returns {{ quick: boolean, json: boolean, duration: number }} */
export function parseOptions(argv = process.argv.slice(2)) {
  const quick = argv.includes("--quick");
  return { quick, json: argv.includes("--json"), duration: quick ? QUICK_DURATION_S : DURATION_S };
}

// ------------------------------------------------------------------ processes

/**
 * Starts `node scripts/bench.mjs --role <role> ...args` and resolves once it
 * prints its `{ "port": n }` line.
 * @returns {Promise<{ port: number, stop: () => Promise<void>, child: import("node:child_process").ChildProcess }>}
 */
export async function startRole(role, args = []) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--role", role, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      const line = buffered.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code} before listening`)));
  });
  return { port, child, stop: () => stopChild(child) };
}

/**
 * Slipway's router as the daemon runs it: its own process
 * (`dist/routerd/main.js --standalone`, so it starts no daemon), configured
 * over its control socket, with the daemon's side of the channel simulated by
 * a reader of the attach stream (the per-request samples cost what they cost
 * in production).
 * `extra` adds listener fields (`tls`, `hosts`); the HTTPS port is `tlsPort`.
 * @returns {Promise<{ port: number, tlsPort: number | null, stop: () => Promise<void>, child: import("node:child_process").ChildProcess }>}
 */
export async function startRouterProcess(backendPort, extra = {}) {
  const root = await mkdtemp(path.join(tmpdir(), "slipway-bench-router-"));
  await mkdir(path.join(root, ".slipway"));
  const socketPath = path.join(root, ".slipway", "router.sock");
  const child = spawn(process.execPath, [path.join(ROOT, "dist", "routerd", "main.js"), "--root", root, "--standalone"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const call = (method, urlPath, body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ socketPath, method, path: urlPath, headers: { "content-type": "application/json" } }, (res) => {
        if (urlPath === "/v1/attach") return resolve(res);
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          res.statusCode < 400
            ? resolve(JSON.parse(Buffer.concat(chunks).toString()))
            : reject(new Error(Buffer.concat(chunks).toString())),
        );
      });
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  for (let i = 0; ; i++) {
    try {
      await call("GET", "/v1/state");
      break;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(50);
    }
  }
  const port = await freePort();
  const { bound } = await call("PUT", "/v1/listeners/public", {
    ...extra,
    listen: { host: HOST, port },
    // The daemon's defaults: router.responseTimeout 60 s (one timer per request).
    options: { name: "bench", headerRoute: null, stickiness: null, responseTimeout: 60_000 },
    groups: [{ name: "r1", weight: 1, targets: [{ id: "b1", host: HOST, port: backendPort }] }],
  });
  const attach = await call("GET", "/v1/attach");
  attach.resume(); // the daemon reads every batch
  return {
    port,
    tlsPort: bound.tls?.port ?? null,
    child,
    stop: async () => {
      attach.destroy();
      await stopChild(child);
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

export async function freePort() {
  const server = net.createServer();
  server.listen(0, HOST);
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

export async function waitForPort(port, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, HOST, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${HOST}:${port}`);
    await sleep(50);
  }
}

/** Which `nginx` binary to use, or null when none is installed. */
export async function findNginx() {
  for (const candidate of ["nginx", "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"]) {
    const found = await new Promise((resolve) => {
      const child = spawn(candidate, ["-v"], { stdio: "ignore" });
      child.on("error", () => resolve(false));
      child.on("exit", (code) => resolve(code === 0));
    });
    if (found) return candidate;
  }
  return null;
}

/**
 * Runs nginx (one worker, like the single-threaded Node proxies) in front of
 * `backendPort` with an upstream keep-alive pool.
 */
export async function startNginx(binary, backendPort, tls = null) {
  const dir = await mkdtemp(path.join(tmpdir(), "slipway-bench-nginx-"));
  const port = await freePort();
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  const conf = `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    server ${HOST}:${backendPort};
    keepalive 64;
  }
  server {
    listen ${HOST}:${port}${tls ? " ssl http2" : ""};
${tls ? `    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};\n    ssl_protocols TLSv1.2 TLSv1.3;\n    keepalive_requests 10000000;\n    keepalive_timeout 120s;\n` : ""}    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
  const confPath = path.join(dir, "nginx.conf");
  await writeFile(confPath, conf);
  const child = spawn(binary, ["-p", dir, "-e", path.join(dir, "error.log"), "-c", confPath, "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForPort(port);
  return {
    port,
    child,
    stop: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ cpu accounting

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/** Process ids of `pid` and its children (nginx's master and worker). */
export async function processTree(pid) {
  try {
    const { readFile } = await import("node:fs/promises");
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children];
  } catch {
    return [pid];
  }
}

/** CPU seconds (user + system) used so far by `pids`, or null off Linux. */
export async function cpuSeconds(pids) {
  const { readFile } = await import("node:fs/promises");
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      return null;
    }
  }
  return ticks / CLOCK_TICKS;
}

/** Runs `load` and reports the CPU time `pids` spent per request, in microseconds. */
async function measured(pids, load) {
  const before = await cpuSeconds(pids);
  const result = await load();
  const after = await cpuSeconds(pids);
  const cpuUsPerRequest = before === null || after === null ? null : ((after - before) / result.requests) * 1e6;
  return { ...result, cpuUsPerRequest };
}

// ------------------------------------------------------------------ load

/**
 * One autocannon run in its own process.
 * @returns {Promise<{ rps: number, p50: number, p99: number, requests: number, errors: number, non2xx: number }>}
 */
export async function autocannon(url, { connections = CONNECTIONS, duration = DURATION_S, rate } = {}) {
  const args = [AUTOCANNON, "-c", String(connections), "-d", String(duration), "-j", "-n"];
  if (rate !== undefined) args.push("-R", String(rate));
  args.push(url);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (c) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c) => (err += c));
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${err.trim()}`);
  const result = JSON.parse(out);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** A short unmeasured run so JITs and connection pools are warm. */
async function warm(url) {
  await autocannon(url, { duration: 1 });
}

// ------------------------------------------------------------------ sections

/**
 * Section 1: throughput and latency at 50 connections, direct and through
 * each proxy. Subjects alternate over `rounds` (3, or 1 with --quick) and
 * each figure is the median, so a noisy moment on a shared machine does not
 * decide a comparison. CPU µs/req (the server process's own CPU time per
 * request) is the steadiest figure: it does not depend on how the machine's
 * cores were shared during the run.
 */
export async function throughputSection(options, results) {
  const backend = await startRole("backend");
  const subjects = [{ name: "direct", port: backend.port, child: backend.child, stop: async () => {} }];
  const router = await startRouterProcess(backend.port);
  subjects.push({ name: "slipway router", ...router });
  const nginxBinary = await findNginx();
  if (nginxBinary) subjects.push({ name: "nginx", ...(await startNginx(nginxBinary, backend.port)) });
  else console.log("note: nginx is not on PATH; skipping the nginx comparison (apt-get install nginx-light)");
  subjects.push({ name: "node http-proxy", ...(await startRole("http-proxy", [String(backend.port)])) });
  subjects.push({ name: "bare node:http proxy", ...(await startRole("bare-proxy", [String(backend.port)])) });

  const rounds = options.quick ? 1 : 3;
  const runs = new Map(subjects.map((subject) => [subject.name, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const subject of subjects) {
        const url = `http://${HOST}:${subject.port}/`;
        if (round === 0) await warm(url);
        const pids = await processTree(subject.child.pid);
        const r = await measured(pids, () => autocannon(url, { duration: options.duration }));
        runs.get(subject.name).push(r);
        console.log(`  round ${round + 1}/${rounds} ${subject.name}: ${Math.round(r.rps)} req/s`);
      }
    }
  } finally {
    for (const subject of subjects) await subject.stop();
    await backend.stop();
  }
  const rows = [...runs].map(([name, list]) => ({
    name,
    rps: median(list.map((r) => r.rps)),
    p50: median(list.map((r) => r.p50)),
    p99: median(list.map((r) => r.p99)),
    cpuUsPerRequest: list.some((r) => r.cpuUsPerRequest === null) ? null : median(list.map((r) => r.cpuUsPerRequest)),
    errors: list.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
    runs: list,
  }));
  const find = (name) => rows.find((row) => row.name === name);
  const routed = find("slipway router");
  const ratio = (row) => (row ? { rps: routed.rps / row.rps, cpu: row.cpuUsPerRequest / routed.cpuUsPerRequest } : null);
  console.log(`\nThroughput: ${CONNECTIONS} connections, ${rounds} x ${options.duration} s each, GET / -> 'hello' (medians)`);
  console.log("CPU µs/req: the server process's own CPU time per request (proxies: without the backend's)");
  printTable(
    ["", "req/s", "p50 ms", "p99 ms", "errors", "CPU µs/req", "router req/s vs this", "router CPU efficiency vs this"],
    rows.map((row) => [
      row.name,
      Math.round(row.rps),
      row.p50,
      row.p99,
      row.errors,
      row.cpuUsPerRequest === null ? "n/a" : row.cpuUsPerRequest.toFixed(0),
      row === routed ? "" : `${ratio(row).rps.toFixed(2)}x`,
      row === routed || row.cpuUsPerRequest === null ? "" : `${ratio(row).cpu.toFixed(2)}x`,
    ]),
  );
  results.throughput = { rows, routerVsNginx: ratio(find("nginx")), routerVsHttpProxy: ratio(find("node http-proxy")) };
}

/**
 * Section 2: latency the router adds at a fixed 1,000 req/s. Direct and
 * routed runs alternate (3 rounds, 1 with --quick) and the medians are
 * compared, so one noisy moment on a shared machine does not decide it.
 */
export async function addedLatencySection(options, results) {
  const backend = await startRole("backend");
  const router = await startRouterProcess(backend.port);
  const rounds = options.quick ? 1 : 3;
  const runs = { direct: [], "slipway router": [] };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, port] of [
        ["direct", backend.port],
        ["slipway router", router.port],
      ]) {
        const url = `http://${HOST}:${port}/`;
        if (round === 0) await warm(url);
        runs[name].push(await autocannon(url, { connections: 10, duration: options.duration, rate: FIXED_RATE }));
      }
    }
  } finally {
    await router.stop();
    await backend.stop();
  }
  const rows = Object.entries(runs).map(([name, list]) => ({
    name,
    rps: median(list.map((r) => r.rps)),
    p50: median(list.map((r) => r.p50)),
    p99: median(list.map((r) => r.p99)),
    p99s: list.map((r) => r.p99),
    errors: list.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
  }));
  const [direct, routed] = rows;
  console.log(
    `\nAdded latency at a fixed ${FIXED_RATE} req/s (10 connections, ${rounds} x ${options.duration} s each, medians; autocannon has 1 ms resolution)`,
  );
  printTable(
    ["", "req/s", "p50 ms", "p99 ms", "p99 of each run", "errors"],
    rows.map((row) => [row.name, Math.round(row.rps), row.p50, row.p99, row.p99s.join(", "), row.errors]),
  );
  const addedP50 = routed.p50 - direct.p50;
  const addedP99 = routed.p99 - direct.p99;
  console.log(`router adds p50 ${addedP50} ms, p99 ${addedP99} ms`);
  results.addedLatency = { rows, addedP50, addedP99 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Sections run by `main`, in order. */
export const SECTIONS = [
  throughputSection,
  addedLatencySection,
  preciseLatencySection,
  daemonMemorySection,
  rollbackSection,
  cliStartSection,
  snapshotSection,
  faultSection,
  deployLatencySection,
  dashboardSection,
  tlsSection,
];

export function printTable(header, rows) {
  const cells = [header, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  console.log(line(cells[0]));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of cells.slice(1)) console.log(line(row));
}

export async function main(argv = process.argv.slice(2)) {
  const options = parseOptions(argv);
  const { existsSync } = await import("node:fs");
  if (!existsSync(path.join(ROOT, "dist", "routerd", "main.js"))) {
    console.error("dist/routerd/main.js is missing: run `npm run build` first (or `npm run bench`)");
    process.exitCode = 1;
    return {};
  }
  const results = {};
  console.log(`Slipway bench (node ${process.version}, ${options.quick ? "quick" : "full"} run)`);
  for (const section of SECTIONS) await section(options, results);
  if (options.json) console.log(JSON.stringify(results, null, 2));
  return results;
}

// ------------------------------------------------------------------ roles (child processes)

const HELLO = Buffer.from("hello");

async function runRole(role, args) {
  let server;
  if (role === "backend") {
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": HELLO.length });
      res.end(HELLO);
    });
  } else if (role === "http-proxy") {
    const { default: httpProxy } = await import("http-proxy");
    const agent = new http.Agent({ keepAlive: true });
    const proxy = httpProxy.createProxyServer({ target: `http://${HOST}:${args[0]}`, agent, xfwd: true });
    proxy.on("error", (_err, _req, res) => {
      if (res && "writeHead" in res && !res.headersSent) res.writeHead(502);
      res?.end?.();
    });
    server = http.createServer((req, res) => proxy.web(req, res));
  } else if (role === "bare-proxy") {
    // The floor for any node:http proxy: no header rewriting, no retries, no drain.
    const agent = new http.Agent({ keepAlive: true });
    const port = Number(args[0]);
    server = http.createServer((req, res) => {
      const up = http.request({ host: HOST, port, method: req.method, path: req.url, headers: req.rawHeaders, agent }, (upRes) => {
        res.writeHead(upRes.statusCode, upRes.rawHeaders);
        upRes.pipe(res);
      });
      up.on("error", () => res.destroy());
      up.end();
    });
  } else {
    throw new Error(`unknown role ${role}`);
  }
  server.listen(0, HOST, () => console.log(JSON.stringify({ port: server.address().port })));
  process.on("SIGTERM", () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

const roleIndex = process.argv.indexOf("--role");
if (roleIndex >= 0) {
  await runRole(process.argv[roleIndex + 1], process.argv.slice(roleIndex + 2));
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
