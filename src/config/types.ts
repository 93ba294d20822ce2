/**
 * The validated, normalized shape of slipway.yaml. Produced by `loadConfig`
 * (src/config/load.ts) from the zod schema in src/config/schema.ts.
 * All durations are milliseconds; all paths are absolute.
 */
export const STRATEGY_TYPES = ["rolling", "blue-green", "canary"] as const;
export type StrategyType = (typeof STRATEGY_TYPES)[number];
export type PlatformType = "process" | "docker" | "swarm" | "kubernetes";

/** A count ("1") or a percentage of replicas ("25%"). */
export type IntOrPercent = { count: number } | { percent: number };

export type ProbeCheck =
  { kind: "http"; path: string; port?: number } | { kind: "tcp"; port?: number } | { kind: "exec"; command: string[] };

export interface ProbeSpec {
  check: ProbeCheck;
  initialDelay: number;
  interval: number;
  timeout: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface HealthConfig {
  startup?: ProbeSpec;
  readiness?: ProbeSpec;
  liveness?: ProbeSpec;
}

export interface RollingConfig {
  maxSurge: IntOrPercent;
  maxUnavailable: IntOrPercent;
  minReady: number;
}

/** How the docker platform gets the release's image: built from a Dockerfile, or a prebuilt reference. */
export interface BuildConfig {
  /** Absolute build context directory. */
  context: string;
  /** Dockerfile path relative to the context. */
  dockerfile: string;
  target?: string;
  args: Record<string, string>;
}

/** See `AppConfig.commandForm`. */
export type CommandForm = "shell" | "words" | "split";

export interface AppConfig {
  /** The argv starting an instance; empty for a docker app that runs its image's CMD. */
  command: string[];
  /**
   * How `command` was written: `"shell"`, a string, run as `["sh", "-c", line]`;
   * `"words"`, a list run without a shell, its `$NAME` references expanded at
   * spawn (config/command-vars.ts); `"split"`, a release recorded before
   * string commands ran through a shell: a string already split into words, run as is.
   */
  commandForm: CommandForm;
  /** docker: build the image from a Dockerfile (tagged `<name>:<version>`). */
  build?: BuildConfig;
  /** docker: a prebuilt image instead of `build`. */
  image?: string;
  /** docker: per-container limits. */
  resources?: { cpus?: number; memory?: number };
  cwd: string;
  replicas: number;
  env: Record<string, string>;
  /** Names (or `PREFIX*`) passed from the daemon's environment besides `DEFAULT_PASS_ENV`; see config/pass-env.ts. */
  passEnv: string[];
  /**
   * Paths relative to `cwd` (normalized, forward slashes, no trailing slash)
   * that persist across releases and are shared by every instance.
   */
  shared: string[];
  /** Absolute path of the module exporting the app's env schema (slipway/env); absent unless configured. */
  envSchema?: string;
  shutdown: { signal: NodeJS.Signals; timeout: number };
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface Config {
  name: string;
  platform: PlatformType;
  listen: ListenAddress;
  app: AppConfig;
  health: HealthConfig;
  strategy: {
    type: StrategyType;
    rolling: RollingConfig;
    /** Present when slipway.yaml has a `strategy.canary` section (always, for type canary). */
    canary?: CanaryConfig;
    /** Present when slipway.yaml has a `strategy.blueGreen` section (always, for type blue-green). */
    blueGreen?: BlueGreenConfig;
  };
  /**
   * The router in front of the instances; `responseTimeout` in ms (0: none), `upstreamIdleTimeout` in ms,
   * `trustedProxies` as IP addresses or CIDR blocks.
   */
  router: {
    responseTimeout: number;
    upstreamIdleTimeout: number;
    trustedProxies: string[];
    /** Host names the app answers (lower case); empty: every host. */
    hosts: string[];
    /** HTTPS; certificate, key and CA paths absolute. Absent: plain HTTP only. */
    tls?: TlsConfig;
  };
  drain: { timeout: number };
  progressDeadline: number;
  retain: number;
  logs: { maxSize: number; maxFiles: number };
  /** Prometheus-style metrics endpoint; absent unless configured. */
  metrics?: MetricsConfig;
  /** `slipway dashboard`: where it listens, its TLS files (absolute paths), extra Host names; always present. */
  dashboard: DashboardConfig;
  /** Commands run around a rollout; always present (no hooks: only `timeout`). */
  hooks: HooksConfig;
  /** Webhook notifications; always present (no webhooks: an empty list). */
  notify: NotifyConfig;
  /** Container settings for platforms docker and swarm (`init`: the engine's init as PID 1); always present. */
  docker: { network: string; restartPolicy: "no" | "on-failure" | "always" | "unless-stopped"; init: boolean };
  /** Where built images are pushed (docker, swarm); absent unless configured. */
  registry?: { repository: string };
  /** Service settings for platform: swarm; always present. */
  swarm: { portBase: number; constraints: string[] };
  /** Cluster settings for platform: kubernetes; always present (`kubeconfig` absolute when set). */
  kubernetes: KubernetesConfig;
  /** Settings of `slipway audit`; always present. */
  audit: AuditConfig;
}

/** An accepted audit finding: `until` is YYYY-MM-DD (inclusive), `path` a gitignore-style pattern. */
export interface AuditIgnore {
  rule: string;
  path?: string;
  reason: string;
  until?: string;
}

export interface AuditConfig {
  ignore: AuditIgnore[];
  actionPinning: "tag" | "sha";
}

/**
 * A gate run against a new release (src/checks/check-runner.ts). `http` has
 * exactly one of `path` (requested from the new release) or `url` (any
 * absolute http(s) URL); without `expectStatus` any 2xx passes. A `run`
 * command given as a string in YAML is `["sh", "-c", string]`. `timeout` is ms.
 */
export type CheckSpec =
  | { kind: "http"; path?: string; url?: string; method: string; expectStatus?: number; expectBody?: string; timeout: number }
  | { kind: "run"; command: string[]; timeout: number };

/**
 * Metric thresholds judged over a sliding window. Durations are ms;
 * percentages are FRACTIONS (1% is 0.01). An absent threshold is not checked.
 */
export interface AnalysisConfig {
  interval: number;
  window: number;
  minRequests: number;
  /** Fraction of failed requests allowed, e.g. 0.01 for 1%. */
  maxErrorRate?: number;
  /** Latency ceilings in ms per percentile. */
  maxLatency?: { p50?: number; p95?: number; p99?: number };
  /** How far (as a fraction, 0.005 = 0.5 points) the new error rate may exceed the stable one. */
  compareToStable?: number;
  failureLimit: number;
  inconclusiveLimit: number;
  checks: CheckSpec[];
}

/** One canary step; `pause` without a duration waits for `slipway promote`. */
export type CanaryStep =
  { kind: "setWeight"; weight: number } | { kind: "pause"; duration?: number } | { kind: "analysis"; analysis: AnalysisConfig };

export interface CanaryConfig {
  /** Canary instances: a count, or a percentage (0-100) of app.replicas, rounded up. */
  replicas: IntOrPercent;
  stickiness: "none" | "cookie";
  /** Request header that forces a route (`canary`/`stable`), or false when switched off. */
  header: string | false;
  steps: CanaryStep[];
  /** Background analysis run for the whole canary, if configured. */
  analysis?: AnalysisConfig;
}

export interface BlueGreenConfig {
  previewListen: ListenAddress;
  autoPromote: boolean;
  scaleDownDelay: number;
  prePromotion: CheckSpec[];
  /** Analysis run after the switch; failing it switches back. */
  postPromotion?: AnalysisConfig;
}

export interface DashboardConfig {
  listen: ListenAddress;
  tls?: { cert: string; key: string };
  hosts: string[];
}

export interface MetricsConfig {
  listen: ListenAddress;
}

/** Events a webhook can subscribe to, in the order a rollout meets them. */
export const NOTIFY_EVENTS = [
  "rollout.started",
  "rollout.step",
  "rollout.paused",
  "rollout.promoted",
  "rollout.succeeded",
  "rollout.failed",
  "rollout.aborted",
  "rollout.rolled-back",
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export interface WebhookConfig {
  url: string;
  /** The events this webhook receives; "all" when `events` is unset in YAML. */
  events: NotifyEvent[] | "all";
}

export interface NotifyConfig {
  webhooks: WebhookConfig[];
  /** Hard limit for one POST, in ms. */
  timeout: number;
}

/** The hook points, in the order a rollout meets them (postRollback only on failure). */
export const HOOK_NAMES = ["preDeploy", "prePromote", "postDeploy", "postRollback"] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** Commands (argv, never a shell) run at hook points; an absent hook is skipped. `timeout` is ms, per hook. */
export interface HooksConfig {
  preDeploy?: string[];
  postDeploy?: string[];
  prePromote?: string[];
  postRollback?: string[];
  timeout: number;
}

/** `router.tls`, normalized: paths absolute, the ACME directory a URL, HSTS a header value. */
export interface TlsConfig {
  listen: ListenAddress;
  certificates: { cert: string; key: string }[];
  acme?: { directory: string; email?: string; ca?: string; renewalWindow: number };
  redirect: boolean;
  /** Strict-Transport-Security value, or null (none). */
  hsts: string | null;
}

/** Where and how platform: kubernetes runs the app (docs/kubernetes.md). */
export interface KubernetesConfig {
  namespace?: string;
  context?: string;
  kubeconfig?: string;
  port: number;
  httpRoute?: string;
  serviceAccount?: string;
  imagePullSecrets: string[];
  envFrom: string[];
}
