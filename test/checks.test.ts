import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkName, runCheck, runChecks, type CheckContext } from "../src/checks/check-runner.js";
import { runCommand } from "../src/checks/command.js";
import type { CheckSpec } from "../src/config/types.js";

const HOST = "127.0.0.1";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A real HTTP server on port 0; records method and path of each request. */
async function server(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const requests: string[] = [];
  const srv = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => srv.listen(0, HOST, resolve));
  cleanups.push(() => new Promise((resolve) => (srv.closeAllConnections(), srv.close(resolve))));
  const url = `http://${HOST}:${(srv.address() as AddressInfo).port}`;
  return { url, requests };
}

const answer =
  (status: number, body = "", headers: Record<string, string> = {}) =>
  (_: unknown, res: http.ServerResponse) => {
    res.writeHead(status, headers).end(body);
  };

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-checks-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const ctx = (baseUrl: string, extra: Partial<CheckContext> = {}): CheckContext => ({ baseUrl, env: ENV, cwd: tmpdir(), ...extra });
const get = (path: string, extra: Partial<Extract<CheckSpec, { kind: "http" }>> = {}): CheckSpec => ({
  kind: "http",
  path,
  method: "GET",
  timeout: 2_000,
  ...extra,
});
const run = (command: string[], timeout = 5_000): CheckSpec => ({ kind: "run", command, timeout });
const sh = (script: string, timeout = 5_000): CheckSpec => run(["sh", "-c", script], timeout);

/** True while a process with this pid runs (a zombie nobody reaped does not count). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** A URL where nothing listens: a server's port, just closed. */
async function closedUrl(): Promise<string> {
  const srv = http.createServer();
  await new Promise<void>((resolve) => srv.listen(0, HOST, resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return `http://${HOST}:${port}`;
}

describe("http checks", () => {
  it("joins path to baseUrl and passes on any 2xx without expectStatus", async () => {
    const { url, requests } = await server(answer(204));
    const result = await runCheck(get("/health"), ctx(url));
    expect(result).toEqual({ name: "GET /health", ok: true, message: `GET ${url}/health -> 204`, durationMs: expect.any(Number) });
    expect(requests).toEqual(["GET /health"]);
  });

  it("keeps a path prefix of baseUrl", async () => {
    const { url, requests } = await server(answer(200));
    expect((await runCheck(get("/health"), ctx(`${url}/app/`))).ok).toBe(true);
    expect(requests).toEqual(["GET /app/health"]);
  });

  it.each([
    [500, undefined, false, "-> 500 (expected 2xx)"],
    [302, undefined, false, "-> 302 (expected 2xx)"],
    [302, 302, true, "-> 302"],
    [503, 503, true, "-> 503"],
    [200, 503, false, "-> 200 (expected 503)"],
  ])("answer %i with expectStatus %s: ok %s", async (status, expectStatus, ok, tail) => {
    const { url } = await server(answer(status, "", status === 302 ? { location: "/elsewhere" } : {}));
    const result = await runCheck(get("/health", expectStatus === undefined ? {} : { expectStatus }), ctx(url));
    expect(result.ok).toBe(ok);
    expect(result.message).toBe(`GET ${url}/health ${tail}`);
  });

  it("checks the body for expectBody", async () => {
    const { url } = await server(answer(200, '{"status":"ok","db":"up"}'));
    const pass = await runCheck(get("/health", { expectBody: '"db":"up"' }), ctx(url));
    expect(pass).toMatchObject({ ok: true, message: `GET ${url}/health -> 200, body contains "\\"db\\":\\"up\\""` });
    const fail = await runCheck(get("/health", { expectBody: "ok!" }), ctx(url));
    expect(fail).toMatchObject({ ok: false, message: `GET ${url}/health -> 200, body does not contain "ok!"` });
  });

  it("requests url as is, with its method, ignoring baseUrl", async () => {
    const { url, requests } = await server(answer(200));
    const spec: CheckSpec = { kind: "http", url: `${url}/status?full=1`, method: "POST", timeout: 2_000 };
    const result = await runCheck(spec, ctx(await closedUrl()));
    expect(result).toMatchObject({ name: `POST ${url}/status?full=1`, ok: true, message: `POST ${url}/status?full=1 -> 200` });
    expect(requests).toEqual(["POST /status?full=1"]);
  });

  it("times out on a server that never answers", async () => {
    const { url } = await server(() => undefined);
    const result = await runCheck(get("/health", { timeout: 200 }), ctx(url));
    expect(result).toMatchObject({ ok: false, message: `GET ${url}/health timed out after 200ms` });
    expect(result.durationMs).toBeGreaterThanOrEqual(190);
    expect(result.durationMs).toBeLessThan(1_500);
  });

  it("times out on a body that never ends when it has to read it", async () => {
    const { url } = await server((_, res) => {
      res.writeHead(200);
      res.write("partial");
    });
    const result = await runCheck(get("/health", { timeout: 200, expectBody: "done" }), ctx(url));
    expect(result).toMatchObject({ ok: false, message: `GET ${url}/health timed out after 200ms` });
  });

  it("reports a refused connection", async () => {
    const url = await closedUrl();
    const result = await runCheck(get("/health"), ctx(url));
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(new RegExp(`^GET ${url}/health failed: .*ECONNREFUSED`));
  });
});

describe("run checks", () => {
  it("passes on exit 0, in ctx.cwd with ctx.env", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "marker"), "");
    const result = await runCheck(
      sh('test -f marker && test "$TOKEN" = secret'),
      ctx("http://x", { cwd, env: { ...ENV, TOKEN: "secret" } }),
    );
    expect(result).toEqual({
      name: 'run: test -f marker && test "$TOKEN" = secret',
      ok: true,
      message: 'test -f marker && test "$TOKEN" = secret exited 0',
      durationMs: expect.any(Number),
    });
  });

  it("fails on another exit code, with the last 5 output lines", async () => {
    const result = await runCheck(sh("for i in 1 2 3 4 5 6 7; do echo line $i; done; echo oops >&2; exit 3"), ctx("http://x"));
    expect(result.ok).toBe(false);
    expect(result.message.split("\n")).toEqual([
      "for i in 1 2 3 4 5 6 7; do echo line $i; done; echo oops >&2; exit 3 exited 3",
      "  line 4",
      "  line 5",
      "  line 6",
      "  line 7",
      "  oops",
    ]);
  });

  it("sets SLIPWAY_PREVIEW_URL to previewUrl, or baseUrl", async () => {
    const script = 'echo "$SLIPWAY_PREVIEW_URL"; exit 1';
    expect((await runCheck(sh(script), ctx("http://router:8080"))).message).toContain("\n  http://router:8080");
    const preview = await runCheck(sh(script), ctx("http://router:8080", { previewUrl: "http://127.0.0.1:8081" }));
    expect(preview.message).toContain("\n  http://127.0.0.1:8081");
  });

  it("runs a list of words without a shell", async () => {
    const spec = run([process.execPath, "-e", "process.exit(process.argv[1] === '$HOME && x' ? 0 : 1)", "$HOME && x"]);
    expect((await runCheck(spec, ctx("http://x"))).ok).toBe(true);
  });

  it("kills the whole process group at the timeout", async () => {
    const dir = tempDir();
    const result = await runCheck(sh(`sleep 30 & echo $! > ${dir}/pid; echo started; wait`, 300), ctx("http://x"));
    expect(result.ok).toBe(false);
    expect(result.message).toBe(`sleep 30 & echo $! > ${dir}/pid; echo started; wait timed out after 300ms (killed)\n  started`);
    expect(result.durationMs).toBeLessThan(2_000);
    const pid = Number(readFileSync(join(dir, "pid"), "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
  });

  it("SIGKILLs a command that ignores SIGTERM", async () => {
    const result = await runCheck(sh('trap "" TERM; sleep 30', 200), ctx("http://x"));
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining("timed out after 200ms (killed)") });
    expect(result.durationMs).toBeLessThan(4_000);
  });

  it("reports a command that cannot start", async () => {
    const result = await runCheck(run(["./no-such-smoke-test"]), ctx("http://x"));
    expect(result).toMatchObject({ ok: false, message: "./no-such-smoke-test could not start: spawn ./no-such-smoke-test ENOENT" });
  });
});

describe("runChecks", () => {
  it("runs every check in order and returns every result", async () => {
    const { url } = await server(answer(500));
    const results = await runChecks([sh("exit 0"), get("/health"), sh("exit 1")], ctx(url));
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ["run: exit 0", true],
      ["GET /health", false],
      ["run: exit 1", false],
    ]);
  });

  it("can stop at the first failure", async () => {
    const results = await runChecks([sh("exit 2"), sh("exit 0")], ctx("http://x"), { stopAtFirstFailure: true });
    expect(results.map((r) => r.name)).toEqual(["run: exit 2"]);
  });

  it("names checks", () => {
    expect(checkName(run(["./smoke", "--fast"]))).toBe("run: ./smoke --fast");
    expect(checkName({ kind: "http", url: "https://x.example/h", method: "HEAD", timeout: 1 })).toBe("HEAD https://x.example/h");
  });
});

describe("runCommand", () => {
  it("keeps the last lines, cutting a runaway line", async () => {
    const script = `printf 'a\\nb\\nc'; ${process.execPath} -e 'process.stdout.write("x".repeat(5000))'`;
    const r = await runCommand(["sh", "-c", script], { cwd: tmpdir(), env: ENV, timeout: 5_000, tailLines: 2 });
    expect(r.exitCode).toBe(0);
    expect(r.output).toHaveLength(2);
    expect(r.output[0]).toBe("b");
    expect(r.output[1]).toBe(`c${"x".repeat(999)}…`);
  });

  it("does not wait for a background process holding its output open", async () => {
    const dir = tempDir();
    const r = await runCommand(["sh", "-c", `sleep 5 & echo $! > ${dir}/pid; echo done`], {
      cwd: tmpdir(),
      env: ENV,
      timeout: 10_000,
      tailLines: 5,
    });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, output: ["done"] });
    expect(r.durationMs).toBeLessThan(2_000);
    process.kill(Number(readFileSync(join(dir, "pid"), "utf8")), "SIGKILL");
  });
});
