import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { answersSentAfter } from "./support/load.js";
import { CLI, helloConfig, TestProject, waitFor } from "./support/project.js";
import { SIDE_HOST, sidePort } from "./support/ports.js";

/** The test app with a canary strategy; `steps` and `analysis` are YAML fragments. */
function canaryConfig(port: number, o: { steps: string; analysis?: string; extra?: string; canary?: string }): string {
  return (
    helloConfig(port).replace(
      /strategy:\n {2}type: rolling\n/,
      `strategy:
  type: canary
  canary:
    replicas: 1
${o.canary ?? ""}    steps:
${o.steps}
${o.analysis ?? ""}
`,
    ) + (o.extra ?? "")
  );
}

const FAST_ANALYSIS = `    analysis: { interval: 500ms, window: 2s, minRequests: 10, maxErrorRate: 5%, failureLimit: 0, inconclusiveLimit: 20 }`;

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("canary", () => {
  it("logs -f follows instances started after it began from their first line (the canary scaling up at promotion)", async () => {
    project = await TestProject.create((port) => canaryConfig(port, { steps: ["      - setWeight: 20", "      - pause: {}"].join("\n") }));
    await project.ok("deploy", "--version", "v1");
    const paused = await project.run("deploy", "--version", "v2");
    expect(paused.code).toBe(0); // paused at `pause: {}` with one canary instance, r2-1
    const follower = spawn(process.execPath, [CLI, "logs", "-f", "--release", "2"], { cwd: project.dir, env: { ...process.env, CI: "1" } });
    let out = "";
    follower.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await waitFor("the follower to print r2-1", async () => out.includes("r2-1 | "));
      await project.ok("promote", "--full");
      // r2-2 and r2-3 start after the follower began: their very first line must be there
      for (const id of ["r2-2", "r2-3"])
        await waitFor(`${id}'s first line`, async () => out.includes(`${id} | hello v2 (${id}) listening`));
    } finally {
      follower.kill();
    }
  });

  it("walks every step to 100% under continuous load with zero failed requests", async () => {
    project = await TestProject.create((port) =>
      canaryConfig(port, {
        steps: ["      - setWeight: 20", "      - pause: 1s", "      - setWeight: 50", "      - pause: 1s"].join("\n"),
        analysis: FAST_ANALYSIS,
      }),
    );
    await project.ok("deploy", "--version", "v1"); // first release: no stable, goes out rolling

    const load = startLoad({ url: project.url, rate: 200, concurrency: 8 });
    const deploy = await project.run("deploy", "--version", "v2");
    const after = await answersSentAfter(load, Date.now());
    const report = await load.stop();

    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain("step 1/4: 20% of traffic to release 2 (v2)");
    expect(deploy.stdout).toContain("step 3/4: 50% of traffic to release 2 (v2)");
    expect(deploy.stdout).toMatch(/background analysis #\d+: pass/);
    expect(deploy.stdout).toContain("promoting release 2 (v2) to 100%");
    expect(deploy.stdout).toMatch(/release 2 \(v2\) is live in [\d.]+s \(canary\)/);
    expect(report.failures).toEqual([]);
    expect(report.versions.v1).toBeGreaterThan(0);
    expect(report.versions.v2).toBeGreaterThan(0);
    expect(new Set(after.map((t) => t.version))).toEqual(new Set(["v2"]));
    const status = await project.status();
    expect(status.instances.map((i) => i.version)).toEqual(["v2", "v2", "v2"]);
  });

  it("rolls a faulty canary back by analysis alone; failures stay near weight x detection time", async () => {
    project = await TestProject.create((port) =>
      canaryConfig(port, {
        steps: ["      - setWeight: 20", "      - pause: 30s"].join("\n"),
        analysis: FAST_ANALYSIS,
      }),
    );
    await project.ok("deploy", "--version", "v1");

    const rate = 200;
    const load = startLoad({ url: project.url, rate, concurrency: 8 });
    const started = Date.now();
    const deploy = await project.run("deploy", "--version", "v2", "--env", "FAIL_RATE=0.5");
    const tookS = (Date.now() - started) / 1000;
    const after = await answersSentAfter(load, Date.now());
    const report = await load.stop();

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/release 2 \(v2\) failed: background analysis failed: .*error rate [\d.]+% > maxErrorRate 5%/);
    expect(deploy.stderr).toContain("release 1 (v1) still serves");
    // Only the canary's share fails: at most weight (20%) x fail rate (50%) x rate over the whole deploy.
    const bound = 0.2 * 0.5 * rate * tookS * 1.5;
    expect(report.failed).toBeGreaterThan(0);
    expect(report.failed).toBeLessThanOrEqual(bound);
    // ended by analysis (the stderr above), not by the 30s pause
    expect(after.filter((t) => t.version !== "v1" || t.status !== 200)).toEqual([]);
    const releases = await project.json<{ id: number; status: string }[]>("releases");
    expect(releases[0]).toMatchObject({ id: 2, status: "failed" });
  });

  it("pauses instead of promoting when analysis has too little traffic", async () => {
    project = await TestProject.create((port) =>
      canaryConfig(port, {
        steps: ["      - setWeight: 50", "      - pause: 20s", "      - setWeight: 100"].join("\n"),
        analysis: `    analysis: { interval: 300ms, window: 2s, minRequests: 50, maxErrorRate: 5%, inconclusiveLimit: 2 }`,
      }),
    );
    await project.ok("deploy", "--version", "v1");
    const deploy = await project.run("deploy", "--version", "v2"); // no load at all
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toMatch(/background analysis #\d+: inconclusive: 0 requests < minRequests 50/);
    expect(deploy.stdout).toMatch(/rollout 2 is paused: background analysis inconclusive/);
    const status = await project.status();
    expect(status.current?.version).toBe("v1");
    expect(status.rollout?.phase).toBe("paused");
    expect(status.rollout?.weight).toBe(50);
    // a second look later: still paused, not promoted
    await new Promise((r) => setTimeout(r, 1000));
    expect((await project.status()).rollout?.phase).toBe("paused");
    await project.ok("abort");
  });

  it("abort mid-canary: stable serves 100% at once, state is clean, the next deploy works; bad commands exit 2", async () => {
    project = await TestProject.create((port) => canaryConfig(port, { steps: ["      - setWeight: 50", "      - pause: {}"].join("\n") }));
    await project.ok("deploy", "--version", "v1");
    const promoteNothing = await project.run("promote");
    expect(promoteNothing.code).toBe(2);
    expect(promoteNothing.stderr).toBe("error: no rollout in progress: nothing to promote\nhint: see slipway status\n");

    const deploy = await project.run("deploy", "--version", "v2");
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain("rollout 2 is paused: step 2/2: paused until slipway promote");
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add(JSON.parse((await project.get("/")).body).version);
    expect(seen).toEqual(new Set(["v1", "v2"]));

    const abort = await project.run("abort");
    expect(abort.code).toBe(0);
    const clean = await waitFor("the rollout to end", async () => {
      const s = await project!.status();
      return s.rollout === null ? s : undefined;
    });
    expect(clean.instances.map((i) => i.version)).toEqual(["v1", "v1", "v1"]);
    for (let i = 0; i < 20; i++) expect(JSON.parse((await project.get("/")).body).version).toBe("v1");
    const releases = await project.json<{ id: number; status: string }[]>("releases");
    expect(releases.map((r) => [r.id, r.status])).toEqual([
      [2, "aborted"],
      [1, "active"],
    ]);
    expect((await project.run("abort")).code).toBe(2);

    const retry = await project.run("retry", "--strategy", "rolling");
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/release 2 \(v2\) is live/);
  });

  it("keeps a client with the cohort cookie on one side as the weight grows; the header override picks a side", async () => {
    project = await TestProject.create((port) =>
      canaryConfig(port, {
        canary: "    stickiness: cookie\n",
        steps: ["      - setWeight: 10", "      - pause: {}", "      - setWeight: 50", "      - pause: {}"].join("\n"),
      }),
    );
    await project.ok("deploy", "--version", "v1");
    await project.ok("deploy", "--version", "v2"); // paused at 10%

    // 300 clients: each gets a cohort cookie on its first request, then sends it back
    const clients: { cookie: string; at10: Set<string>; at50: Set<string> }[] = [];
    for (let i = 0; i < 300; i++) {
      const res = await fetch(project.url);
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
      expect(cookie).toMatch(/^slipway_cohort=\d+$/);
      clients.push({ cookie, at10: new Set([((await res.json()) as { version: string }).version]), at50: new Set() });
    }
    const ask = async (cookie: string, into: Set<string>) => {
      const res = await fetch(project!.url, { headers: { cookie } });
      expect(res.headers.get("set-cookie")).toBeNull();
      into.add(((await res.json()) as { version: string }).version);
    };
    for (const c of clients) for (let n = 0; n < 3; n++) await ask(c.cookie, c.at10);
    for (const c of clients) expect(c.at10.size).toBe(1); // one side per client at a given weight
    const canaryAt10 = clients.filter((c) => c.at10.has("v2"));
    expect(canaryAt10.length).toBeGreaterThan(10); // about 30 of 300
    expect(canaryAt10.length).toBeLessThan(60);

    await project.ok("promote");
    await waitFor("weight 50", async () => (await project!.status()).rollout?.weight === 50);
    for (const c of clients) for (let n = 0; n < 3; n++) await ask(c.cookie, c.at50);
    for (const c of clients) expect(c.at50.size).toBe(1);
    for (const c of canaryAt10) expect([...c.at50]).toEqual(["v2"]); // a client in the canary at 10% stays in it at 50%
    const canaryAt50 = clients.filter((c) => c.at50.has("v2"));
    expect(canaryAt50.length).toBeGreaterThan(110); // about 150 of 300
    expect(canaryAt50.length).toBeLessThan(190);

    const pick = async (route: string) =>
      ((await (await fetch(project!.url, { headers: { "x-slipway-route": route } })).json()) as { version: string }).version;
    for (let i = 0; i < 10; i++) {
      expect(await pick("canary")).toBe("v2");
      expect(await pick("stable")).toBe("v1");
    }
    await project.ok("abort");
  });

  it("the header override can be switched off", async () => {
    project = await TestProject.create((port) =>
      canaryConfig(port, {
        canary: "    header: false\n    stickiness: none\n",
        steps: ["      - setWeight: 0", "      - pause: {}"].join("\n"),
      }),
    );
    await project.ok("deploy", "--version", "v1");
    await project.ok("deploy", "--version", "v2");
    for (let i = 0; i < 10; i++) {
      const res = await fetch(project.url, { headers: { "x-slipway-route": "canary" } });
      expect(((await res.json()) as { version: string }).version).toBe("v1");
    }
    await project.ok("abort");
  });

  it("a failing pre-hook stops the rollout before traffic moves; a hanging webhook does not hold it up; metrics count by release", async () => {
    const hooks: { open: boolean }[] = []; // each webhook post received; open until the sender gives up (its 60s timeout)
    const hang = await import("node:http").then(({ createServer }) =>
      createServer((req) => {
        const hook = { open: true };
        hooks.push(hook);
        req.socket.once("close", () => (hook.open = false)); // never answered
      }),
    );
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", () => r()));
    const hangPort = (hang.address() as { port: number }).port;
    const metricsPort = await sidePort();
    try {
      project = await TestProject.create((port) =>
        canaryConfig(port, {
          steps: ["      - setWeight: 50", "      - pause: 500ms"].join("\n"),
          extra: `hooks:\n  preDeploy: ["sh", "-c", "test \\"$SLIPWAY_VERSION\\" != v3 || { echo migration failed; exit 1; }"]\nnotify:\n  webhooks: [http://127.0.0.1:${hangPort}/hook]\n  timeout: 60s\nmetrics: { listen: ${SIDE_HOST}:${metricsPort} }\n`,
        }),
      );
      const v1 = await project.run("deploy", "--version", "v1");
      expect(v1.stderr).toBe("");
      expect(v1.code).toBe(0);
      const before = hooks.length;
      const ok = await project.run("deploy", "--version", "v2");
      expect(ok.code).toBe(0);
      // the first post about rollout 2 still waits for an answer: the deploy did not wait out its 60s timeout
      expect(hooks.length).toBeGreaterThan(before);
      expect(hooks[before]!.open).toBe(true);

      const load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
      const bad = await project.run("deploy", "--version", "v3");
      const report = await load.stop();
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/release 3 \(v3\) failed: preDeploy hook failed \(exit 1\): migration failed/);
      expect(report.versions.v3).toBeUndefined();
      expect(report.failed).toBe(0);
      expect((await project.status()).instances.every((i) => i.version === "v2")).toBe(true);

      const metrics = await (await fetch(`http://${SIDE_HOST}:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/slipway_requests_total\{release="2",code_class="2xx"\} \d+/);
      expect(metrics).toMatch(/slipway_traffic_weight\{release="2"\} 100/);
      expect(await (await fetch(new URL("/metrics", project.url))).text()).not.toContain("slipway_"); // never on the app's port
    } finally {
      hang.closeAllConnections();
      hang.close();
    }
  });
});
