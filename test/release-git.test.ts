import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { systemClock } from "../src/clock.js";
import { Ledger } from "../src/ledger/ledger.js";
import { gitRevision } from "../src/release/version.js";
import { minimalRelease } from "./support/delivery-timeline.js";
import { RolloutHarness } from "./support/rollout-harness.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-git-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Seconds since the epoch of a time on 1 November 2026, UTC. */
const at = (hour: number) => Date.UTC(2026, 10, 1, hour) / 1000;

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
}

/** A commit with a fixed committer time (and author time) in `dir`: its sha. */
function commit(file: string, committedAt: number, repo = dir): string {
  writeFileSync(join(repo, file), file);
  execFileSync("git", ["add", file], { cwd: repo });
  execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", file], {
    cwd: repo,
    env: { ...process.env, GIT_COMMITTER_DATE: `${committedAt} +0000`, GIT_AUTHOR_DATE: `${committedAt - 3600} +0000` },
  });
  return execFileSync("git", ["rev-parse", "HEAD"], { cwd: repo, encoding: "utf8" }).trim();
}

describe("the git commit a release records", () => {
  it("is HEAD with its committer time, and the commits since the live release's commit, newest first", async () => {
    git("init", "-q");
    const first = commit("a", at(8));
    commit("b", at(9));
    commit("c", at(10));
    const head = commit("d", at(11));
    expect(await gitRevision(dir, first)).toEqual({
      commit: head,
      committedAt: at(11) * 1000,
      changes: [at(11), at(10), at(9)].map((s) => s * 1000),
    });
    // the same commit again: nothing new
    expect(await gitRevision(dir, head)).toEqual({ commit: head, committedAt: at(11) * 1000, changes: [] });
    // no live release: HEAD only
    expect(await gitRevision(dir, null)).toEqual({ commit: head, committedAt: at(11) * 1000, changes: [at(11) * 1000] });
    // a file named HEAD in the work tree does not confuse the revision
    writeFileSync(join(dir, "HEAD"), "x");
    expect((await gitRevision(dir, first))?.changes).toHaveLength(3);
  });

  it("is HEAD only when the repository does not know the live commit (or it is not a commit id)", async () => {
    git("init", "-q");
    commit("a", at(8));
    const head = commit("b", at(9));
    const only = { commit: head, committedAt: at(9) * 1000, changes: [at(9) * 1000] };
    expect(await gitRevision(dir, "0123456789abcdef0123456789abcdef01234567")).toEqual(only);
    expect(await gitRevision(dir, "--output=/tmp/x")).toEqual(only);
  });

  it("is null outside a git work tree, and in a repository without commits", async () => {
    expect(await gitRevision(dir, null)).toBeNull();
    git("init", "-q");
    expect(await gitRevision(dir, null)).toBeNull();
  });

  it("is recorded by a deploy: HEAD, and the commits since the live release's", async () => {
    const h = await RolloutHarness.create();
    try {
      const app = join(h.dir, "app");
      execFileSync("git", ["init", "-q"], { cwd: app });
      const v1 = commit("a", at(8), app);
      await h.deployed(h.config(), "v1");
      commit("b", at(9), app);
      const v2 = commit("c", at(10), app);
      await h.deployed(h.config(), "v2");
      expect(h.release(1).git).toEqual({ commit: v1, committedAt: at(8) * 1000, changes: [at(8) * 1000] });
      expect(h.release(2).git).toEqual({ commit: v2, committedAt: at(10) * 1000, changes: [at(10) * 1000, at(9) * 1000] });
    } finally {
      await h.close();
    }
  });

  it("is kept by the ledger (migration 5), null when there was none", () => {
    const ledger = Ledger.open(join(dir, "ledger.db"), systemClock);
    const withGit = ledger.createRelease(minimalRelease("v1"));
    const without = ledger.createRelease(minimalRelease("v2"));
    ledger.setGit(withGit.id, { commit: "ab".repeat(20), committedAt: 5_000, changes: [5_000, 4_000] });
    ledger.setGit(without.id, null);
    expect(ledger.release(withGit.id)?.git).toEqual({ commit: "ab".repeat(20), committedAt: 5_000, changes: [5_000, 4_000] });
    expect(ledger.release(without.id)?.git).toBeNull();
    ledger.close();
  });
});
