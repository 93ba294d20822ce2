import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify } from "yaml";
import { parseConfig } from "../src/config/load.js";

const page = readFileSync(new URL("../docs/analysis.md", import.meta.url), "utf8");
const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** A whole slipway.yaml around a docs fragment; a bare `analysis:` goes into a canary step. */
function wrap(fragment: string): string {
  const part = parseYaml(fragment) as Record<string, unknown>;
  const base: Record<string, unknown> = { name: "hello", app: { command: "node server.js" } };
  if ("analysis" in part) return stringify({ ...base, strategy: { type: "canary", canary: { steps: [part] } } });
  return stringify({ ...base, ...part });
}

describe("docs/analysis.md", () => {
  it("has YAML examples", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(blocks.map((b, i) => [i, b] as const))("example %i is a valid slipway.yaml", (_i, block) => {
    expect(() => parseConfig(wrap(block), { file: "slipway.yaml", root: "/srv/hello" })).not.toThrow();
  });

  it("normalizes percentages to fractions", () => {
    const { config } = parseConfig(wrap(blocks[0]!), { file: "slipway.yaml", root: "/srv/hello" });
    expect(config.strategy.canary?.analysis).toMatchObject({
      interval: 10_000,
      window: 60_000,
      maxErrorRate: 0.02,
      compareToStable: 0.005,
    });
  });
});
