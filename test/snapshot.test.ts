import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

it("snapshots the app dir without .slipway, .git and ignored files", async () => {
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
    await snapshotRelease(src, dest);
    expect(existsSync(join(dest, "server.js"))).toBe(true);
    expect(existsSync(join(dest, "lib/a.js"))).toBe(true);
    expect(existsSync(join(dest, "debug.log"))).toBe(false);
    expect(existsSync(join(dest, ".git"))).toBe(false);
    expect(existsSync(join(dest, ".slipway"))).toBe(false);
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
});

it("anchors node_modules links that point outside the app, keeps inside links relative", async () => {
  const root = mkdtempSync(join(tmpdir(), "slipway-snap-"));
  try {
    const app = join(root, "app");
    mkdirSync(join(app, "node_modules/@scope"), { recursive: true });
    mkdirSync(join(root, "lib"));
    writeFileSync(join(root, "lib/index.js"), "x");
    writeFileSync(join(app, "server.js"), "x");
    symlinkSync("../../lib", join(app, "node_modules/lib")); // like npm's file: dependency
    symlinkSync("../../../lib", join(app, "node_modules/@scope/lib"));
    symlinkSync("server.js", join(app, "main.js")); // inside the app
    const dest = join(app, ".slipway/releases/1");
    await snapshotRelease(app, dest);
    expect(readlinkSync(join(dest, "node_modules/lib"))).toBe(join(root, "lib"));
    expect(readlinkSync(join(dest, "node_modules/@scope/lib"))).toBe(join(root, "lib"));
    expect(existsSync(join(dest, "node_modules/lib/index.js"))).toBe(true);
    expect(readlinkSync(join(dest, "main.js"))).toBe("server.js");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
