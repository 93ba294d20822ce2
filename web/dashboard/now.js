// @ts-check
import { act, get } from "./api.js";
import { timeChart } from "./charts.js";
import { byId, confirmAction, h, notice, table } from "./dom.js";
import { age, percent, shortCommit, time } from "./format.js";

/** @typedef {any} Status (DaemonStatus, src/daemon/status.ts) */
/** @typedef {{ id: number; at: number; type: string; rolloutId: number | null; releaseId: number | null; message: string; data: any }} LedgerEvent */

/** The "Now" page: current release, rollout with its steps and actions, traffic split, analysis charts, instances. */
export class NowPage {
  /** @type {Status} */
  status = null;
  /** @type {Map<number, any>} release id → release (version, commit) */
  releases = new Map();
  /** @type {number | null} the rollout whose analysis is charted */
  chartedRollout = null;
  /** @type {LedgerEvent[]} */
  measurements = [];
  charts = {
    errors: timeChart(
      byId("chart-errors"),
      [
        { label: "canary", color: "--canary" },
        { label: "stable", color: "--stable" },
        { label: "limit", color: "--bad", dash: true },
      ],
      { yFormat: (v) => v.toFixed(2) },
    ),
    latency: timeChart(
      byId("chart-latency"),
      [
        { label: "canary p95", color: "--canary" },
        { label: "canary p99", color: "--warn" },
        { label: "stable p95", color: "--stable" },
        { label: "stable p99", color: "--accent" },
        { label: "p95 limit", color: "--bad", dash: true },
        { label: "p99 limit", color: "--bad", dash: true },
      ],
      { yFormat: (v) => v.toFixed(0) },
    ),
    rate: timeChart(
      byId("chart-rate"),
      [
        { label: "canary", color: "--canary" },
        { label: "stable", color: "--stable" },
      ],
      { yFormat: (v) => v.toFixed(1) },
    ),
  };

  constructor() {
    for (const button of byId("rollout-actions").querySelectorAll("button")) {
      button.addEventListener("click", () => void this.#action(/** @type {string} */ (button.dataset.action)));
    }
  }

  /** @param {any[]} releases */
  setReleases(releases) {
    this.releases = new Map(releases.map((r) => [r.id, r]));
    this.#renderCurrent();
  }

  /** @param {Status} status */
  setStatus(status) {
    this.status = status;
    this.#renderCurrent();
    this.#renderRollout();
    this.#renderTraffic();
    this.#renderInstances();
    const rollout = status?.rollout?.id ?? null;
    if (rollout !== null && rollout !== this.chartedRollout) void this.#loadMeasurements(rollout);
  }

  /** @param {LedgerEvent} event */
  onEvent(event) {
    if (event.type === "analysis" && event.rolloutId !== null && event.rolloutId === this.chartedRollout) {
      this.measurements.push(event);
      this.#renderCharts();
    }
  }

  /** @param {number} rollout */
  async #loadMeasurements(rollout) {
    this.chartedRollout = rollout;
    this.measurements = [];
    const events = /** @type {LedgerEvent[]} */ (await get(`/api/events?rollout=${rollout}&type=analysis&limit=2000`));
    if (this.chartedRollout !== rollout) return;
    const seen = new Set(this.measurements.map((e) => e.id));
    this.measurements = [...events.filter((e) => !seen.has(e.id)), ...this.measurements].sort((a, b) => a.at - b.at);
    this.#renderCharts();
  }

  #renderCharts() {
    const m = this.measurements.filter((e) => e.data && e.data.canary);
    byId("analysis-empty").hidden = m.length > 0;
    const charts = byId("analysis-charts");
    if (charts.hidden === m.length > 0) {
      charts.hidden = m.length === 0;
      window.dispatchEvent(new Event("resize")); // drawn while hidden: take the width now
    }
    const xs = m.map((e) => e.at / 1000);
    /** @param {(d: any) => number | null | undefined} f */
    const col = (f) =>
      m.map((e) => {
        const v = f(e.data);
        return v === undefined || v === null || !Number.isFinite(v) ? null : v;
      });
    /** @param {any} w @param {any} d */
    const rate = (w, d) => (w && d.windowMs ? w.requests / (d.windowMs / 1000) : null);
    this.charts.errors.setData(xs, [
      col((d) => d.canary.errorRate * 100),
      col((d) => (d.stable ? d.stable.errorRate * 100 : null)),
      col((d) => ((d.limits?.maxErrorRate ?? null) === null ? null : d.limits.maxErrorRate * 100)),
    ]);
    this.charts.latency.setData(xs, [
      col((d) => d.canary.p95),
      col((d) => d.canary.p99),
      col((d) => d.stable?.p95),
      col((d) => d.stable?.p99),
      col((d) => d.limits?.maxLatency?.p95),
      col((d) => d.limits?.maxLatency?.p99),
    ]);
    this.charts.rate.setData(xs, [col((d) => rate(d.canary, d)), col((d) => rate(d.stable, d))]);
  }

  #renderCurrent() {
    const el = byId("current");
    const c = this.status?.current;
    if (!c) return void el.replaceChildren(h("p", { class: "muted" }, ["No release yet: run slipway deploy."]));
    const r = this.releases.get(c.id);
    el.replaceChildren(
      h("p", { class: "big", "data-testid": "current-version" }, [c.version]),
      h("dl", { class: "kv" }, [
        h("dt", {}, ["release"]),
        h("dd", {}, [String(c.id)]),
        h("dt", {}, ["commit"]),
        h("dd", { title: r?.commit ?? "" }, [shortCommit(r?.commit)]),
        h("dt", {}, ["live since"]),
        h("dd", {}, [c.activatedAt ? `${time(c.activatedAt)} (${age(c.activatedAt)})` : "–"]),
        h("dt", {}, ["replicas"]),
        h("dd", {}, [String(c.replicas)]),
      ]),
    );
  }

  #renderRollout() {
    const el = byId("rollout");
    const r = this.status?.rollout;
    const actions = byId("rollout-actions");
    actions.hidden = !r;
    if (!r) return void el.replaceChildren(h("p", { class: "muted", "data-testid": "no-rollout" }, ["No rollout in progress."]));
    const steps = r.step
      ? h(
          "ol",
          { class: "steps", "aria-label": `step ${r.step.index} of ${r.step.total}` },
          Array.from({ length: r.step.total }, (_, i) =>
            h(
              "li",
              {
                class: i + 1 < r.step.index ? "done" : i + 1 === r.step.index ? "current" : "",
                ...(i + 1 === r.step.index && { "aria-current": "step" }),
              },
              [i + 1 === r.step.index ? `${i + 1}. ${r.step.description}` : String(i + 1)],
            ),
          ),
        )
      : null;
    const a = r.analysis;
    el.replaceChildren(
      h("p", { class: "big" }, [`#${r.id} ${r.kind} to release ${r.release} (${r.version})`]),
      h("dl", { class: "kv" }, [
        h("dt", {}, ["strategy"]),
        h("dd", {}, [r.strategy]),
        h("dt", {}, ["phase"]),
        h("dd", { "data-testid": "rollout-phase" }, [r.phase]),
        h("dt", {}, ["step"]),
        h("dd", { "data-testid": "rollout-step" }, [r.step ? `${r.step.index}/${r.step.total}: ${r.step.description}` : "–"]),
        h("dt", {}, ["canary weight"]),
        h("dd", { "data-testid": "rollout-weight" }, [r.weight === null ? "–" : `${r.weight}%`]),
        h("dt", {}, ["by"]),
        h("dd", {}, [`${r.holder}, ${age(r.startedAt)}`]),
        r.pausedReason && h("dt", {}, ["paused"]),
        r.pausedReason && h("dd", { "data-testid": "paused-reason" }, [r.pausedReason]),
        a && h("dt", {}, ["analysis"]),
        a &&
          h("dd", {}, [
            `${a.label} #${a.n}: ${a.verdict}${a.reasons.length ? ` (${a.reasons.join("; ")})` : ""}; errors ${percent(a.canary.errorRate)} canary${a.stable ? `, ${percent(a.stable.errorRate)} stable` : ""}`,
          ]),
        r.previewUrl && h("dt", {}, ["preview"]),
        r.previewUrl && h("dd", {}, [r.previewUrl]),
      ]),
      ...(steps ? [steps] : []),
    );
    const progressive = r.strategy !== "rolling";
    const paused = r.phase === "paused";
    /** @type {Record<string, boolean>} */
    const enabled = { promote: progressive, "promote-full": progressive, pause: progressive && !paused, resume: paused, abort: true };
    for (const b of actions.querySelectorAll("button")) b.disabled = !enabled[/** @type {string} */ (b.dataset.action)];
  }

  #renderTraffic() {
    const el = byId("traffic");
    const t = this.status?.traffic;
    const groups = (t?.groups ?? []).filter((/** @type {any} */ g) => g.targets.length > 0 || g.weight > 0);
    if (!t || groups.length === 0) return void el.replaceChildren(h("p", { class: "muted" }, ["No traffic routed yet."]));
    const total = groups.reduce((/** @type {number} */ s, /** @type {any} */ g) => s + g.weight, 0) || 1;
    const current = this.status.current?.id ?? null;
    /** @type {{ kind: string; share: number; name: string; weight: number; release: number | null }[]} */
    const shares = groups.map((/** @type {any} */ g) => {
      const release = releaseOfTargets(g.targets);
      const version =
        release === null
          ? ""
          : (this.releases.get(release)?.version ??
            this.status.instances.find((/** @type {any} */ i) => i.release === release)?.version ??
            "");
      const kind = release !== null && release !== current ? "canary" : "stable";
      const share = Math.round((g.weight / total) * 1000) / 10;
      const name = release === null ? g.name : `release ${release}${version ? ` (${version})` : ""}`;
      return { kind, share, name, weight: g.weight, release };
    });
    let bar = el.querySelector(".bar");
    if (!bar || bar.children.length !== shares.length) {
      bar = h(
        "div",
        { class: "bar", role: "img", "data-testid": "traffic-bar" },
        shares.map(() => h("div")),
      );
      el.replaceChildren(bar, h("div", { class: "legend" }));
    }
    /** @type {Element} */ (bar).setAttribute("aria-label", shares.map((s) => `${s.name}: ${s.share}%`).join(", "));
    shares.forEach((s, i) => {
      const seg = /** @type {HTMLElement} */ (/** @type {Element} */ (bar).children[i]);
      seg.className = s.kind;
      seg.style.flexGrow = String(s.share);
      seg.dataset.release = String(s.release ?? "");
      seg.dataset.share = String(s.share);
      seg.textContent = s.share >= 8 ? `${s.share}%` : "";
    });
    const legend = /** @type {HTMLElement} */ (el.querySelector(".legend"));
    legend.replaceChildren(
      ...shares.map((s) =>
        h("span", { "data-testid": `share-${s.kind}` }, [h("span", { class: `swatch ${s.kind}` }), `${s.name}: ${s.share}%`]),
      ),
      h("span", {}, [`${t.requests} requests routed`]),
    );
  }

  #renderInstances() {
    const list = this.status?.instances ?? [];
    const el = byId("instances");
    if (list.length === 0) return void el.replaceChildren(h("p", { class: "muted" }, ["No instances."]));
    const ejected = new Set(this.status?.traffic?.ejected ?? []);
    el.replaceChildren(
      table(
        ["Instance", "Release", "State", "Health", "In rotation", "Restarts", "Last failure"],
        list.map((/** @type {any} */ i) => ({
          cells: [
            i.id,
            `${i.release} (${i.version})`,
            i.state,
            h("span", { class: /ready|healthy|ok/.test(i.health) ? "health-ok" : /fail|unhealthy/.test(i.health) ? "health-bad" : "" }, [
              i.health || "–",
            ]),
            ejected.has(i.id) ? "ejected (refused connections)" : i.inRotation ? "yes" : "no",
            String(i.restarts),
            i.lastFailure ? `${i.lastFailure.reason} (${age(i.lastFailure.at)})` : "–",
          ],
        })),
        "Instances",
      ),
    );
  }

  /** @param {string} name */
  async #action(name) {
    const r = this.status?.rollout;
    if (!r) return;
    const previous = this.status.current ? `release ${this.status.current.id} (${this.status.current.version})` : "the previous release";
    const target = `release ${r.release} (${r.version})`;
    /** @type {Record<string, [string, string, string, Record<string, unknown>]>} */
    const what = {
      promote: ["Promote one step", `Rollout #${r.id} moves ${target} to its next step: it gets more traffic now.`, "promote", {}],
      "promote-full": [
        "Promote fully",
        `${target} takes 100% of traffic now; the remaining steps and analysis of rollout #${r.id} are skipped.`,
        "promote",
        { full: true },
      ],
      pause: ["Pause", `Rollout #${r.id} holds at its current weight until you resume it.`, "pause", {}],
      resume: ["Resume", `Rollout #${r.id} continues from where it paused.`, "resume", {}],
      abort: [
        "Abort",
        `All traffic goes back to ${previous}, and ${target}'s instances are stopped. Rollout #${r.id} ends as aborted.`,
        "abort",
        {},
      ],
    };
    const [title, text, action, body] = what[name] ?? [];
    if (!title || !(await confirmAction(title, /** @type {string} */ (text)))) return;
    notice(`${title}: sent…`);
    try {
      await act(/** @type {string} */ (action), body);
      notice(`${title}: done (rollout #${r.id}).`, "ok");
    } catch (err) {
      notice(`${title} failed: ${/** @type {Error} */ (err).message}`, "bad");
    }
  }
}

/**
 * The release a group's targets belong to: instance ids are r<release>-<n>.
 * @param {string[]} targets
 * @returns {number | null}
 */
function releaseOfTargets(targets) {
  for (const t of targets) {
    const m = /^r(\d+)-/.exec(t);
    if (m) return Number(m[1]);
  }
  return null;
}
