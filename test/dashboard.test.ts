import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoad } from "../src/load/load-generator.js";
import { launchBrowser } from "./support/browser.js";
import { rawRequest, startDashboardCli, type RunningDashboard } from "./support/dashboard.js";
import { helloConfig, REPO, TestProject, waitFor } from "./support/project.js";

/**
 * `slipway dashboard` end to end: the built CLI serves it beside a real
 * daemon, a real Chromium (Debian's, through playwright-core) drives it.
 * The tests run in order on one project: the session made in the first is
 * used by the others. Each page is screenshotted; the shots go to a
 * temporary directory, or to docs/images/ with SLIPWAY_REFRESH_SCREENSHOTS=1
 * (how the README's images are refreshed), so a test run leaves the tree clean.
 */

const SHOTS = process.env.SLIPWAY_REFRESH_SCREENSHOTS === "1" ? join(REPO, "docs/images") : mkdtempSync(join(tmpdir(), "slipway-shots-"));

/** Canary in four steps, two of them waiting for a promotion; analysis every 500 ms over 2 s. */
function canaryConfig(port: number): string {
  return (
    helloConfig(port).replace(
      /strategy:\n {2}type: rolling\n/,
      `strategy:
  type: canary
  canary:
    replicas: 1
    steps:
      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: {}
    analysis: { interval: 500ms, window: 2s, minRequests: 5, maxErrorRate: 5%, maxLatency: { p95: 2s }, failureLimit: 0, inconclusiveLimit: 100 }
`,
    ) + "dashboard: { listen: 127.0.0.1:0 }\n"
  );
}

let project: TestProject;
let dashboard: RunningDashboard | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let load: ReturnType<typeof startLoad> | undefined;

beforeAll(async () => {
  project = await TestProject.create(canaryConfig);
  await project.ok("deploy", "--version", "v1");
  dashboard = await startDashboardCli(project.dir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await load?.stop();
  await browser?.close();
  await dashboard?.stop();
  await project?.cleanup();
  if (!SHOTS.endsWith("docs/images")) rmSync(SHOTS, { recursive: true, force: true });
});

/** The ledger's rows, read as the tests' own connection. */
function ledger<T>(sql: string): T[] {
  const db = new Database(join(project.dir, ".slipway/ledger.db"), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

async function text(selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? "";
}

/** Clicks an action button, checks the confirmation names the effect, confirms. */
async function confirmAction(button: string, effect: string): Promise<void> {
  await page.getByRole("button", { name: button, exact: true }).click();
  const dialog = page.locator("dialog#confirm");
  await dialog.waitFor({ state: "visible" });
  expect(await dialog.textContent()).toContain(effect);
  await page.locator("#confirm-ok").click();
}

describe("slipway dashboard", () => {
  it("turns the one-time token into an HttpOnly SameSite=Strict session; no session, no answer", async () => {
    const { base, url } = dashboard!;
    for (const path of ["/", "/api/state", "/api/stream", "/assets/app.js"]) expect((await rawRequest(base + path)).status).toBe(401);

    context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    expect(page.url()).toBe(`${base}/`); // the token is out of the address bar (and of the history)
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([["slipway_dashboard", true, "Strict"]]);
    await page.locator("[data-testid=current-version]").filter({ hasText: "v1" }).waitFor();
    // the first status may come from /api/state before the stream's first message: wait for the stream
    await page.locator("#connection[data-connected=true]").waitFor();
    expect(await text("#connection")).toBe("live");

    // The token works once: another browser, or a replay, gets 401.
    const other = await browser!.newContext();
    const replay = await (await other.newPage()).goto(url);
    expect(replay?.status()).toBe(401);
    await other.close();
    expect((await rawRequest(url)).status).toBe(401);
    expect(errors).toEqual([]);
  });

  it("refuses a foreign Host header (DNS rebinding) and an action without its CSRF token or from another origin", async () => {
    const { base } = dashboard!;
    const port = new URL(base).port;
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    expect((await rawRequest(`${base}/api/state`, { headers: { cookie, host: `evil.example:${port}` } })).status).toBe(403);
    expect((await rawRequest(`${base}/api/state`, { headers: { cookie, host: `127.0.0.1:${port}` } })).status).toBe(200);
    expect((await rawRequest(`${base}/api/state`, { headers: { cookie, host: `localhost:${port}` } })).status).toBe(200);

    const csrf = (await page.locator('meta[name="slipway-csrf"]').getAttribute("content")) ?? "";
    expect(csrf.length).toBeGreaterThan(20);
    const post = (headers: Record<string, string>) =>
      rawRequest(`${base}/api/actions/pause`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", ...headers },
        body: "{}",
      });
    const noToken = await post({});
    expect(noToken.status).toBe(403);
    expect(noToken.body).toContain("CSRF");
    expect((await post({ "x-slipway-csrf": "wrong" })).status).toBe(403);
    expect((await post({ "x-slipway-csrf": csrf, origin: "http://evil.example" })).status).toBe(403);
    // The right token and origin reach the daemon, which has nothing to pause.
    const passed = await post({ "x-slipway-csrf": csrf, origin: base });
    expect(passed.status).toBe(409);
    expect(passed.body).toContain("no rollout in progress");
    expect(ledger<{ n: number }>(`SELECT count(*) AS n FROM events WHERE type = 'control'`)[0]!.n).toBe(0);
  });

  it("follows a canary under load live (step, weight, error-rate points); promote and abort from the page change the rollout", async () => {
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    load = startLoad({ url: project.url, rate: 100, concurrency: 4 });
    await project.ok("deploy", "--version", "v2"); // returns paused at step 2 (pause: {}), 20% on the canary

    await page.locator("[data-testid=rollout-weight]").filter({ hasText: "20%" }).waitFor();
    expect(await text("[data-testid=rollout-step]")).toMatch(/^2\/4: /);
    expect(await text("[data-testid=rollout-phase]")).toBe("paused");
    expect(await text("[data-testid=share-canary]")).toContain("release 2 (v2): 20%");
    expect(await page.locator("[data-testid=traffic-bar] .canary").getAttribute("data-share")).toBe("20");
    await waitFor("3 analysis points on the error-rate chart", async () =>
      Number(await page.locator("#chart-errors").getAttribute("data-points")) >= 3 ? true : undefined,
    );
    await page.screenshot({ path: join(SHOTS, "dashboard-now.png"), fullPage: true });

    await confirmAction("Promote one step", "moves release 2 (v2) to its next step");
    await waitFor("the CLI to see step 4 at 50%", async () => {
      const s = await project.status();
      return s.rollout?.weight === 50 && s.rollout.step?.index === 4 ? true : undefined;
    });
    await page.locator("[data-testid=rollout-weight]").filter({ hasText: "50%" }).waitFor();
    expect(await text("[data-testid=share-canary]")).toContain("release 2 (v2): 50%");

    await confirmAction("Abort", "All traffic goes back to release 1 (v1)");
    await waitFor("the CLI to see the rollout gone, release 1 current", async () => {
      const s = await project.status();
      return s.rollout === null && s.current?.id === 1 ? true : undefined;
    });
    await page.locator("[data-testid=no-rollout]").waitFor();
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    const controls = ledger<{ message: string }>(`SELECT message FROM events WHERE type = 'control' ORDER BY id`).map((e) => e.message);
    expect(controls).toHaveLength(2);
    expect(controls[0]).toMatch(/^promote by dashboard session \w{6} \(.+@.+\)$/);
    expect(controls[1]).toMatch(/^abort by dashboard session \w{6} /);
    expect(ledger<{ status: string }>(`SELECT status FROM releases WHERE id = 2`)[0]!.status).toBe("aborted");
    const report = await load.stop();
    load = undefined;
    expect(report.failures).toEqual([]);
    expect(report.versions.v2).toBeGreaterThan(0);
  });

  it("rolls back to a release chosen in the releases table, and follows its logs", async () => {
    await project.ok("deploy", "--version", "v3", "--strategy", "rolling");
    await page.getByRole("link", { name: "Releases" }).click();
    await page.locator("tr[data-release='3']").filter({ hasText: "active (current)" }).waitFor();
    expect(await page.locator("tr[data-release='2']").textContent()).toContain("aborted by dashboard session");

    await page.locator("tr[data-release='1']").click();
    await page.locator("#logs").filter({ hasText: "r1-1 | " }).waitFor(); // the tail of release 1's stopped instances
    const before = new Set((await text("#logs")).match(/r1-\d+/g));
    await confirmAction("Roll back to release 1", "Traffic moves from release 3 (v3) to release 1 (v1)");
    await waitFor("the CLI to see release 1 current", async () => ((await project.status()).current?.id === 1 ? true : undefined));
    // Followed: lines of instances started after the page opened the logs arrive without a reload.
    await waitFor("a new release 1 instance's first lines in the logs pane", async () => {
      const fresh = [...new Set((await text("#logs")).match(/r1-\d+ \| hello v1 \(r1-\d+\) listening/g))].filter(
        (line) => !before.has(line.slice(0, line.indexOf(" "))),
      );
      return fresh.length > 0 ? fresh : undefined;
    });
    const rollback = ledger<{ kind: string; holder: string; release_id: number }>(
      `SELECT kind, holder, release_id FROM rollouts ORDER BY id DESC LIMIT 1`,
    )[0]!;
    expect(rollback.kind).toBe("rollback");
    expect(rollback.release_id).toBe(1);
    expect(rollback.holder).toMatch(/^dashboard session \w{6} /);
    await page.locator("tr[data-release='1']").filter({ hasText: "active (current)" }).waitFor();
    await page.getByRole("button", { name: "Roll back to release 1" }).waitFor({ state: "detached" }); // it is the current one now
    await page.screenshot({ path: join(SHOTS, "dashboard-releases.png"), fullPage: true });
  });

  it("says so while a killed daemon is away, and goes on live with the one the router starts", async () => {
    await page.getByRole("link", { name: "Now" }).click();
    const killed = (await project.status()).daemon.pid;
    process.kill(killed, "SIGKILL");
    await page.locator("#connection[data-connected=false]").waitFor();
    await page.locator("#connection[data-connected=true]").waitFor({ timeout: 30_000 });
    expect((await project.status()).daemon.pid).not.toBe(killed);
    // Live updates come from the new daemon: a deploy shows without a reload.
    await project.ok("deploy", "--version", "v4", "--strategy", "rolling");
    await page.locator("[data-testid=current-version]").filter({ hasText: "v4" }).waitFor();
  });

  it("shows the delivery metrics of what it just did (the figures of slipway stats)", async () => {
    await page.getByRole("link", { name: "Delivery metrics" }).click();
    const tile = (metric: string) => page.locator(`[data-metric=${metric}]`);
    // v1, v3, v4 succeeded; v2 aborted; v3 rolled back by hand within 24 h: 2 failed changes of 4 deploys.
    await tile("deployment-frequency").filter({ hasText: "3 successful of 4 deploys" }).waitFor();
    expect(await tile("change-failure-rate").textContent()).toContain("50%2 failed changes");
    expect(await tile("rework-rate").textContent()).toContain("20%1 rollbacks, 0 redeploys");
    const stats = JSON.parse((await project.ok("stats", "--json")).stdout) as {
      deploys: number;
      changeFailureRate: number;
      reworkRate: number;
    };
    expect([stats.deploys, stats.changeFailureRate, stats.reworkRate]).toEqual([4, 0.5, 0.2]);
    await waitFor("the deploys chart drawn", async () =>
      Number(await page.locator("#chart-deploys").getAttribute("data-points")) > 0 ? true : undefined,
    );
    await page.screenshot({ path: join(SHOTS, "dashboard-metrics.png"), fullPage: true });
  });
});
