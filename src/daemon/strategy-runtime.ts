import { AnalysisRun } from "../analysis/analysis-run.js";
import type { TrafficRecorder } from "../analysis/traffic-recorder.js";
import { runChecks } from "../checks/check-runner.js";
import type { Clock } from "../clock.js";
import type { AnalysisConfig, CheckSpec, Config } from "../config/types.js";
import { runHook, type HookName } from "../hooks/hook-runner.js";
import type { Release } from "../ledger/types.js";
import type { RolloutControl } from "../rollout/control.js";
import { RolloutFailure } from "../rollout/rollout-failure.js";
import {
  waitReady,
  type AnalysisHandle,
  type CheckOutcome,
  type PreviewHandle,
  type StrategyContext,
} from "../rollout/strategy-context.js";
import type { Fleet, Instance } from "./fleet.js";
import type { Journal } from "./journal.js";
import type { OpenListener } from "./router-link.js";
import { routerOptions } from "./router-options.js";
import type { SwarmRuntime } from "./swarm-runtime.js";
import { releaseWorkloadEnv } from "./release-runtime.js";
import type { AnalysisTick } from "../analysis/analysis-run.js";

export interface RuntimeOptions {
  fleet: Fleet;
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
  launch: (opts: { inRotation: boolean; restart: boolean }) => Promise<Instance>;
  keepStandby: (release: Release, ms: number) => void;
  /** Set on platform swarm: the canary runs as its own service, split by the router. */
  swarm?: SwarmRuntime;
  onAnalysis: (tick: AnalysisTick, label: string) => void;
}

/** The daemon's implementation of what strategies may do (src/rollout/strategy-context.ts). */
export function strategyRuntime(o: RuntimeOptions): StrategyContext {
  const ctx: StrategyContext = {
    fleet: o.fleet,
    clock: o.clock,
    control: o.control,
    target: { id: o.target.id, version: o.target.version },
    stable: o.stable ? { id: o.stable.id, version: o.stable.version } : null,
    config: o.config,
    note: (event, message, data) => o.journal.event(event, message, data),
    analysis: (config, label) => startAnalysis(o, config, label),
    runChecks: (specs, baseUrl) => checks(o, specs, baseUrl),
    preHook: async (name) => {
      const result = await hook(o, name);
      if (!result.ok) throw new RolloutFailure(`${name} hook failed (exit ${result.exitCode}): ${result.output.slice(-3).join(" | ")}`);
    },
    openPreview: (listen) => openPreview(o, ctx, listen),
    startGreen: async (replicas) => {
      const instances: Instance[] = [];
      for (let n = replicas; n > 0; n--) instances.push(await o.launch({ inRotation: false, restart: false }));
      await waitReady(ctx, instances);
    },
    previewTargets: () => o.fleet.readyTargets(o.target.id),
    switchToTarget: () => {
      o.fleet.switchTo(o.target.id);
      o.fleet.supervise(o.target.id);
    },
    settle: async () => {},
    startCanary: async (replicas) => {
      o.fleet.setSplit({ canaryRelease: o.target.id, weight: 0 });
      const instances: Instance[] = [];
      for (let n = replicas; n > 0; n--) instances.push(await o.launch({ inRotation: true, restart: false }));
      await waitReady(ctx, instances);
    },
    setCanaryWeight: (weight) => o.fleet.setSplit({ canaryRelease: o.target.id, weight }),
    finish: () => finish(o, ctx),
    keepStandby: (ms) => {
      if (o.stable) o.keepStandby(o.stable, ms);
    },
  };
  if (o.swarm) {
    const swarm = o.swarm;
    const note = (m: string) => o.journal.line("swarm", m);
    ctx.startCanary = (replicas) => swarm.startCanary(o.target, o.config, replicas, note, o.control.signal);
    ctx.setCanaryWeight = (weight) => swarm.setCanaryWeight(weight);
    ctx.finish = () => swarm.promoteCanary(o.target, o.config, note, o.control.signal);
    // Blue-green on swarm: green is its own service; the switch is the router's; then the app's service takes green's image.
    ctx.startGreen = (replicas) => swarm.startCanary(o.target, o.config, replicas, note, o.control.signal);
    ctx.previewTargets = () => swarm.readyTargets(o.target.id);
    ctx.switchToTarget = () => swarm.setCanaryWeight(100);
    ctx.keepStandby = () => undefined;
    ctx.settle = () => swarm.promoteCanary(o.target, o.config, note, o.control.signal);
  }
  return ctx;
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

function startAnalysis(o: RuntimeOptions, config: AnalysisConfig, label: string): AnalysisHandle {
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
          verdict: t.verdict,
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

async function openPreview(o: RuntimeOptions, ctx: StrategyContext, listen: { host: string; port: number }): Promise<PreviewHandle> {
  const listener = await o.openListener("preview", listen, {
    name: `${o.config.name} preview`,
    ...routerOptions(o.config),
  });
  let table = "";
  const sync = () => {
    const groups = [{ name: "preview", weight: 1, targets: ctx.previewTargets() }];
    const key = JSON.stringify(groups);
    if (key !== table) listener.setGroups(groups);
    table = key;
  };
  sync();
  const off = o.fleet.onChange(sync);
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

/** Canary promotion: full size, all traffic, old release retired after draining. */
async function finish(o: RuntimeOptions, ctx: StrategyContext): Promise<void> {
  const { fleet } = o;
  const live = () => fleet.ofRelease(o.target.id).filter((i) => i.state !== "stopping" && i.state !== "stopped");
  while (live().length < o.config.app.replicas) await o.launch({ inRotation: true, restart: false });
  await waitReady(ctx, live());
  fleet.setSplit({ canaryRelease: o.target.id, weight: 100 });
  fleet.supervise(o.target.id);
  o.control.set({ weight: 100 });
  const others = fleet.list().filter((i) => i.releaseId !== o.target.id);
  await Promise.all(others.map((i) => fleet.retire(i, `replaced by release ${o.target.id}`)));
  fleet.setSplit(null);
}
