import { afterEach, describe, expect, it } from "vitest";
import { register as globalRegistry } from "prom-client";
import { MetricsExporter } from "../src/metrics/prometheus.js";
import { SlipwayError } from "../src/errors.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the Prometheus text exposition format (enough for our metrics). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = find(samples, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
};

let exporter: MetricsExporter | null = null;
afterEach(async () => {
  await exporter?.close();
  exporter = null;
});

async function serve() {
  exporter = new MetricsExporter();
  const address = await exporter.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://${address.host}:${address.port}`;
  const scrape = async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(await res.text());
  };
  return { exporter, address, base, scrape };
}

describe("MetricsExporter", () => {
  it("serves request counts and durations per release over HTTP", async () => {
    const { exporter, scrape } = await serve();
    for (let i = 0; i < 9; i++) exporter.observe(2, 200, 12);
    exporter.observe(2, 503, 2500);
    exporter.observe(2, 404, 3);
    exporter.observe(1, 200, 0.5);
    const s = await scrape();
    expect(value(s, "slipway_requests_total", { release: "2", code_class: "2xx" })).toBe(9);
    expect(value(s, "slipway_requests_total", { release: "2", code_class: "5xx" })).toBe(1);
    expect(value(s, "slipway_requests_total", { release: "2", code_class: "4xx" })).toBe(1);
    expect(value(s, "slipway_requests_total", { release: "2", code_class: "1xx" })).toBe(0);
    expect(value(s, "slipway_requests_total", { release: "1", code_class: "2xx" })).toBe(1);
    expect(value(s, "slipway_request_duration_seconds_count", { release: "2" })).toBe(11);
    expect(value(s, "slipway_request_duration_seconds_sum", { release: "2" })).toBeCloseTo(9 * 0.012 + 2.5 + 0.003, 9);
    expect(value(s, "slipway_request_duration_seconds_bucket", { release: "2", le: "0.025" })).toBe(10);
    expect(value(s, "slipway_request_duration_seconds_bucket", { release: "2", le: "2.5" })).toBe(11);
    expect(value(s, "slipway_request_duration_seconds_bucket", { release: "2", le: "+Inf" })).toBe(11);
    expect(value(s, "slipway_request_duration_seconds_bucket", { release: "1", le: "0.001" })).toBe(1);
    expect(value(s, "slipway_rollout_in_progress")).toBe(0);
  });

  it("answers 404 for anything but GET /metrics", async () => {
    const { base } = await serve();
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/metricsx"],
      ["POST", "/metrics"],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      await res.text();
    }
    const withQuery = await fetch(`${base}/metrics?x=1`);
    expect(withQuery.status).toBe(200);
    await withQuery.text();
  });

  it("replaces traffic weights, dropping releases no longer routed", async () => {
    const { exporter, scrape } = await serve();
    exporter.setWeights({ "1": 90, "2": 10 });
    let s = await scrape();
    expect(value(s, "slipway_traffic_weight", { release: "1" })).toBe(90);
    expect(value(s, "slipway_traffic_weight", { release: "2" })).toBe(10);
    exporter.setWeights({ "2": 100 });
    s = await scrape();
    expect(find(s, "slipway_traffic_weight")).toEqual([{ name: "slipway_traffic_weight", labels: { release: "2" }, value: 100 }]);
  });

  it("shows only the current rollout phase", async () => {
    const { exporter, scrape } = await serve();
    exporter.setRolloutState({ release: 2, strategy: "canary", phase: "progressing" });
    let s = await scrape();
    expect(find(s, "slipway_rollout_phase")).toEqual([
      { name: "slipway_rollout_phase", labels: { release: "2", strategy: "canary", phase: "progressing" }, value: 1 },
    ]);
    expect(value(s, "slipway_rollout_in_progress")).toBe(1);
    exporter.setRolloutState({ release: 2, strategy: "canary", phase: "paused" });
    s = await scrape();
    expect(find(s, "slipway_rollout_phase").map((x) => x.labels.phase)).toEqual(["paused"]);
    exporter.setRolloutState(null);
    s = await scrape();
    expect(find(s, "slipway_rollout_phase")).toEqual([]);
    expect(value(s, "slipway_rollout_in_progress")).toBe(0);
  });

  it("forgets a retired release's series", async () => {
    const { exporter, scrape } = await serve();
    exporter.observe(1, 200, 5);
    exporter.observe(2, 200, 5);
    exporter.forget(1);
    const s = await scrape();
    expect(find(s, "slipway_requests_total", { release: "1" })).toEqual([]);
    expect(find(s, "slipway_request_duration_seconds_count", { release: "1" })).toEqual([]);
    expect(value(s, "slipway_requests_total", { release: "2", code_class: "2xx" })).toBe(1);
    exporter.observe(1, 500, 5); // a forgotten release may come back
    expect(value(parse(await exporter.text()), "slipway_requests_total", { release: "1", code_class: "5xx" })).toBe(1);
  });

  it("uses its own registry, never prom-client's global one", async () => {
    const a = new MetricsExporter();
    const b = new MetricsExporter(); // a second one does not clash
    a.observe(1, 200, 1);
    expect(value(parse(await b.text()), "slipway_rollout_in_progress")).toBe(0);
    expect(find(parse(await b.text()), "slipway_requests_total")).toEqual([]);
    expect(await globalRegistry.metrics()).not.toContain("slipway_");
  });

  it("rejects a busy port with CONFIG_INVALID and a hint", async () => {
    const { address } = await serve();
    const err = await new MetricsExporter().listen(address).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err).toMatchObject({ code: "CONFIG_INVALID", hint: expect.stringContaining("metrics.listen") });
  });

  it("refuses to listen twice", async () => {
    const { exporter } = await serve();
    await expect(exporter.listen({ host: "127.0.0.1", port: 0 })).rejects.toThrow(/already listening/);
  });

  it("closes idempotently", async () => {
    const { exporter } = await serve();
    await exporter.close();
    await exporter.close();
    await new MetricsExporter().close();
  });
});
