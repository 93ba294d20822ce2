// @ts-check
/**
 * Charts, drawn by uPlot (about 50 KB, canvas, made for time series), loaded by index.html as
 * /assets/uplot.js. Each chart keeps its data in the element's `data-points` attribute too (the
 * number of x values), which the tests read.
 */

/** @param {string} name */
function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/**
 * @typedef {{ label: string; color: string; dash?: boolean; bars?: boolean; align?: -1 | 1; scale?: string }} SeriesSpec
 * @typedef {{ setData(xs: number[], ys: (number | null)[][]): void }} Chart
 */

/**
 * A time chart (x in seconds since the epoch) with one line (or bar set) per series.
 * @param {HTMLElement} el
 * @param {SeriesSpec[]} series
 * @param {{ yFormat?: (v: number) => string }} [o]
 * @returns {Chart}
 */
export function timeChart(el, series, o = {}) {
  /** @type {any} */
  const U = /** @type {any} */ (globalThis).uPlot;
  const yFormat = o.yFormat ?? ((v) => String(v));
  const axis = { stroke: cssVar("--muted"), grid: { stroke: cssVar("--border"), width: 1 }, ticks: { stroke: cssVar("--border") } };
  const opts = {
    width: Math.max(280, el.clientWidth || 420),
    height: 220,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [axis, { ...axis, values: (/** @type {any} */ _u, /** @type {number[]} */ vals) => vals.map(yFormat) }],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: cssVar(s.color),
        width: s.dash ? 1.5 : 2,
        ...(s.dash && { dash: [6, 4] }),
        ...(s.bars && { fill: cssVar(s.color), paths: U.paths.bars({ size: [0.4, 30], align: s.align ?? 0 }), points: { show: false } }),
        spanGaps: true,
        value: (/** @type {any} */ _u, /** @type {number | null} */ v) => (v === null || v === undefined ? "–" : yFormat(v)),
      })),
    ],
  };
  const plot = new U(opts, [[], ...series.map(() => [])], el);
  window.addEventListener("resize", () => plot.setSize({ width: Math.max(280, el.clientWidth || 420), height: 220 }));
  return {
    setData(xs, ys) {
      el.dataset.points = String(xs.length);
      plot.setData([xs, ...ys]);
    },
  };
}
