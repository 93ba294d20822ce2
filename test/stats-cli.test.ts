import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import type { DeliveryStats } from "../src/delivery/delivery-metrics.js";
import { DeliveryTimeline, MINUTE, nov, novemberDeliveries } from "./support/delivery-timeline.js";
import { helloConfig, TestProject } from "./support/project.js";

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

const NOVEMBER = ["--since", "2026-11-01", "--until", "2026-12-01"];

/**
 * A project whose ledger holds the scripted November (test/support/delivery-timeline.ts), written
 * by the real Ledger before any daemon runs. The last release that went live (11) has a snapshot, a
 * copy of the app, so the daemon `slipway up` starts brings it back as it would after a reboot.
 */
async function projectWithNovember(): Promise<TestProject> {
  const p = await TestProject.create((port) => helloConfig(port).replace("replicas: 3", "replicas: 1"));
  const configFile = join(p.dir, "slipway.yaml");
  const configText = readFileSync(configFile, "utf8");
  const { config } = parseConfig(configText, { file: configFile, root: p.dir });
  mkdirSync(join(p.dir, ".slipway/releases"), { recursive: true, mode: 0o700 });
  const timeline = new DeliveryTimeline(join(p.dir, ".slipway/ledger.db"), (version) => ({
    version,
    configText,
    config,
    configFile,
    environment: null,
    env: {},
    snapshot: "",
  }));
  novemberDeliveries(timeline);
  const snapshot = join(p.dir, ".slipway/releases/11");
  for (const file of ["server.js", "env.js", "package.json", "node_modules"])
    cpSync(join(p.dir, file), join(snapshot, file), { recursive: true, verbatimSymlinks: true });
  timeline.ledger.setSnapshot(11, snapshot);
  timeline.close();
  return p;
}

describe("slipway stats", () => {
  it("refuses bad flags in one line with a hint, before a daemon starts", async () => {
    project = await projectWithNovember();
    for (const [args, err] of [
      [
        ["stats", "--since", "yesterdayish"],
        'error: --since "yesterdayish": neither a duration nor a date\nhint: use a duration back from now (30d, 12h, 2w) or an ISO date (2026-11-01, UTC)\n',
      ],
      [["stats", "--bucket", "month"], "error: --bucket month: not a bucket size\nhint: use one of day, week\n"],
    ] as const) {
      expect(await project.run(...args)).toEqual({ code: 2, stdout: "", stderr: err });
    }
    expect(existsSync(join(project.dir, ".slipway/daemon.sock"))).toBe(false);
    expect(project.daemonPid()).toBeNull();
  });

  it("answers November's figures from the daemon's ledger, as JSON and as tables", async () => {
    project = await projectWithNovember();
    await project.ok("up");
    const s = JSON.parse((await project.ok("stats", ...NOVEMBER, "--bucket", "week", "--json")).stdout) as DeliveryStats;
    // The figures test/delivery-metrics.test.ts works out for 2 to 23 November, but over the 30 days of November and
    // with release 12's deploy, still running in the script, marked interrupted by the daemon's start (2 interrupted).
    expect(s).toMatchObject({
      since: nov(1, 0),
      until: Date.UTC(2026, 11, 1),
      bucket: "week",
      failureWindowMs: 24 * 60 * MINUTE,
      deploys: 11,
      succeeded: 8,
      failed: 5,
      interrupted: 2,
      rollbacks: 3,
      redeploys: 2,
      leadTime: { median: 105 * MINUTE, p90: 1400 * MINUTE, changes: 8 },
      timeToRestore: { median: 77.5 * MINUTE, max: 250 * MINUTE, restored: 4, open: 1 },
    });
    expect(s.deploymentFrequencyPerDay).toBe(8 / 30);
    expect(s.changeFailureRate).toBe(5 / 11);
    expect(s.reworkRate).toBe(5 / 14);
    // 1 November is a Sunday: its ISO week began on 26 October; the last one on Monday 30 November.
    expect(s.buckets.map((b) => [new Date(b.start).toISOString().slice(0, 10), b.deploys, b.succeeded, b.failed, b.rollbacks])).toEqual([
      ["2026-10-26", 0, 0, 0, 0],
      ["2026-11-02", 4, 2, 2, 0],
      ["2026-11-09", 4, 3, 2, 2],
      ["2026-11-16", 3, 3, 1, 1],
      ["2026-11-23", 0, 0, 0, 0],
      ["2026-11-30", 0, 0, 0, 0],
    ]);

    const text = (await project.ok("stats", ...NOVEMBER, "--bucket", "week")).stdout;
    expect(text).toContain("delivery metrics from 2026-11-01 00:00 to 2026-12-01 00:00 UTC, by week; failure window 1d");
    // 8 / 30 a day; 105 min and 1400 min; 5 of 11; 77.5 min and 250 min; 5 of 14
    expect(text).toMatch(/deployment frequency +0\.27 a day \(8 successful deploys\) +successful deploys per day/);
    expect(text).toMatch(/lead time for changes +median 1h 45m, p90 23h 20m \(8 commits\)/);
    expect(text).toMatch(/change failure rate +45\.5% \(5 of 11 deploys\)/);
    expect(text).toMatch(/time to restore +median 1h 17m, max 4h 10m \(4 restored, 1 open\)/);
    expect(text).toMatch(/rework rate +35\.7% \(3 rollbacks \+ 2 redeploys of 14\)/);
    expect(text).toContain("exact definitions: docs/delivery-metrics.md");
    // week of 2 November: leads 70 80 440 1400 min -> 260 min; restores 250 and 30 min -> 140 min
    expect(text).toMatch(/^ {2}2026-11-02 +4 +2 +2 +0 +4h 20m +50% +2h 20m$/m);
    expect(text).toMatch(/^ {2}2026-11-23 +0 +0 +0 +0 +- +- +-$/m);

    // the release list names each release's commit
    const releases = await project.json<{ id: number; commit: string | null; committedAt: string | null }[]>("releases");
    expect(releases.find((r) => r.id === 2)).toMatchObject({ commit: "c2".padEnd(40, "0"), committedAt: "2026-11-03T13:00:00.000Z" });
    expect(releases.find((r) => r.id === 10)).toMatchObject({ commit: null, committedAt: null });

    const days = JSON.parse((await project.ok("stats", ...NOVEMBER, "--json")).stdout) as DeliveryStats;
    expect(days.buckets).toHaveLength(30);
  });
});
