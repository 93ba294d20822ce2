import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { standbyHolds, Standby } from "../src/daemon/standby.js";
import { Ledger } from "../src/ledger/ledger.js";
import { MIGRATIONS } from "../src/ledger/schema.js";
import { FakeClock } from "./support/fake-clock.js";

const configText = "name: x\napp: { command: node s.js, replicas: 2 }\n";
const config = parseConfig(configText, { file: "slipway.yaml", root: "/x" }).config;
const newRelease = (version: string) => ({
  version,
  configText,
  config,
  configFile: "/x/slipway.yaml",
  environment: null,
  env: {},
  snapshot: "/s",
});

const MINUTE = 60_000;
let dir: string;
let clock: FakeClock;
let ledger: Ledger;
/** Releases scaled down, in order, by every Standby of the test. */
let scaledDown: number[];
const standby = () => new Standby({ ledger, clock, scaleDown: (id) => scaledDown.push(id) });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-standby-"));
  clock = new FakeClock(1_000_000);
  ledger = Ledger.open(join(dir, "ledger.db"), clock);
  scaledDown = [];
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Blue (release 1) was live; green (release 2) took over by a switch. */
function switched(): { blue: ReturnType<Ledger["createRelease"]>; green: ReturnType<Ledger["createRelease"]> } {
  const blue = ledger.createRelease(newRelease("v1"));
  ledger.activate(blue.id);
  const green = ledger.createRelease(newRelease("v2"));
  ledger.activate(green.id);
  return { blue, green };
}

describe("standbyHolds: the expiry rule", () => {
  it.each([
    [60_000, 0, true],
    [60_000, 59_999, true],
    [60_000, 60_000, false],
    [60_000, 60_001, false],
  ])("until %d at %d -> %s", (until, now, holds) => {
    expect(standbyHolds(until, now)).toBe(holds);
  });
});

describe("Standby: the scaleDownDelay deadline lives in the ledger", () => {
  it("records the deadline and scales the release down when it passes, not before", async () => {
    const { blue } = switched();
    const s = standby();
    s.keep(blue, MINUTE);
    expect(ledger.standby()).toEqual({ releaseId: blue.id, until: 1_000_000 + MINUTE });
    expect(s.state).toEqual({ release: blue.id, version: "v1", until: 1_000_000 + MINUTE });
    await clock.advance(MINUTE - 1);
    expect(scaledDown).toEqual([]);
    await clock.advance(1);
    expect(scaledDown).toEqual([blue.id]);
    expect(s.state).toBeNull();
    expect(ledger.standby()).toBeUndefined();
  });

  it("a restarted daemon re-arms the timer for the time left", async () => {
    const { blue } = switched();
    ledger.setStandby(blue.id, clock.now() + MINUTE); // what keep() recorded before its daemon was killed
    await clock.advance(20_000);
    const next = standby();
    expect(next.restore()).toEqual({ release: blue.id, version: "v1", until: 1_000_000 + MINUTE });
    await clock.advance(40_000 - 1);
    expect(scaledDown).toEqual([]);
    await clock.advance(1);
    expect(scaledDown).toEqual([blue.id]);
    expect(ledger.standby()).toBeUndefined();
  });

  it("a standby whose deadline passed while no daemon ran is scaled down at once", async () => {
    const { blue } = switched();
    ledger.setStandby(blue.id, clock.now() + MINUTE); // recorded by a daemon killed right after
    await clock.advance(2 * MINUTE); // no daemon ran meanwhile
    const next = standby();
    expect(next.restore()?.release).toBe(blue.id);
    await clock.advance(0);
    expect(scaledDown).toEqual([blue.id]);
  });

  it("a standby that is current again (rolled back to) is forgotten, nothing scaled down", async () => {
    const { blue } = switched();
    standby().keep(blue, MINUTE);
    ledger.activate(blue.id);
    expect(standby().restore()).toBeNull();
    expect(ledger.standby()).toBeUndefined();
    await clock.advance(2 * MINUTE);
    expect(scaledDown).toEqual([]);
  });

  it("clear ends the standby without scaling down; a new standby replaces the old one", async () => {
    const { blue, green } = switched();
    const s = standby();
    s.keep(blue, MINUTE);
    s.clear();
    expect(ledger.standby()).toBeUndefined();
    await clock.advance(2 * MINUTE);
    expect(scaledDown).toEqual([]);

    const third = ledger.createRelease(newRelease("v3"));
    ledger.activate(third.id);
    s.keep(blue, MINUTE);
    ledger.setStandby(green.id, clock.now() + MINUTE); // at most one release is on standby
    expect(ledger.standby()).toEqual({ releaseId: green.id, until: clock.now() + MINUTE });
    expect(ledger.release(blue.id)).toBeDefined();
  });
});

describe("ledger migration 4", () => {
  it("adds the standby deadline to a ledger written before it, with no release on standby", () => {
    const file = join(dir, "old.db");
    const db = new Database(file);
    for (const sql of MIGRATIONS.slice(0, 3)) db.exec(sql);
    db.pragma("user_version = 3");
    db.prepare(
      `INSERT INTO releases (version, status, created_at, config_text, config_json, config_file, env_json, snapshot)
       VALUES ('v1', 'active', 1, ?, ?, '/x/slipway.yaml', '{}', '/s')`,
    ).run(configText, JSON.stringify(config));
    db.close();
    const old = Ledger.open(file, clock);
    try {
      expect(old.standby()).toBeUndefined();
      old.setStandby(1, 5);
      expect(old.standby()).toEqual({ releaseId: 1, until: 5 });
      expect(old.release(1)?.version).toBe("v1");
    } finally {
      old.close();
    }
  });
});

describe("a standby on a full disk", () => {
  it("still holds in memory and scales down at its deadline when the ledger cannot record it", async () => {
    const { blue } = switched();
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    const original = ledger.setStandby.bind(ledger);
    ledger.setStandby = () => {
      throw full;
    };
    const s = standby();
    s.keep(blue, MINUTE);
    expect(s.state).toMatchObject({ release: blue.id });
    ledger.setStandby = original;
    expect(ledger.standby() ?? null).toBeNull(); // nothing recorded
    await clock.advance(MINUTE);
    expect(scaledDown).toEqual([blue.id]);
  });
});
