// @ts-check
/** The page's side of the dashboard server (same origin; the session cookie goes along by itself). */

const csrf = document.querySelector('meta[name="slipway-csrf"]')?.getAttribute("content") ?? "";

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function get(path) {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  return answer(res);
}

/**
 * An action (promote, pause, resume, abort, rollback, retry): CSRF header, JSON body.
 * @param {string} action
 * @param {Record<string, unknown>} [body]
 * @returns {Promise<any>}
 */
export async function act(action, body = {}) {
  const res = await fetch(`/api/actions/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-slipway-csrf": csrf },
    body: JSON.stringify(body),
  });
  return answer(res);
}

/** @param {Response} res */
async function answer(res) {
  if (res.status === 401) throw new Error("the dashboard session ended: run slipway dashboard for a new link");
  const text = await res.text();
  /** @type {any} */
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(text || `HTTP ${res.status}`);
  }
  if (!res.ok) {
    const e = data.error ?? {};
    throw new Error(`${e.message ?? `HTTP ${res.status}`}${e.hint ? ` (${e.hint})` : ""}`);
  }
  return data;
}
