import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { IgnoreList } from "../src/release/ignore.js";
import { snapshotRelease } from "../src/release/snapshot.js";

it("matches .slipwayignore patterns gitignore-style", () => {
  const i = new IgnoreList(["*.log", "/tmp", "docs/draft/", "secret?.txt"]);
  expect(["a.log", "x/b.log", "tmp", "docs/draft", "secret1.txt", ".git", "sub/.slipway"].every((p) => i.ignores(p))).toBe(true);
  expect(["a.txt", "x/tmp", "docs", "secret12.txt", "server.js"].some((p) => i.ignores(p))).toBe(false);
});

it("snapshots the app dir without .slipway, .git and ignored files", () => {
  const src = mkdtempSync(join(tmpdir(), "slipway-snap-"));
  try {
    writeFileSync(join(src, "server.js"), "x");
    writeFileSync(join(src, ".slipwayignore"), "# comment\n*.log\n");
    writeFileSync(join(src, "debug.log"), "x");
    mkdirSync(join(src, ".git"));
    mkdirSync(join(src, ".slipway/releases"), { recursive: true });
    mkdirSync(join(src, "lib"));
    writeFileSync(join(src, "lib/a.js"), "x");
    const dest = join(src, ".slipway/releases/1");
    snapshotRelease(src, dest);
    expect(existsSync(join(dest, "server.js"))).toBe(true);
    expect(existsSync(join(dest, "lib/a.js"))).toBe(true);
    expect(existsSync(join(dest, "debug.log"))).toBe(false);
    expect(existsSync(join(dest, ".git"))).toBe(false);
    expect(existsSync(join(dest, ".slipway"))).toBe(false);
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
});
