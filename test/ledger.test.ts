import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../src/clock.js";
import { systemClock } from "../src/clock.js";
import { Ledger } from "../src/ledger/ledger.js";
import { parseConfig } from "../src/config/load.js";

let dir: string;
let now = 1_000;
const clock: Clock = { ...systemClock, now: () => now };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-ledger-"));
  now = 1_000;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const configText = "name: x\napp: { command: node s.js, replicas: 2 }\n";
const config = parseConfig(configText, { file: "slipway.yaml", root: "/x" }).config;
const release = (version: string) => ({
  version,
  configText,
  config,
  configFile: "/x/slipway.yaml",
  environment: null,
  env: { A: "1" },
  snapshot: "/s",
});

describe("Ledger", () => {
  it("keeps releases, rollouts and events across reopen (a real SQLite file)", () => {
    const file = join(dir, "ledger.db");
    const a = Ledger.open(file, clock);
    const r1 = a.createRelease(release("v1"));
    const ro = a.startRollout({ kind: "deploy", releaseId: r1.id, fromReleaseId: null, strategy: "rolling", holder: "me" });
    a.record({ type: "step", rolloutId: ro.id, message: "hello", data: { n: 1 } });
    a.activate(r1.id);
    a.endRollout(ro.id, "succeeded");
    a.close();

    const b = Ledger.open(file, clock);
    expect(b.currentRelease()).toMatchObject({ id: 1, version: "v1", status: "active", env: { A: "1" }, configText });
    expect(b.currentRelease()?.config).toEqual(config);
    expect(b.currentRelease()?.config.app.replicas).toBe(2);
    expect(b.rollout(ro.id)).toMatchObject({ status: "succeeded", endedAt: 1_000 });
    expect(b.events({ rolloutId: ro.id }).map((e) => [e.type, e.message, e.data])).toEqual([["step", "hello", { n: 1 }]]);
    b.close();
  });

  it("a release recorded by an older Slipway (config without router/audit) reads back with today's defaults", () => {
    const file = join(dir, "ledger.db");
    const a = Ledger.open(file, clock);
    const older = Object.fromEntries(Object.entries(config).filter(([key]) => key !== "router" && key !== "audit")) as typeof config;
    a.createRelease({ ...release("v1"), config: older });
    a.close();
    const b = Ledger.open(file, clock);
    expect(b.release(1)?.config.router).toEqual({ responseTimeout: 60_000, upstreamIdleTimeout: 1_000, trustedProxies: [], hosts: [] });
    expect(b.release(1)?.config.audit).toEqual({ ignore: [], actionPinning: "tag" });
    expect(b.release(1)?.config).toEqual(config);
    b.close();
  });

  it("activate supersedes the previous release atomically; previousGoodRelease skips failed ones", () => {
    const l = Ledger.open(join(dir, "l.db"), clock);
    const r1 = l.createRelease(release("v1"));
    l.activate(r1.id);
    now = 2_000;
    const r2 = l.createRelease(release("v2"));
    l.activate(r2.id);
    const r3 = l.createRelease(release("v3"));
    l.setReleaseStatus(r3.id, "failed", "boom");
    expect(l.releases().map((r) => [r.id, r.status])).toEqual([
      [3, "failed"],
      [2, "active"],
      [1, "superseded"],
    ]);
    expect(l.previousGoodRelease()?.id).toBe(1);
    l.close();
  });

  it("tracks live instances for adoption and notifies listeners of every event", () => {
    const l = Ledger.open(join(dir, "l.db"), clock);
    const seen: string[] = [];
    l.onRecord((e) => seen.push(e.message));
    const r1 = l.createRelease(release("v1"));
    l.upsertInstance({ id: "r1-1", releaseId: r1.id, pid: 10, state: "starting", specJson: "{}", startedAt: 1 });
    l.upsertInstance({ id: "r1-2", releaseId: r1.id, pid: 11, state: "starting", specJson: "{}", startedAt: 1 });
    l.setInstanceState("r1-2", "stopped");
    expect(l.liveInstances().map((i) => i.id)).toEqual(["r1-1"]);
    expect(l.instanceCount(r1.id)).toBe(2);
    l.record({ type: "x", message: "m1" });
    expect(seen).toEqual(["m1"]);
    l.close();
  });
});
