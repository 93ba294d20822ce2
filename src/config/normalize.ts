/**
 * Shapes parsed slipway.yaml (defaults filled, leaf values already in ms,
 * bytes and fractions) into the `Config` the rest of Slipway consumes:
 * probes and steps become tagged unions and paths become absolute.
 */
import { resolve } from "node:path";
import { DEFAULT_RUN_CHECK_TIMEOUT } from "./defaults.js";
import { parseDuration } from "./duration.js";
import type { ParsedConfig } from "./schema.js";
import { ACME_DIRECTORIES, hstsValue } from "./tls-schema.js";
import type {
  TlsConfig,
  AnalysisConfig,
  BlueGreenConfig,
  CanaryConfig,
  CanaryStep,
  CheckSpec,
  Config,
  NotifyConfig,
  ProbeCheck,
  ProbeSpec,
} from "./types.js";

type Parsed = ParsedConfig;
type RawProbe = NonNullable<Parsed["health"]["readiness"]>;
type RawCanary = NonNullable<Parsed["strategy"]["canary"]>;
type RawBlueGreen = NonNullable<Parsed["strategy"]["blueGreen"]>;
type RawAnalysis = NonNullable<RawCanary["analysis"]>;
type RawCheck = RawAnalysis["checks"][number];

function probeCheck(raw: RawProbe): ProbeCheck {
  if (raw.http !== undefined) {
    return typeof raw.http === "string" ? { kind: "http", path: raw.http } : { kind: "http", ...raw.http };
  }
  if (raw.tcp !== undefined) return raw.tcp === true ? { kind: "tcp" } : { kind: "tcp", ...raw.tcp };
  return { kind: "exec", command: raw.exec ?? [] };
}

function probe(raw: RawProbe | undefined): ProbeSpec | undefined {
  if (!raw) return undefined;
  const { initialDelay, interval, timeout, successThreshold, failureThreshold } = raw;
  return { check: probeCheck(raw), initialDelay, interval, timeout, successThreshold, failureThreshold };
}

function check(raw: RawCheck): CheckSpec {
  if (raw.http) return { kind: "http", ...raw.http };
  return { kind: "run", command: raw.run ?? [], timeout: raw.timeout ?? parseDuration(DEFAULT_RUN_CHECK_TIMEOUT) };
}

function analysis(raw: RawAnalysis): AnalysisConfig {
  return { ...raw, checks: raw.checks.map(check) };
}

function step(raw: RawCanary["steps"][number]): CanaryStep {
  if (raw.setWeight !== undefined) return { kind: "setWeight", weight: raw.setWeight };
  if (raw.analysis) return { kind: "analysis", analysis: analysis(raw.analysis) };
  const duration = typeof raw.pause === "number" ? raw.pause : raw.pause?.duration;
  return duration === undefined ? { kind: "pause" } : { kind: "pause", duration };
}

function canaryConfig(raw: RawCanary): CanaryConfig {
  const { steps, analysis: background, ...rest } = raw;
  return { ...rest, steps: steps.map(step), ...(background && { analysis: analysis(background) }) };
}

function blueGreenConfig(raw: RawBlueGreen): BlueGreenConfig {
  const { prePromotion, postPromotion, ...rest } = raw;
  return { ...rest, prePromotion: prePromotion.map(check), ...(postPromotion && { postPromotion: analysis(postPromotion) }) };
}

function strategy(raw: Parsed["strategy"]): Config["strategy"] {
  return {
    type: raw.type,
    rolling: raw.rolling,
    ...(raw.canary && { canary: canaryConfig(raw.canary) }),
    ...(raw.blueGreen && { blueGreen: blueGreenConfig(raw.blueGreen) }),
  };
}

function notifyConfig(raw: Parsed["notify"]): NotifyConfig {
  const webhooks = raw.webhooks.map((hook) =>
    typeof hook === "string" ? { url: hook, events: "all" as const } : { url: hook.url, events: hook.events ?? ("all" as const) },
  );
  return { webhooks, timeout: raw.timeout };
}

function routerConfig(raw: Parsed["router"], root: string): Config["router"] {
  const { tls, ...rest } = raw;
  if (!tls) return rest;
  const { acme, hsts, certificates, ...tlsRest } = tls;
  const normalized: TlsConfig = {
    ...tlsRest,
    certificates: certificates.map((c) => ({ cert: resolve(root, c.cert), key: resolve(root, c.key) })),
    hsts: hstsValue(hsts),
  };
  if (acme) {
    const { directory, ca, ...acmeRest } = acme;
    normalized.acme = {
      ...acmeRest,
      directory: ACME_DIRECTORIES[directory as keyof typeof ACME_DIRECTORIES] ?? directory,
      ...(ca !== undefined && { ca: resolve(root, ca) }),
    };
  }
  return { ...rest, tls: normalized };
}

/**
 * Builds the `Config` from a successful parse. `root` is the directory of the
 * config file; relative paths resolve against it.
 */
export function normalizeConfig(parsed: Parsed, root: string): Config {
  const { health, app } = parsed;
  const { envSchema, build, command, resources, ...appRest } = app;
  const cwd = resolve(root, app.cwd);
  return {
    name: parsed.name,
    platform: parsed.platform,
    listen: parsed.listen,
    app: {
      ...appRest,
      cwd,
      command: command?.argv ?? [],
      commandForm: command?.form ?? "words",
      env: Object.fromEntries(Object.entries(app.env).map(([key, value]) => [key, String(value)])),
      ...(build && {
        build: {
          context: resolve(cwd, build.context),
          dockerfile: build.dockerfile,
          ...(build.target !== undefined && { target: build.target }),
          args: Object.fromEntries(Object.entries(build.args).map(([key, value]) => [key, String(value)])),
        },
      }),
      ...(resources && { resources }),
      ...(envSchema !== undefined && { envSchema: resolve(cwd, envSchema) }),
    },
    health: {
      ...(health.startup && { startup: probe(health.startup) }),
      ...(health.readiness && { readiness: probe(health.readiness) }),
      ...(health.liveness && { liveness: probe(health.liveness) }),
    },
    strategy: strategy(parsed.strategy),
    router: routerConfig(parsed.router, root),
    drain: parsed.drain,
    progressDeadline: parsed.progressDeadline,
    retain: parsed.retain,
    logs: parsed.logs,
    ...(parsed.metrics && { metrics: parsed.metrics }),
    dashboard: {
      listen: parsed.dashboard.listen,
      hosts: parsed.dashboard.hosts,
      ...(parsed.dashboard.tls && {
        tls: { cert: resolve(root, parsed.dashboard.tls.cert), key: resolve(root, parsed.dashboard.tls.key) },
      }),
    },
    hooks: parsed.hooks,
    notify: notifyConfig(parsed.notify),
    docker: parsed.docker,
    swarm: parsed.swarm,
    kubernetes: {
      ...parsed.kubernetes,
      ...(parsed.kubernetes.kubeconfig !== undefined && { kubeconfig: resolve(root, parsed.kubernetes.kubeconfig) }),
    },
    audit: parsed.audit,
    ...(parsed.registry && { registry: parsed.registry }),
  };
}
