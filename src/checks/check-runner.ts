/**
 * Runs the checks of slipway.yaml (`strategy.blueGreen.prePromotion`,
 * `analysis.checks`): an HTTP request or a command, each with a hard
 * timeout, each ending in one result line. Never throws: every failure,
 * including a check that cannot start, is a result with `ok: false`.
 */
import { performance } from "node:perf_hooks";
import { formatDuration } from "../config/duration.js";
import { commandLabel } from "../config/command.js";
import type { CheckSpec } from "../config/types.js";
import { describeEnd, runCommand } from "./command.js";

/** Where and how checks run. */
export interface CheckContext {
  /** Where `path` checks go: the preview listener (blue-green) or the router. */
  baseUrl: string;
  /** The whole environment of `run` checks (nothing else is inherited); SLIPWAY_PREVIEW_URL is added. */
  env: Record<string, string>;
  /** Working directory of `run` checks, e.g. the release snapshot. */
  cwd: string;
  /** SLIPWAY_PREVIEW_URL for `run` checks; `baseUrl` when unset. */
  previewUrl?: string;
}

/** One check's outcome. `message` is one line, or a line plus the command's last output lines. */
export interface CheckResult {
  name: string;
  ok: boolean;
  message: string;
  durationMs: number;
}

/** Output lines of a failed `run` check shown in its message. */
export const RUN_OUTPUT_LINES = 5;
/** Bytes of body searched for `expectBody`. */
export const MAX_BODY_BYTES = 1024 * 1024;

type HttpSpec = Extract<CheckSpec, { kind: "http" }>;
type RunSpec = Extract<CheckSpec, { kind: "run" }>;

/** `base` + `path`, keeping any path prefix of `base`: (`http://h:1/app/`, `/health`) -> `http://h:1/app/health`. */
function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

/**
 * A short name for a check, as shown in progress and errors.
 *
 * @example
 * checkName({ kind: "http", path: "/health", method: "GET", timeout: 10_000 }); // "GET /health"
 * checkName({ kind: "run", command: ["sh", "-c", "npm run smoke"], timeout: 300_000 }); // "run: npm run smoke"
 */
export function checkName(spec: CheckSpec): string {
  return spec.kind === "http" ? `${spec.method} ${spec.url ?? spec.path ?? "/"}` : `run: ${commandLabel(spec.command)}`;
}

async function readBody(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
    if (bytes >= MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return text + decoder.decode();
}

function failureReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

async function httpCheck(spec: HttpSpec, ctx: CheckContext): Promise<{ ok: boolean; message: string }> {
  const url = spec.url ?? joinUrl(ctx.baseUrl, spec.path ?? "/");
  const label = `${spec.method} ${url}`;
  try {
    const res = await fetch(url, { method: spec.method, redirect: "manual", signal: AbortSignal.timeout(spec.timeout) });
    const status = `${label} -> ${res.status}`;
    const statusOk = spec.expectStatus === undefined ? res.status >= 200 && res.status < 300 : res.status === spec.expectStatus;
    if (!statusOk || spec.expectBody === undefined) {
      await res.body?.cancel();
      return { ok: statusOk, message: statusOk ? status : `${status} (expected ${spec.expectStatus ?? "2xx"})` };
    }
    const found = (await readBody(res)).includes(spec.expectBody);
    return { ok: found, message: `${status}, body ${found ? "contains" : "does not contain"} ${JSON.stringify(spec.expectBody)}` };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return {
      ok: false,
      message: timedOut ? `${label} timed out after ${formatDuration(spec.timeout)}` : `${label} failed: ${failureReason(error)}`,
    };
  }
}

async function runCheckCommand(spec: RunSpec, ctx: CheckContext): Promise<{ ok: boolean; message: string }> {
  const env = { ...ctx.env, SLIPWAY_PREVIEW_URL: ctx.previewUrl ?? ctx.baseUrl };
  const r = await runCommand(spec.command, { cwd: ctx.cwd, env, timeout: spec.timeout, tailLines: RUN_OUTPUT_LINES });
  const ok = r.exitCode === 0 && !r.timedOut;
  const head = `${commandLabel(spec.command)} ${describeEnd(r, spec.timeout)}`;
  return { ok, message: ok ? head : [head, ...r.output.map((line) => `  ${line}`)].join("\n") };
}

/**
 * Runs one check with its hard timeout. Never throws.
 * - http: `url` as is, or `path` joined to `ctx.baseUrl`; passes on
 *   `expectStatus` (any 2xx when unset) and, when set, a body containing
 *   `expectBody`. Redirects are not followed.
 * - run: argv (a YAML string is already `["sh", "-c", string]`) in `ctx.cwd`
 *   with `ctx.env` plus SLIPWAY_PREVIEW_URL; exit 0 passes; its process group
 *   is killed at the timeout. A failure's message ends with its last 5 output lines.
 *
 * @example
 * await runCheck({ kind: "http", path: "/health", method: "GET", timeout: 10_000 }, { baseUrl: "http://127.0.0.1:8081", env, cwd });
 * // { name: "GET /health", ok: false, message: "GET http://127.0.0.1:8081/health -> 500 (expected 2xx)", durationMs: 12 }
 */
export async function runCheck(spec: CheckSpec, ctx: CheckContext): Promise<CheckResult> {
  const started = performance.now();
  let outcome: { ok: boolean; message: string };
  try {
    outcome = spec.kind === "http" ? await httpCheck(spec, ctx) : await runCheckCommand(spec, ctx);
  } catch (error) {
    outcome = { ok: false, message: `check failed: ${failureReason(error)}` };
  }
  return { name: checkName(spec), ...outcome, durationMs: Math.round(performance.now() - started) };
}

/**
 * Runs checks one after another and returns every result, in order. With
 * `stopAtFirstFailure`, checks after a failing one are not run (and not listed).
 *
 * @example
 * const results = await runChecks(config.strategy.blueGreen.prePromotion, ctx);
 * const passed = results.every((r) => r.ok);
 */
export async function runChecks(
  specs: readonly CheckSpec[],
  ctx: CheckContext,
  o: { stopAtFirstFailure?: boolean } = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const spec of specs) {
    const result = await runCheck(spec, ctx);
    results.push(result);
    if (!result.ok && o.stopAtFirstFailure) break;
  }
  return results;
}
