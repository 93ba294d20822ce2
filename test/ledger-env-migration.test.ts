import Database from "better-sqlite3";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../src/clock.js";
import { Ledger } from "../src/ledger/ledger.js";
import { MIGRATIONS } from "../src/ledger/schema.js";

const SECRETS = ["hunter2-secret", "ghp_operator-token-0123456789"];

/** The env of an instance recorded by Slipway before migration 3: the daemon's whole environment, then the release's, then Slipway's. */
function inheritedEnv(release: Record<string, string>, id: string): Record<string, string> {
  const shell: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/home/ops",
    USER: "ops",
    LANG: "en_US.UTF-8",
    LC_ALL: "C.UTF-8",
    TZ: "UTC",
    TERM: "xterm-256color",
    DOCKER_USERNAME: "deployer",
    DOCKER_PASSWORD: SECRETS[0]!,
    GITHUB_TOKEN: SECRETS[1]!,
    lc_lower: "not a locale variable (GLOB is case-sensitive)",
  };
  // 41 variables in all, as seen in the issue; long values push the row onto overflow pages.
  for (let n = 0; Object.keys(shell).length < 35; n++) shell[`SHELL_VAR_${n}`] = `value-${n}-${"x".repeat(120)}`;
  return { ...shell, ...release, PORT: "41001", SLIPWAY_RELEASE: "1", SLIPWAY_VERSION: "v1", SLIPWAY_INSTANCE: id };
}

/**
 * Writes a ledger at user_version 2 (the old shape). `crashed`: like a daemon of the previous version killed mid-run,
 * the rows still in the WAL; else closed cleanly, the rows in the database file.
 */
function oldLedger(dir: string, crashed: boolean): string {
  const db = new Database(join(dir, "live.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("wal_autocheckpoint = 0");
  for (const sql of MIGRATIONS.slice(0, 2)) db.exec(sql);
  db.pragma("user_version = 2");
  const releaseEnv = { GREETING: "hi", FROM_FLAG: "yes" };
  db.prepare(
    `INSERT INTO releases (version, status, created_at, config_text, config_json, config_file, environment, env_json, snapshot)
     VALUES ('v1', 'active', 1, 'name: x', ?, '/x/slipway.yaml', NULL, ?, '/s')`,
  ).run(JSON.stringify({ name: "x", app: { command: ["node", "s.js"], env: releaseEnv } }), JSON.stringify(releaseEnv));
  const insert = db.prepare(`INSERT INTO instances (id, release_id, pid, state, spec_json, started_at) VALUES (?, 1, ?, 'ready', ?, 1)`);
  for (const id of ["r1-1", "r1-2"]) {
    const spec = { id, releaseId: 1, version: "v1", command: ["node", "s.js"], cwd: "/s", host: "127.0.0.1", port: 41001 };
    insert.run(id, 4242, JSON.stringify({ ...spec, env: inheritedEnv(releaseEnv, id), platform: "process" }));
  }
  // a docker instance recorded the release's env only; a row whose spec has no env is left alone
  insert.run("r1-3", 0, JSON.stringify({ id: "r1-3", env: { GREETING: "hi", PORT: "41003" }, platform: "docker" }));
  insert.run("r1-4", 0, JSON.stringify({ id: "r1-4" }));
  if (!crashed) {
    db.close();
    return join(dir, "live.db");
  }
  // the daemon "crashes": copy the files while the connection is open, the rows only in the WAL
  const file = join(dir, "ledger.db");
  copyFileSync(join(dir, "live.db"), file);
  copyFileSync(join(dir, "live.db-wal"), `${file}-wal`);
  db.close();
  return file;
}

function rawBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "slipway-ledger-env-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("ledger migration 3: instance specs lose the daemon's inherited environment", () => {
  it.each([
    ["closed cleanly", false],
    ["killed with the rows in the WAL", true],
  ])("keeps allowlisted names, the release's env and Slipway's, and leaves no copy of the rest on disk (%s)", (_, crashed) => {
    const file = oldLedger(dir, crashed);
    for (const secret of SECRETS) expect(rawBytes(file).includes(secret)).toBe(true); // the old shape really holds them

    const ledger = Ledger.open(file, systemClock);
    const specs = ledger.liveInstances().map((i) => JSON.parse(i.specJson) as { id: string; env?: Record<string, string>; port?: number });
    expect(specs.find((s) => s.id === "r1-1")).toEqual({
      id: "r1-1",
      releaseId: 1,
      version: "v1",
      command: ["node", "s.js"],
      cwd: "/s",
      host: "127.0.0.1",
      port: 41001,
      platform: "process",
      env: {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: "/home/ops",
        USER: "ops",
        LANG: "en_US.UTF-8",
        LC_ALL: "C.UTF-8",
        TZ: "UTC",
        GREETING: "hi",
        FROM_FLAG: "yes",
        PORT: "41001",
        SLIPWAY_RELEASE: "1",
        SLIPWAY_VERSION: "v1",
        SLIPWAY_INSTANCE: "r1-1",
      },
    });
    expect(specs.find((s) => s.id === "r1-2")?.env?.["SLIPWAY_INSTANCE"]).toBe("r1-2");
    expect(specs.find((s) => s.id === "r1-3")?.env).toEqual({ GREETING: "hi", PORT: "41003" });
    expect(specs.find((s) => s.id === "r1-4")).toEqual({ id: "r1-4" });

    // while the migrated ledger is open (a running daemon), and after it closed
    for (const secret of SECRETS) expect(rawBytes(file).includes(secret)).toBe(false);
    ledger.close();
    for (const secret of SECRETS) expect(rawBytes(file).includes(secret)).toBe(false);
    const db = new Database(file, { readonly: true });
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it("gives an old release's stored config an empty app.passEnv, so a new daemon can run and roll back to it", () => {
    const ledger = Ledger.open(oldLedger(dir, false), systemClock);
    expect(ledger.release(1)?.config.app.passEnv).toEqual([]);
    ledger.close();
  });
});
