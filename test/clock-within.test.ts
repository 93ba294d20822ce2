import { describe, expect, it } from "vitest";
import { within } from "../src/clock.js";
import { FakeClock } from "./support/fake-clock.js";

describe("within", () => {
  it("is true when the promise settles before the bound, and clears its timer", async () => {
    const clock = new FakeClock();
    let resolve!: () => void;
    const waited = within(clock, 15_000, new Promise<void>((r) => (resolve = r)));
    await clock.advance(14_000);
    resolve();
    expect(await waited).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it("is false at the bound when the promise never settles", async () => {
    const clock = new FakeClock();
    const waited = within(clock, 15_000, new Promise<void>(() => undefined));
    await clock.advance(15_000);
    expect(await waited).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it("passes a rejection on and still clears its timer", async () => {
    const clock = new FakeClock();
    await expect(within(clock, 15_000, Promise.reject(new Error("api down")))).rejects.toThrow("api down");
    expect(clock.pending).toBe(0);
  });
});
