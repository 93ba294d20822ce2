import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileLikeWithoutSource, isShared, relinkReplaced, seedShared } from "../src/release/shared.js";
import { snapshotRelease } from "../src/release/snapshot.js";

let root: string;
let app: string;
let shared: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "slipway-shared-"));
  app = join(root, "app");
  shared = join(app, ".slipway/shared");
  mkdirSync(app);
  writeFileSync(join(app, "server.js"), "x");
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Seeds, then snapshots release `id` the way the daemon does on the process platform. */
async function release(id: number, paths: string[]) {
  const outcomes = await seedShared(app, shared, paths);
  const dir = join(app, ".slipway/releases", String(id));
  await snapshotRelease(app, dir, { shared: { dir: shared, paths } });
  return { dir, outcomes: Object.fromEntries(outcomes) };
}

describe("seedShared", () => {
  it("copies the app's directory and file on first use, keeping modes, and makes an empty directory otherwise", async () => {
    mkdirSync(join(app, "data/sub"), { recursive: true });
    writeFileSync(join(app, "data/sub/db.sqlite"), "rows");
    chmodSync(join(app, "data/sub/db.sqlite"), 0o640);
    writeFileSync(join(app, "config.json"), "{}");
    const outcomes = await seedShared(app, shared, ["data", "config.json", "var/uploads"]);
    expect(Object.fromEntries(outcomes)).toEqual({ data: "seeded", "config.json": "seeded", "var/uploads": "created" });
    expect(readFileSync(join(shared, "data/sub/db.sqlite"), "utf8")).toBe("rows");
    expect(statSync(join(shared, "data/sub/db.sqlite")).mode & 0o777).toBe(0o640);
    expect(statSync(join(shared, "config.json")).isFile()).toBe(true);
    expect(statSync(join(shared, "var/uploads")).isDirectory()).toBe(true);
    expect(existsSync(join(shared, "data.seeding"))).toBe(false);
  });

  it("never overwrites what is already shared, and seeds a path added later from the app", async () => {
    mkdirSync(join(app, "data"));
    writeFileSync(join(app, "data/visits.txt"), "1");
    await seedShared(app, shared, ["data"]);
    writeFileSync(join(shared, "data/visits.txt"), "42");
    writeFileSync(join(app, "data/visits.txt"), "0");
    mkdirSync(join(app, "uploads"));
    writeFileSync(join(app, "uploads/logo.png"), "png");
    const outcomes = await seedShared(app, shared, ["data", "uploads"]);
    expect(Object.fromEntries(outcomes)).toEqual({ data: "kept", uploads: "seeded" });
    expect(readFileSync(join(shared, "data/visits.txt"), "utf8")).toBe("42");
    expect(readFileSync(join(shared, "uploads/logo.png"), "utf8")).toBe("png");
  });

  it("does not seed a path .slipwayignore leaves out: it starts empty", async () => {
    mkdirSync(join(app, "data"));
    writeFileSync(join(app, "data/dev.sqlite"), "dev rows");
    writeFileSync(join(app, ".slipwayignore"), "data/\n");
    expect(Object.fromEntries(await seedShared(app, shared, ["data"]))).toEqual({ data: "created" });
    expect(existsSync(join(shared, "data/dev.sqlite"))).toBe(false);
  });

  it("starts over from a copy an interrupted seed left behind", async () => {
    mkdirSync(join(app, "data"));
    writeFileSync(join(app, "data/a"), "a");
    mkdirSync(join(shared, "data.seeding"), { recursive: true });
    writeFileSync(join(shared, "data.seeding/half"), "h");
    await seedShared(app, shared, ["data"]);
    expect(existsSync(join(shared, "data/half"))).toBe(false);
    expect(readFileSync(join(shared, "data/a"), "utf8")).toBe("a");
  });
});

describe("a snapshot with shared paths", () => {
  it("links each shared path into .slipway/shared with a relative symlink instead of copying it", async () => {
    mkdirSync(join(app, "data"));
    writeFileSync(join(app, "data/visits.txt"), "1");
    const { dir } = await release(1, ["data", "var/cache/pages"]);
    expect(lstatSync(join(dir, "data")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, "data"))).toBe("../../shared/data");
    expect(readlinkSync(join(dir, "var/cache/pages"))).toBe("../../../../shared/var/cache/pages");
    expect(statSync(join(dir, "var/cache/pages")).isDirectory()).toBe(true);
    writeFileSync(join(dir, "data/visits.txt"), "2"); // what an instance writes lands in the shared copy
    expect(readFileSync(join(shared, "data/visits.txt"), "utf8")).toBe("2");
    expect(readFileSync(join(app, "data/visits.txt"), "utf8")).toBe("1");
  });

  it("shares the data between releases, old ones included, and survives moving the project", async () => {
    mkdirSync(join(app, "data"));
    writeFileSync(join(app, "data/visits.txt"), "1");
    const first = await release(1, ["data"]);
    writeFileSync(join(first.dir, "data/visits.txt"), "5");
    const second = await release(2, ["data"]);
    expect(second.outcomes).toEqual({ data: "kept" });
    expect(readFileSync(join(second.dir, "data/visits.txt"), "utf8")).toBe("5");
    writeFileSync(join(second.dir, "data/visits.txt"), "6");
    expect(readFileSync(join(first.dir, "data/visits.txt"), "utf8")).toBe("6");
    const moved = join(root, "moved");
    renameSync(app, moved);
    expect(readFileSync(join(moved, ".slipway/releases/1/data/visits.txt"), "utf8")).toBe("6");
  });

  it("links a shared file, and a shared path inside a directory the app does not let its owner write", async () => {
    writeFileSync(join(app, "settings.json"), '{"a":1}');
    mkdirSync(join(app, "locked"));
    writeFileSync(join(app, "locked/readme"), "r");
    chmodSync(join(app, "locked"), 0o555);
    try {
      const { dir } = await release(1, ["settings.json", "locked/data"]);
      expect(readFileSync(join(dir, "settings.json"), "utf8")).toBe('{"a":1}');
      expect(lstatSync(join(dir, "settings.json")).isSymbolicLink()).toBe(true);
      expect(lstatSync(join(dir, "locked/data")).isSymbolicLink()).toBe(true);
      expect(statSync(join(dir, "locked")).mode & 0o777).toBe(0o555);
      chmodSync(join(dir, "locked"), 0o755);
    } finally {
      chmodSync(join(app, "locked"), 0o755);
    }
  });

  it("is a plain snapshot when nothing is shared (releases recorded before app.shared)", async () => {
    mkdirSync(join(app, "data"));
    writeFileSync(join(app, "data/visits.txt"), "1");
    const { dir } = await release(1, []);
    expect(lstatSync(join(dir, "data")).isDirectory()).toBe(true);
    expect(existsSync(shared)).toBe(false);
  });
});

it("isShared matches a shared path and what is inside it, nothing else", () => {
  expect(isShared("data", ["data"])).toBe(true);
  expect(isShared("data/x/y", ["data"])).toBe(true);
  expect(isShared("database.js", ["data"])).toBe(false);
  expect(isShared("lib/data", ["data"])).toBe(false);
});

describe("relinkReplaced", () => {
  /** Release 1 with a shared file, whose link the app then replaced by saving `text` with a rename. */
  async function replaced(text: string) {
    writeFileSync(join(app, "db.json"), "seed");
    const { dir } = await release(1, ["db.json", "data"]);
    writeFileSync(join(dir, "db.json.tmp"), text);
    renameSync(join(dir, "db.json.tmp"), join(dir, "db.json"));
    return dir;
  }
  const aside = () => join(app, ".slipway/shared-replaced");

  it("adopts the serving release's copy as the shared one, sets the old shared copy aside and puts the link back", async () => {
    const dir = await replaced("newest");
    const done = await relinkReplaced(dir, shared, ["db.json", "data"], { adopt: true, asideDir: aside(), stamp: "s1" });
    expect(done).toEqual([{ path: "db.json", outcome: "adopted", asideAt: join(aside(), "s1/db.json") }]);
    expect(readlinkSync(join(dir, "db.json"))).toBe("../../shared/db.json");
    expect(readFileSync(join(shared, "db.json"), "utf8")).toBe("newest");
    expect(readFileSync(join(aside(), "s1/db.json"), "utf8")).toBe("seed");
    expect(lstatSync(join(dir, "data")).isSymbolicLink()).toBe(true); // untouched
  });

  it("sets a stale copy aside in a release that runs again, keeping the shared data", async () => {
    const dir = await replaced("stale");
    writeFileSync(join(shared, "db.json"), "current");
    const done = await relinkReplaced(dir, shared, ["db.json"], { adopt: false, asideDir: aside(), stamp: "s2" });
    expect(done.map((d) => d.outcome)).toEqual(["set-aside"]);
    expect(readFileSync(join(dir, "db.json"), "utf8")).toBe("current"); // through the link
    expect(readFileSync(join(aside(), "s2/db.json"), "utf8")).toBe("stale");
  });

  it("does nothing when every link is in place or the path is missing", async () => {
    const { dir } = await release(1, ["data"]);
    expect(await relinkReplaced(dir, shared, ["data", "gone"], { adopt: true, asideDir: aside(), stamp: "s3" })).toEqual([]);
    expect(existsSync(aside())).toBe(false);
  });
});

describe("fileLikeWithoutSource", () => {
  it("names the paths that read as files with nothing to seed them from, nothing else", async () => {
    mkdirSync(join(app, "data"));
    writeFileSync(join(app, "there.db"), "");
    mkdirSync(join(shared, "kept"), { recursive: true });
    writeFileSync(join(shared, "kept/old.sqlite"), "");
    const paths = ["data", "uploads", ".cache", "there.db", "kept/old.sqlite", "notes.db", "db/app.sqlite3"];
    expect(await fileLikeWithoutSource(app, shared, paths)).toEqual(["notes.db", "db/app.sqlite3"]);
    writeFileSync(join(app, ".slipwayignore"), "there.db\n"); // left out of releases: nothing to seed from
    expect(await fileLikeWithoutSource(app, shared, ["there.db"])).toEqual(["there.db"]);
  });
});
