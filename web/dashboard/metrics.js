// @ts-check
import { get } from "./api.js";
import { timeChart } from "./charts.js";
import { byId, h } from "./dom.js";
import { duration, percent } from "./format.js";

const DAY = 24 * 60 * 60 * 1000;

/** The "Delivery metrics" page: DORA's Four Keys and rework rate from the ledger (`GET /v1/stats`, as `slipway stats`). */
export class MetricsPage {
  charts = {
    deploys: timeChart(
      byId("chart-deploys"),
      [
        { label: "succeeded", color: "--ok", bars: true, align: -1 },
        { label: "failed", color: "--bad", bars: true, align: 1 },
      ],
      { yFormat: (v) => v.toFixed(0) },
    ),
    lead: timeChart(byId("chart-lead"), [{ label: "median", color: "--accent" }], { yFormat: (v) => v.toPrecision(2) }),
    cfr: timeChart(byId("chart-cfr"), [{ label: "change failure rate", color: "--bad" }], { yFormat: (v) => v.toFixed(0) }),
    ttr: timeChart(byId("chart-ttr"), [{ label: "median", color: "--warn" }], { yFormat: (v) => v.toPrecision(2) }),
  };
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  refreshTimer;

  constructor() {
    const form = /** @type {HTMLFormElement} */ (byId("metrics-filter"));
    form.addEventListener("submit", (e) => e.preventDefault());
    form.addEventListener("change", () => void this.load());
  }

  /** A rollout ended: the figures change. @param {any} event */
  onEvent(event) {
    if (!/^rollout\.(succeeded|failed|aborted|rolled-back)$/.test(event.type)) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.load().catch(() => undefined), 500);
  }

  async load() {
    const form = new FormData(/** @type {HTMLFormElement} */ (byId("metrics-filter")));
    const days = Number.parseInt(String(form.get("since") ?? "30d"), 10);
    const until = Date.now();
    const q = new URLSearchParams({ since: String(until - days * DAY), until: String(until), bucket: String(form.get("bucket") ?? "day") });
    const s = await get(`/api/stats?${q}`);
    const tile = (/** @type {string} */ id, /** @type {string} */ label, /** @type {string} */ value, /** @type {string} */ detail) =>
      h("div", { class: "tile", "data-metric": id }, [
        h("div", { class: "label" }, [label]),
        h("div", { class: "value" }, [value]),
        h("div", { class: "label" }, [detail]),
      ]);
    byId("metric-tiles").replaceChildren(
      tile(
        "deployment-frequency",
        "Deployment frequency",
        `${(s.deploymentFrequencyPerDay ?? 0).toFixed(2)}/day`,
        `${s.succeeded} successful of ${s.deploys} deploys`,
      ),
      tile(
        "lead-time",
        "Lead time for changes",
        duration(s.leadTime.median),
        `median of ${s.leadTime.changes} changes; p90 ${duration(s.leadTime.p90)}`,
      ),
      tile("change-failure-rate", "Change failure rate", percent(s.changeFailureRate), `${s.failed} failed changes`),
      tile(
        "time-to-restore",
        "Time to restore",
        duration(s.timeToRestore.median),
        `median of ${s.timeToRestore.restored}; max ${duration(s.timeToRestore.max)}${s.timeToRestore.open ? `; ${s.timeToRestore.open} open` : ""}`,
      ),
      tile("rework-rate", "Rework rate", percent(s.reworkRate), `${s.rollbacks} rollbacks, ${s.redeploys} redeploys`),
    );
    const b = /** @type {any[]} */ (s.buckets);
    const xs = b.map((x) => x.start / 1000);
    /** @param {number | null} v @param {number} unit */
    const per = (v, unit) => (v === null || v === undefined ? null : v / unit);
    this.charts.deploys.setData(xs, [b.map((x) => x.succeeded), b.map((x) => x.failed)]);
    this.charts.lead.setData(xs, [b.map((x) => per(x.leadTimeMedian, 3_600_000))]);
    this.charts.cfr.setData(xs, [b.map((x) => per(x.changeFailureRate, 0.01))]);
    this.charts.ttr.setData(xs, [b.map((x) => per(x.timeToRestoreMedian, 60_000))]);
  }
}
