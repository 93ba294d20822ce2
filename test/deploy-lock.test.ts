import { describe, expect, it } from "vitest";
import { SlipwayError } from "../src/errors.js";
import { DeployLock } from "../src/daemon/lock.js";
import { FakeClock, settle } from "./support/fake-clock.js";

describe("DeployLock", () => {
  it("refuses a second holder at once, naming the first and how long it has held the lock", async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 4, 3, 0, 0));
    const lock = new DeployLock(clock);
    await lock.acquire("ana@laptop", "deploy of hello", 0);
    await clock.advance(12_000);
    const err = await lock.acquire("bo@ci", "rollback", 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe("LOCK_HELD");
    expect((err as SlipwayError).message).toBe(
      "another rollout holds the deploy lock: deploy of hello, by ana@laptop since 2026-12-04 03:00:00 UTC (12s ago)",
    );
    expect(lock.info).toEqual({ holder: "ana@laptop", what: "deploy of hello", since: Date.UTC(2026, 11, 4, 3, 0, 0), waiting: 0 });
  });

  it("counts the requests waiting for it, hands it over when released, and gives up at the wait's end", async () => {
    const clock = new FakeClock();
    const lock = new DeployLock(clock);
    const releaseFirst = await lock.acquire("a", "deploy of hello", 0);
    const second = lock.acquire("b", "deploy of hello", 60_000);
    const third = lock.acquire("c", "rollback", 1_000).catch((e: unknown) => e);
    await settle();
    expect(lock.info?.waiting).toBe(2);

    await clock.advance(1_000);
    expect(((await third) as SlipwayError).code).toBe("LOCK_HELD");
    expect(lock.info?.waiting).toBe(1);

    releaseFirst();
    await clock.advance(200);
    const releaseSecond = await second;
    expect(lock.info).toMatchObject({ holder: "b", waiting: 0 });
    releaseFirst(); // a stale release does not free the new holder's lock
    expect(lock.info?.holder).toBe("b");
    releaseSecond();
    expect(lock.info).toBeNull();
  });
});
