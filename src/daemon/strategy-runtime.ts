import { AnalysisRun } from "../analysis/analysis-run.js";
import type { TrafficRecorder } from "../analysis/traffic-recorder.js";
import { runChecks } from "../checks/check-runner.js";
import type { Clock } from "../clock.js";
import type { AnalysisConfig, CheckSpec, Config } from "../config/types.js";
import { runHook, type HookName } from "../hooks/hook-runner.js";
import type { Release } from "../ledger/types.js";
import type { RolloutControl } from "../rollout/control.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import type { AnalysisHandle, CheckOutcome, PreviewHandle, StrategyContext } from "../rollout/strategy-context.js";
import type { Step, Workload } from "../rollout/workload.js";
import type { Journal } from "./journal.js";
import type { OpenListener } from "./router-link.js";
import { routerOptions } from "./router-options.js";
import { releaseWorkloadEnv } from "./release-runtime.js";
import type { AnalysisTick } from "../analysis/analysis-run.js";

export interface RuntimeOptions {
  workload: Workload;
  clock: Clock;
  control: RolloutControl;
  journal: Journal;
  recorder: TrafficRecorder;
  target: Release;
  stable: Release | null;
  config: Config;
  strategy: string;
  /** The router's public URL (where `path` checks go when there is no preview). */
  publicUrl: string;
  openListener: OpenListener;
  /** The rollout's signal, pause and journal, for the workload's steps. */
  step: Step;
  onAnalysis: (tick: AnalysisTick, label: string) => void;
}

/**
 * The daemon's implementation of what strategies may do
 * (src/rollout/strategy-context.ts): the workload's steps on the rollout's
 * target, plus analysis, checks, hooks and the preview listener.
 */
export function strategyRuntime(o: RuntimeOptions): StrategyContext {
  const { workload, target, config, step } = o;
  return {
    control: o.control,
    target: { id: target.id, version: target.version },
    stable: o.stable ? { id: o.stable.id, version: o.stable.version } : null,
    config,
    note: (event, message, data) => o.journal.event(event, message, data),
    analysis: (analysisConfig, label) => startAnalysis(o, analysisConfig, label),
    runChecks: (specs, baseUrl) => checks(o, specs, baseUrl),
    preHook: async (name) => {
      const result = await hook(o, name);
      if (!result.ok) throw new RolloutFailure(`${name} hook failed (exit ${result.exitCode}): ${result.output.slice(-3).join(" | ")}`);
    },
    openPreview: (listen) => openPreview(o, listen),
    startGreen: (replicas) => workload.startGreen(target, config, replicas, step),
    switchToTarget: () => workload.switchTo(target),
    settle: () => workload.settle(target, config, step),
    startCanary: (replicas) => workload.startCanary(target, config, replicas, step),
    setCanaryWeight: (weight) => workload.setCanaryWeight(target, weight),
    finish: async () => {
      await workload.promote(target, config, step);
      o.control.set({ weight: 100 });
    },
    keepStandby: (ms) => {
      if (o.stable) workload.keepStandby(o.stable, ms);
    },
  };
}

/** Environment of hooks and `run` checks: what a process instance of the target gets (they run on this host), then SLIPWAY_*. */
export function hookEnv(o: Pick<RuntimeOptions, "target" | "stable" | "strategy">): Record<string, string> {
  return {
    ...releaseWorkloadEnv(o.target, o.target.config, "process"),
    SLIPWAY_RELEASE: String(o.target.id),
    SLIPWAY_VERSION: o.target.version,
    SLIPWAY_PREVIOUS_RELEASE: o.stable ? String(o.stable.id) : "",
    SLIPWAY_STRATEGY: o.strategy,
  };
}

/** Runs a hook and reports it; returns its result (pre-hooks fail the rollout, post-hooks only report). */
export async function hook(
  o: Pick<RuntimeOptions, "target" | "stable" | "strategy" | "config" | "journal">,
  name: HookName,
): ReturnType<typeof runHook> {
  const result = await runHook(name, o.config.hooks[name], { env: hookEnv(o), cwd: o.target.snapshot, timeout: o.config.hooks.timeout });
  if (result.ran) {
    const how = result.ok ? "passed" : `failed (exit ${result.exitCode})`;
    o.journal.line("hook", `${name} hook ${how} in ${(result.durationMs / 1000).toFixed(1)}s`, { output: result.output });
  }
  return result;
}

async function checks(o: RuntimeOptions, specs: CheckSpec[], baseUrl: string): Promise<CheckOutcome[]> {
  const results = await runChecks(specs, { baseUrl, previewUrl: baseUrl, env: hookEnv(o), cwd: o.target.snapshot });
  return results.map((r) => ({ name: r.name, ok: r.ok, message: r.message }));
}

function startAnalysis(o: RuntimeOptions, analysis: AnalysisConfig, label: string): AnalysisHandle {
  // No request passes Slipway's router on a workload it does not route (kubernetes): no minimum of requests to wait
  // for, the checks decide (config guards refuse metric thresholds there).
  const config = o.workload.routed ? analysis : { ...analysis, minRequests: 0 };
  const run = new AnalysisRun({
    config,
    recorder: o.recorder,
    canaryRelease: o.target.id,
    stableRelease: o.stable?.id ?? null,
    clock: o.clock,
    runChecks: config.checks.length ? () => checks(o, config.checks, o.publicUrl) : undefined,
    onTick: (t) => {
      o.journal.line(
        "analysis",
        `${label} #${t.n}: ${t.verdict}: ${[...t.reasons, ...t.checks.map((c) => `${c.name}: ${c.message}`)].join("; ")}`,
        {
          label,
          n: t.n,
          verdict: t.verdict,
          // What a chart of the measurements draws its limits from (the dashboard).
          windowMs: config.window,
          limits: { maxErrorRate: config.maxErrorRate ?? null, maxLatency: config.maxLatency ?? null },
          canary: t.canary,
          stable: t.stable,
          failures: t.failures,
          inconclusives: t.inconclusives,
        },
      );
      o.onAnalysis(t, label);
    },
  });
  run.start();
  return {
    get outcome() {
      return run.outcome;
    },
    waitForPass: () => run.waitForPass(),
    resetInconclusive: () => run.resetInconclusive(),
    lastReasons: () => run.last()?.reasons ?? [],
    stop: () => run.stop(),
  };
}

/** How often the preview listener re-reads the green targets (besides every fleet change). */
const PREVIEW_SYNC_EVERY = 500;

async function openPreview(o: RuntimeOptions, listen: { host: string; port: number }): Promise<PreviewHandle> {
  // Where the cluster serves the app (kubernetes), green's preview is its own Service there; the workload names it.
  if (!o.workload.routed) return { url: "", close: () => Promise.resolve() };
  const listener = await o.openListener("preview", listen, {
    name: `${o.config.name} preview`,
    ...routerOptions(o.config),
  });
  let table = "";
  const sync = () => {
    const groups = [{ name: "preview", weight: 1, targets: o.workload.previewTargets(o.target.id) }];
    const key = JSON.stringify(groups);
    if (key !== table) listener.setGroups(groups);
    table = key;
  };
  sync();
  const off = o.workload.onChange(sync);
  const timer = setInterval(sync, PREVIEW_SYNC_EVERY);
  return {
    url: listener.url,
    close: async () => {
      off();
      clearInterval(timer);
      await listener.close();
    },
  };
}
