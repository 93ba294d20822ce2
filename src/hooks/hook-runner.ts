/**
 * Runs the `hooks` of slipway.yaml: one command at a point of a rollout, in
 * its own process group with a hard timeout. Whether a failing hook stops the
 * rollout is the caller's decision (pre-hooks do, post-hooks only report).
 */
import { describeEnd, runCommand } from "../checks/command.js";
import type { HookName } from "../config/types.js";

export type { HookName } from "../config/types.js";

/** Output lines kept from a hook. */
export const HOOK_OUTPUT_LINES = 20;

/** How to run a hook. */
export interface HookOptions {
  /** The whole environment (nothing else is inherited), including SLIPWAY_RELEASE, SLIPWAY_VERSION, SLIPWAY_PREVIOUS_RELEASE and SLIPWAY_STRATEGY; SLIPWAY_HOOK is added. */
  env: Record<string, string>;
  cwd: string;
  /** ms until its process group is killed, which fails the hook. */
  timeout: number;
}

/** What a hook did. `ran: false` (no command configured) counts as ok. */
export interface HookResult {
  ran: boolean;
  ok: boolean;
  /** Null when a signal ended it or it never started. */
  exitCode: number | null;
  timedOut: boolean;
  /** One line, e.g. `preDeploy hook: ./migrate exited 1` or `... timed out after 5m (killed)`. */
  message: string;
  /** The last 20 lines of output (stdout and stderr interleaved). */
  output: string[];
  durationMs: number;
}

/**
 * Runs hook `name` when a command is configured for it. Never throws.
 *
 * @example
 * const r = await runHook("preDeploy", config.hooks.preDeploy, { env, cwd: release.snapshot, timeout: config.hooks.timeout });
 * if (!r.ok) throw new RolloutFailure(`${r.message}: ${r.output.slice(-3).join(" | ")}`);
 */
export async function runHook(name: HookName, command: readonly string[] | undefined, o: HookOptions): Promise<HookResult> {
  if (command === undefined || command.length === 0) {
    return { ran: false, ok: true, exitCode: null, timedOut: false, message: `no ${name} hook`, output: [], durationMs: 0 };
  }
  const env = { ...o.env, SLIPWAY_HOOK: name };
  const r = await runCommand(command, { cwd: o.cwd, env, timeout: o.timeout, tailLines: HOOK_OUTPUT_LINES });
  const ok = r.exitCode === 0 && !r.timedOut;
  return {
    ran: true,
    ok,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    message: `${name} hook: ${command.join(" ")} ${describeEnd(r, o.timeout)}`,
    output: r.output,
    durationMs: r.durationMs,
  };
}
