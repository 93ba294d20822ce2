import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rotateLog } from "../src/platform/process/log-file.js";
import { ROTATE_SLACK_BYTES } from "../src/platform/process/log-pieces.js";
import { followFile, listLogs, logPath, tailFile } from "../src/platform/process/log-store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-logs-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`).join("\n") + "\n";

describe("rotateLog", () => {
  it("leaves a log within maxSize alone", () => {
    const path = join(dir, "a.log");
    writeFileSync(path, "x".repeat(100));
    expect(rotateLog(path, 100, 3)).toBe(false);
    expect(existsSync(`${path}.1`)).toBe(false);
  });

  it("copies to .1, shifts older files and keeps maxFiles", () => {
    const path = join(dir, "a.log");
    for (const n of [1, 2, 3, 4]) {
      writeFileSync(path, `generation ${n}\n`.repeat(20));
      expect(rotateLog(path, 50, 2)).toBe(true);
      expect(readFileSync(path, "utf8")).toBe("");
    }
    expect(readFileSync(`${path}.1`, "utf8")).toMatch(/^generation 4\n/);
    expect(readFileSync(`${path}.2`, "utf8")).toMatch(/^generation 3\n/);
    expect(existsSync(`${path}.3`)).toBe(false);
  });

  it("cuts a burst into rotated files of at most maxSize (+ 64 KiB), at newlines, newest in .1", () => {
    const path = join(dir, "burst.log");
    const content = lines(1, 25_000); // 263 KB
    writeFileSync(path, content);
    expect(rotateLog(path, 100_000, 5)).toBe(true);
    const rotated = [5, 4, 3, 2, 1].filter((n) => existsSync(`${path}.${n}`)).map((n) => readFileSync(`${path}.${n}`, "utf8"));
    expect(rotated.length).toBe(2); // 100 KB, then the 164 KB left (within the slack: one file, not two)
    expect(rotated.join("")).toBe(content);
    for (const file of rotated) {
      expect(file.length).toBeLessThanOrEqual(100_000 + ROTATE_SLACK_BYTES);
      expect(file.endsWith("\n")).toBe(true);
    }
    expect(readFileSync(path, "utf8")).toBe("");
  });

  it("keeps the newest maxFiles pieces of a burst larger than maxSize × maxFiles", () => {
    const path = join(dir, "burst.log");
    writeFileSync(`${path}.1`, "older\n");
    const content = lines(1, 100_000); // about 1.1 MB
    writeFileSync(path, content);
    expect(rotateLog(path, 100_000, 3)).toBe(true);
    const kept = [3, 2, 1].map((n) => readFileSync(`${path}.${n}`, "utf8")).join("");
    expect(content.endsWith(kept)).toBe(true);
    expect(kept.length).toBeGreaterThan(250_000);
    expect(existsSync(`${path}.4`)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes("piece"))).toEqual([]);
  });

  it("rotates a log a little over maxSize as one file", () => {
    const path = join(dir, "a.log");
    writeFileSync(path, "x".repeat(1000) + "\n");
    expect(rotateLog(path, 900, 3)).toBe(true);
    expect(readFileSync(`${path}.1`, "utf8")).toHaveLength(1001);
    expect(existsSync(`${path}.2`)).toBe(false);
  });

  it("with maxFiles 0 only truncates", () => {
    const path = join(dir, "a.log");
    writeFileSync(path, "x".repeat(100));
    expect(rotateLog(path, 10, 0)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("");
    expect(existsSync(`${path}.1`)).toBe(false);
  });
});

describe("listLogs", () => {
  it("lists instance logs by release then instance, skipping rotated files and strays", () => {
    for (const [release, id] of [
      [10, "r10-1"],
      [2, "r2-10"],
      [2, "r2-2"],
    ] as const) {
      mkdirSync(join(dir, String(release)), { recursive: true });
      writeFileSync(logPath(dir, release, id), "");
    }
    writeFileSync(`${logPath(dir, 2, "r2-2")}.1`, "");
    mkdirSync(join(dir, "tmp"));
    expect(listLogs(dir)).toEqual([
      { releaseId: 2, instanceId: "r2-2", path: join(dir, "2", "r2-2.log") },
      { releaseId: 2, instanceId: "r2-10", path: join(dir, "2", "r2-10.log") },
      { releaseId: 10, instanceId: "r10-1", path: join(dir, "10", "r10-1.log") },
    ]);
  });

  it("returns [] when the directory does not exist", () => {
    expect(listLogs(join(dir, "missing"))).toEqual([]);
  });
});

describe("tailFile", () => {
  it("returns the last lines, a final line without newline included", async () => {
    const path = join(dir, "a.log");
    writeFileSync(path, lines(1, 10) + "partial");
    expect(await tailFile(path, 3)).toEqual(["line 9", "line 10", "partial"]);
    expect(await tailFile(path, 0)).toEqual([]);
    expect(await tailFile(path, 100)).toHaveLength(11);
  });

  it("reads on into rotated files when the current one is short", async () => {
    const path = join(dir, "a.log");
    writeFileSync(`${path}.2`, lines(1, 5));
    writeFileSync(`${path}.1`, lines(6, 8));
    writeFileSync(path, lines(9, 10));
    expect(await tailFile(path, 4)).toEqual(["line 7", "line 8", "line 9", "line 10"]);
    expect(await tailFile(path, 100)).toEqual(lines(1, 10).trimEnd().split("\n"));
  });

  it("reads files larger than one chunk from the end", async () => {
    const path = join(dir, "big.log");
    writeFileSync(path, lines(1, 20_000));
    expect(await tailFile(path, 2)).toEqual(["line 19999", "line 20000"]);
    expect(await tailFile(path, 15_000)).toHaveLength(15_000);
  });

  it("returns [] for a missing file", async () => {
    expect(await tailFile(join(dir, "missing.log"), 5)).toEqual([]);
  });
});

describe("followFile", () => {
  async function follow(path: string, fromStart = false) {
    const seen: string[] = [];
    const ac = new AbortController();
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    const done = followFile(path, (l) => seen.push(...l), ac.signal, fromStart, started);
    await ready; // it has read the starting size: a line written now is new (a fixed sleep lost one under load)
    const until = async (count: number) => {
      for (let i = 0; i < 100 && seen.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      return seen;
    };
    return { seen, until, stop: () => (ac.abort(), done) };
  }

  it("reports complete lines appended after it starts, and stops on abort", async () => {
    const path = join(dir, "a.log");
    writeFileSync(path, "old\n");
    const f = await follow(path);
    appendFileSync(path, "new 1\nnew 2\nhalf");
    expect(await f.until(2)).toEqual(["new 1", "new 2"]);
    appendFileSync(path, " done\n");
    expect(await f.until(3)).toEqual(["new 1", "new 2", "half done"]);
    await f.stop();
  });

  it.each([
    ["a copytruncate rotation", 5, 10, 2],
    ["a rotation that cut a burst into several files", 30_000, 100_000, 5],
  ])("continues across %s without losing lines", async (_, last, maxSize, maxFiles) => {
    const path = join(dir, "a.log");
    const expected = (to: number) => lines(4, to).trimEnd().split("\n");
    writeFileSync(path, lines(1, 3));
    const f = await follow(path);
    appendFileSync(path, lines(4, last));
    rotateLog(path, maxSize, maxFiles);
    appendFileSync(path, lines(last + 1, last + 2));
    expect(await f.until(last - 1)).toEqual(expected(last + 2));
    appendFileSync(path, lines(last + 3, last + 3));
    expect(await f.until(last)).toEqual(expected(last + 3));
    await f.stop();
  });

  it("with fromStart, reports the lines already there too", async () => {
    const path = join(dir, "new.log");
    writeFileSync(path, "first\nsecond\n");
    const f = await follow(path, true);
    appendFileSync(path, "third\n");
    expect(await f.until(3)).toEqual(["first", "second", "third"]);
    await f.stop();
  });

  it("follows a file that does not exist yet", async () => {
    const path = join(dir, "later.log");
    const f = await follow(path);
    writeFileSync(path, "first\n");
    expect(await f.until(1)).toEqual(["first"]);
    await f.stop();
  });
});
