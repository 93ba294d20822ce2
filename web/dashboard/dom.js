// @ts-check
/**
 * Builds an element. Text is always set as text, never parsed as HTML: ledger messages and log
 * lines can hold anything.
 * @param {string} tag
 * @param {Record<string, string | boolean | number | null | undefined | ((e: Event) => void)>} [attrs]
 * @param {(Node | string | null | undefined | false | "")[]} [children]
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), /** @type {EventListener} */ (v));
    else if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false && c !== "") el.append(c);
  return el;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/**
 * A table from rows of cells.
 * @param {string[]} headers
 * @param {{ cells: (Node | string)[]; attrs?: Record<string, string | boolean | ((e: Event) => void)> }[]} rows
 * @param {string} caption
 */
export function table(headers, rows, caption) {
  return h("table", {}, [
    h("caption", { class: "visually-hidden" }, [caption]),
    h("thead", {}, [
      h(
        "tr",
        {},
        headers.map((x) => h("th", { scope: "col" }, [x])),
      ),
    ]),
    h(
      "tbody",
      {},
      rows.map((r) =>
        h(
          "tr",
          r.attrs ?? {},
          r.cells.map((c) => h("td", {}, [c])),
        ),
      ),
    ),
  ]);
}

/** Shows a one-line message at the top of the page (polite live region).
 * @param {string} text
 * @param {"ok" | "bad" | ""} [kind]
 */
export function notice(text, kind = "") {
  const el = byId("notice");
  el.hidden = !text;
  el.className = `notice ${kind}`;
  el.textContent = text;
}

/**
 * Asks before an action, naming its effect; resolves true when confirmed. Keyboard: Esc cancels.
 * @param {string} title
 * @param {string} text
 * @returns {Promise<boolean>}
 */
export function confirmAction(title, text) {
  const dialog = /** @type {HTMLDialogElement} */ (byId("confirm"));
  byId("confirm-title").textContent = title;
  byId("confirm-text").textContent = text;
  const ok = byId("confirm-ok");
  ok.textContent = title;
  return new Promise((resolve) => {
    /** @param {boolean} answer */
    const done = (answer) => {
      ok.removeEventListener("click", yes);
      byId("confirm-cancel").removeEventListener("click", no);
      dialog.removeEventListener("cancel", no);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const yes = () => done(true);
    const no = () => done(false);
    ok.addEventListener("click", yes);
    byId("confirm-cancel").addEventListener("click", no);
    dialog.addEventListener("cancel", no);
    dialog.showModal();
    byId("confirm-cancel").focus();
  });
}
