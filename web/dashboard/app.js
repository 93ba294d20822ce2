// @ts-check
import { get } from "./api.js";
import { byId, notice } from "./dom.js";
import { MetricsPage } from "./metrics.js";
import { NowPage } from "./now.js";
import { ReleasesPage } from "./releases.js";

/**
 * The dashboard page: three views switched by the URL's hash (#now, #releases, #metrics), fed by
 * one Server-Sent Events stream (/api/stream: status, ledger events, whether the daemon answers).
 */
const now = new NowPage();
const releases = new ReleasesPage();
const metrics = new MetricsPage();
releases.onReleases = (/** @type {any[]} */ list) => now.setReleases(list);

function showPage() {
  const page = (location.hash || "#now").slice(1);
  const known = ["now", "releases", "metrics"].includes(page) ? page : "now";
  for (const section of document.querySelectorAll("main > section"))
    /** @type {HTMLElement} */ (section).hidden = section.getAttribute("data-page") !== known;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("data-page") === known) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  window.dispatchEvent(new Event("resize")); // charts drawn while hidden take their width now
  if (known === "metrics") void metrics.load().catch((err) => notice(`Delivery metrics: ${err.message}`, "bad"));
}

/** @param {boolean} connected */
function showConnection(connected) {
  const el = byId("connection");
  el.textContent = connected ? "live" : "daemon not answering: reconnecting…";
  el.classList.toggle("down", !connected);
  el.dataset.connected = String(connected);
}

function connect() {
  const stream = new EventSource("/api/stream");
  stream.addEventListener("status", (e) => {
    const status = JSON.parse(/** @type {MessageEvent} */ (e).data);
    now.setStatus(status);
    releases.setStatus(status);
  });
  stream.addEventListener("event", (e) => {
    const event = JSON.parse(/** @type {MessageEvent} */ (e).data);
    now.onEvent(event);
    releases.onEvent(event);
    metrics.onEvent(event);
  });
  stream.addEventListener("daemon", (e) => showConnection(JSON.parse(/** @type {MessageEvent} */ (e).data).connected));
  stream.addEventListener("error", () => {
    showConnection(false);
    // A closed stream that will not reconnect means the session or the dashboard is gone.
    if (stream.readyState === EventSource.CLOSED)
      notice("The dashboard stopped or the session ended: run slipway dashboard for a new link.", "bad");
  });
}

window.addEventListener("hashchange", showPage);
showPage();
connect();
get("/api/state")
  .then((state) => {
    if (state.status) {
      now.setStatus(state.status);
      releases.setStatus(state.status);
    }
  })
  .catch((err) => notice(err.message, "bad"));
void releases.load().catch((err) => notice(`Releases: ${err.message}`, "bad"));
