import { describe, expect, it } from "vitest";
import { readBatch, SampleBatch } from "../src/routerd/sample-batch.js";

describe("the router's sample batches", () => {
  it("carry every sample across the channel: listener, target, status, duration", () => {
    const batch = new SampleBatch();
    const sent = [
      { listener: "public", target: "r1-1", status: 200, durationMs: 1.5 },
      { listener: "public", target: "r2-1", status: 503, durationMs: 0.25 },
      { listener: "preview", target: "r2-1", status: 499, durationMs: 1234.5 },
      { listener: "public", target: "r1-1", status: 502, durationMs: 60_000 },
    ];
    for (const s of sent) batch.add(s.listener, s.target, s.status, s.durationMs);
    expect(batch.size).toBe(4);
    const wire = JSON.parse(JSON.stringify(batch.take())) as ReturnType<SampleBatch["take"]>;
    expect(wire.targets).toEqual([
      ["public", "r1-1"],
      ["public", "r2-1"],
      ["preview", "r2-1"],
    ]);
    expect(readBatch(wire)).toEqual(sent);
    expect(batch.size).toBe(0); // taken: the next batch starts empty
    expect(readBatch(batch.take())).toEqual([]);
  });

  it("counts what does not fit instead of growing", () => {
    const batch = new SampleBatch();
    for (let i = 0; i < 70_000; i++) batch.add("public", `r1-${i % 3}`, 200, 1);
    const wire = batch.take();
    expect(wire.dropped).toBe(70_000 - 65_536);
    expect(readBatch(wire)).toHaveLength(65_536);
  });
});
