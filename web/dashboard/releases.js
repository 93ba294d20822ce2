// @ts-check
import { act, get } from "./api.js";
import { byId, confirmAction, h, notice, table } from "./dom.js";
import { duration, shortCommit, time } from "./format.js";

/** The "Releases" page: every release, filterable; one release's events and logs (tail, follow); rollback and retry. */
export class ReleasesPage {
  /** @type {any[]} */
  releases = [];
  /** @type {any[]} */
  rollouts = [];
  /** @type {number | null} */
  selected = null;
  /** @type {number | null} */
  currentId = null;
  /** @type {EventSource | null} */
  logs = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  refreshTimer;
  /** @type {(releases: any[]) => void} */
  onReleases = () => {};

  constructor() {
    const form = /** @type {HTMLFormElement} */ (byId("release-filter"));
    form.addEventListener("submit", (e) => e.preventDefault());
    form.addEventListener("input", () => this.render());
    byId("logs-follow").addEventListener("change", () => this.selected !== null && this.#openLogs(this.selected));
  }

  async load() {
    const data = await get("/api/releases");
    this.releases = data.releases;
    this.rollouts = data.rollouts;
    this.onReleases(this.releases);
    this.render();
    if (this.selected !== null) this.#renderDetailActions();
  }

  /** A ledger event: the list changes after rollout and release events; the open timeline grows. */
  /** @param {any} event */
  onEvent(event) {
    if (/^(rollout|release|control)/.test(event.type)) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => void this.load().catch(() => undefined), 300);
    }
    if (this.selected !== null && event.releaseId === this.selected) {
      const list = byId("timeline");
      const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
      list.append(timelineItem(event));
      if (atBottom) list.scrollTop = list.scrollHeight;
    }
  }

  /** @param {any} status */
  setStatus(status) {
    const current = status?.current?.id ?? null;
    if (current === this.currentId) return;
    this.currentId = current;
    this.render();
    if (this.selected !== null) this.#renderDetailActions();
  }

  render() {
    const form = /** @type {HTMLFormElement} */ (byId("release-filter"));
    const q = String(new FormData(form).get("q") ?? "")
      .toLowerCase()
      .trim();
    const status = String(new FormData(form).get("status") ?? "");
    const rows = this.releases
      .map((r) => ({ r, first: this.#rolloutsOf(r.id).at(-1), last: this.#rolloutsOf(r.id)[0] }))
      .filter(
        ({ r, first }) =>
          (!status || r.status === status) &&
          (!q ||
            [r.version, r.commit, first?.holder, r.reason, first?.reason, String(r.id)].some(
              (v) => v && String(v).toLowerCase().includes(q),
            )),
      );
    const el = byId("releases-table");
    if (rows.length === 0)
      return void el.replaceChildren(h("p", { class: "muted" }, [this.releases.length ? "No release matches." : "No releases yet."]));
    el.replaceChildren(
      table(
        ["ID", "Version", "Commit", "Status", "Started", "Duration", "Strategy", "Who", "Why it failed or was aborted"],
        rows.map(({ r, first, last }) => ({
          attrs: {
            class: "clickable",
            tabindex: "0",
            "data-release": String(r.id),
            "aria-selected": this.selected === r.id ? "true" : "false",
            onclick: () => void this.open(r.id),
            onkeydown: (/** @type {Event} */ e) => {
              if (/** @type {KeyboardEvent} */ (e).key === "Enter") void this.open(r.id);
            },
          },
          cells: [
            String(r.id),
            r.version,
            h("span", { title: r.commit ?? "" }, [shortCommit(r.commit)]),
            h("span", { class: `status-${r.status}` }, [r.status + (r.id === this.currentId ? " (current)" : "")]),
            time(first?.startedAt ?? r.createdAt),
            first?.endedAt ? duration(first.endedAt - first.startedAt) : first ? "running" : "–",
            first?.strategy ?? "–",
            first?.holder ?? "–",
            r.reason ?? (last && last.status !== "succeeded" ? (last.reason ?? "") : ""),
          ],
        })),
        "Releases",
      ),
    );
  }

  /** @param {number} id newest first */
  #rolloutsOf(id) {
    return this.rollouts.filter((o) => o.releaseId === id && o.kind !== "recover");
  }

  /** @param {number} id */
  async open(id) {
    this.selected = id;
    this.render();
    const r = this.releases.find((x) => x.id === id);
    const detail = byId("release-detail");
    detail.hidden = false;
    byId("release-detail-title").textContent = `Release ${id}${r ? ` (${r.version})` : ""}`;
    this.#renderDetailActions();
    const events = await get(`/api/events?release=${id}&limit=1000`);
    if (this.selected !== id) return;
    byId("timeline").replaceChildren(...events.map(timelineItem));
    this.#openLogs(id);
  }

  /** The selected release's actions, as of the latest list: rollback to it, retry it. */
  #renderDetailActions() {
    const r = this.releases.find((x) => x.id === this.selected);
    const actions = [];
    const newest = this.releases[0];
    if (r && r.runnable && r.id !== this.currentId && r.activatedAt)
      actions.push(
        h("button", { type: "button", class: "danger", onclick: () => void this.#rollback(r) }, [`Roll back to release ${r.id}`]),
      );
    if (r && newest && newest.id === r.id && (r.status === "failed" || r.status === "aborted") && r.runnable)
      actions.push(h("button", { type: "button", onclick: () => void this.#retry(r) }, [`Retry release ${r.id}`]));
    byId("release-detail-actions").replaceChildren(...actions);
  }

  /** @param {number} id */
  #openLogs(id) {
    this.logs?.close();
    const pre = byId("logs");
    pre.textContent = "";
    const follow = /** @type {HTMLInputElement} */ (byId("logs-follow")).checked;
    const es = new EventSource(`/api/logs?release=${id}&lines=200&follow=${follow ? 1 : 0}`);
    this.logs = es;
    es.addEventListener("line", (e) => {
      const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
      pre.append(`${JSON.parse(/** @type {MessageEvent} */ (e).data)}\n`);
      // Keep the view bounded: the oldest lines go past 5,000.
      while (pre.childNodes.length > 5000) pre.firstChild?.remove();
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    });
    es.addEventListener("failure", (e) => pre.append(`(logs: ${JSON.parse(/** @type {MessageEvent} */ (e).data).message})\n`));
    es.addEventListener("end", () => es.close());
  }

  /** @param {any} r */
  async #rollback(r) {
    const current = this.releases.find((x) => x.id === this.currentId);
    const from = current ? `release ${current.id} (${current.version})` : "the current release";
    if (!(await confirmAction("Roll back", `Traffic moves from ${from} to release ${r.id} (${r.version}); ${from} is stopped.`))) return;
    await this.#run(`Rollback to release ${r.id}`, () => act("rollback", { to: r.id }));
  }

  /** @param {any} r */
  async #retry(r) {
    if (!(await confirmAction("Retry", `Release ${r.id} (${r.version}) is deployed again with its strategy, from the start.`))) return;
    await this.#run(`Retry of release ${r.id}`, () => act("retry"));
  }

  /** @param {string} what @param {() => Promise<any>} op */
  async #run(what, op) {
    notice(`${what}: running… (progress on the Now page)`);
    try {
      await op();
      notice(`${what}: done.`, "ok");
    } catch (err) {
      notice(`${what} failed: ${/** @type {Error} */ (err).message}`, "bad");
    }
    await this.load().catch(() => undefined);
  }
}

/** @param {any} e */
function timelineItem(e) {
  return h("li", { "data-type": e.type }, [h("time", { datetime: new Date(e.at).toISOString() }, [time(e.at)]), `${e.type}: ${e.message}`]);
}
