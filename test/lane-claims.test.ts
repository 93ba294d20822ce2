import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { claimPortBase, processIdentity } from "./support/ports.js";

// Bases no real test uses, so this test never takes a lane from a running swarm test.
const BASES = [61000, 62000];
const claim = (base: number) => join(tmpdir(), "slipway-test-lanes", String(base));

describe("swarm port lanes claimed per test process", () => {
  const children: { kill: () => void }[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
    for (const b of BASES) rmSync(claim(b), { force: true });
  });

  it("skips a base a live process holds and takes over one whose claimant is gone, even when its pid was reused", () => {
    const sleeper = spawn("sleep", ["30"]);
    children.push(sleeper);
    const first = BASES[process.pid % BASES.length]!;
    const other = BASES.find((b) => b !== first)!;
    writeFileSync(claim(first), processIdentity(sleeper.pid!)); // a live claimant
    writeFileSync(claim(other), `${sleeper.pid} 1`); // the same pid, but another process's start time: gone
    expect(claimPortBase(BASES)).toBe(other);
    expect(readFileSync(claim(other), "utf8")).toBe(processIdentity(process.pid));
  });

  it("says so when every base is held", () => {
    const sleeper = spawn("sleep", ["30"]);
    children.push(sleeper);
    for (const b of BASES) writeFileSync(claim(b), processIdentity(sleeper.pid!));
    expect(() => claimPortBase(BASES)).toThrow("every swarm port base of 61000, 62000 is claimed by a live test process");
  });

  it("gives a process the base it already holds, whatever the list's order", () => {
    const second = BASES.find((b) => b !== BASES[process.pid % BASES.length])!;
    writeFileSync(claim(second), processIdentity(process.pid)); // held from an earlier file of this worker
    expect(claimPortBase(BASES)).toBe(second);
    expect(claimPortBase([...BASES].reverse())).toBe(second);
  });
});
