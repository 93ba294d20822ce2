/**
 * The zod schema of slipway.yaml as written (the RAW YAML): strict objects, so
 * unknown keys are errors, a description on every field, and defaults taken
 * from ./defaults.ts. Parsing with it fills defaults and normalizes values
 * (durations to ms, sizes to bytes, percentages to fractions); ./normalize.ts
 * then shapes the result into the `Config` type. The JSON Schema
 * (./json-schema.ts) and docs/config.md (./reference.ts) are generated from it.
 */
import { z } from "zod";
import { auditSchema } from "./audit-schema.js";
import * as d from "./defaults.js";
import { address, appCommand, duration, positiveInt, says, sharedPaths, size, typed } from "./fields.js";
import { healthSchema } from "./health-schema.js";
import { hooksSchema } from "./hooks-schema.js";
import { notifySchema } from "./notify-schema.js";
import { overlaySchemaOf } from "./overlay.js";
import { PASS_ENV_PATTERN } from "./pass-env.js";
import { strategySchema } from "./strategy-schema.js";
import { hostsSchema, tlsSchema } from "./tls-schema.js";
import { cidrProblem } from "../router/trusted-proxies.js";

/** A trusted proxy entry must be an IP address or a CIDR block. */
const cidrCheck = z.superRefine<string>((value, ctx) => {
  const problem = cidrProblem(value);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem, input: value });
});

export * from "./defaults.js";
export { HOOK_NAMES, NOTIFY_EVENTS, STRATEGY_TYPES } from "./types.js";

const SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGKILL"] as const;

const platformSchema = z
  .enum(["process", "docker", "swarm", "kubernetes"])
  .default(d.DEFAULT_PLATFORM)
  .describe(
    'Where instances run: "process" (local child processes, the default), "docker" (one container per instance, see docs/docker.md), "swarm" (Swarm services, docs/swarm.md) or "kubernetes" (Deployments and Services in a cluster, docs/kubernetes.md).',
  );

/** A Kubernetes object name (DNS-1123 subdomain, kept to a label's 63 characters). */
const kubeName = () =>
  z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, says("must be a Kubernetes name: lowercase letters, digits, dots and dashes"))
    .max(63, says("must be at most 63 characters"));

const envValue = z.union([z.string(), z.number(), z.boolean()], says("must be a string, number or boolean"));

const appSchema = z
  .strictObject({
    command: appCommand()
      .optional()
      .describe(
        "Command starting one instance, which must listen on $PORT. A string runs with sh -c, like a Procfile line ($PORT expands; a single command gets `exec` put before it so the app receives the stop signal; end a compound one with `exec`: `./migrate && exec node server.js`). A list of words runs without a shell: `$NAME` or `${NAME}` naming PORT, a SLIPWAY_* variable or an app.env key is replaced by the instance's value, `$$` is a literal `$`, anything else stays as written; an empty (or blank) word is refused. Required for platform process; for docker and swarm it overrides the image's CMD.",
      ),
    build: z
      .strictObject({
        context: z.string().default(".").describe("Build context, relative to app.cwd."),
        dockerfile: z.string().default("Dockerfile").describe("Dockerfile, relative to the context."),
        target: z.string().optional().describe("Multi-stage target to build."),
        args: z
          .record(z.string(), envValue, says("must be a mapping of NAME: value"))
          .default({})
          .describe("Build arguments (never secrets: they stay in the image history)."),
      })
      .optional()
      .describe("docker: build the release's image from a Dockerfile; tagged <name>:<version> and labelled slipway.app/release/version."),
    image: z.string().min(1).optional().describe("docker: deploy this prebuilt image (repo:tag) instead of building one."),
    resources: z
      .strictObject({
        cpus: z.number().positive(says("must be a positive number of CPUs, like 0.5")).optional().describe("CPU limit per container."),
        memory: size().optional().describe("Memory limit per container, like 256MB."),
      })
      .optional()
      .describe("docker: limits per container."),
    cwd: z.string().default(d.DEFAULT_APP_CWD).describe("Working directory, relative to the config file's directory."),
    replicas: positiveInt()
      .max(d.MAX_REPLICAS, says(`must be at most ${d.MAX_REPLICAS} (each instance is a process or container with its own port)`))
      .default(d.DEFAULT_REPLICAS)
      .describe(`Number of instances (at most ${d.MAX_REPLICAS}).`),
    env: z
      .record(z.string(), envValue, says("must be a mapping of NAME: value"))
      .default({})
      .describe("Extra environment variables; numbers and booleans become strings."),
    passEnv: z
      .array(
        z
          .string(says("must be a variable name, like SENTRY_DSN"))
          .regex(PASS_ENV_PATTERN, says("must be a variable name, or a prefix ending in *, like OTEL_*")),
        says("must be a list of variable names, like [SENTRY_DSN, OTEL_*]"),
      )
      .default([])
      .describe(
        `Variables instances, hooks and run checks take from the daemon's environment, besides ${d.DEFAULT_PASS_ENV.join(", ")} (processes, hooks and checks only; a container keeps its image's). A trailing * matches a prefix. Nothing else of the daemon's or the CLI's environment reaches them; values passed this way are recorded in the ledger with the instance.`,
      ),
    shared: sharedPaths()
      .default([])
      .describe(
        "Paths relative to app.cwd (files or directories) whose content outlives a release and is shared by every instance, like data/ or uploads/. process: kept under .slipway/shared/ and linked into each release (seeded from the app's copy the first time the path is shared, never overwritten; an empty directory when the app has none or .slipwayignore lists it); docker and swarm: a named volume <name>-shared-<path> per path, mounted at the same path under the image's WORKDIR and seeded by Docker from the image (a file in the image is refused: share its directory). Pruning and rollback never touch it. See README, 'Data that outlives a release'.",
      ),
    envSchema: z
      .string(says("must be a path to a JavaScript module, like ./env.js"))
      .min(1, says("must be a path to a JavaScript module, like ./env.js"))
      .optional()
      .describe(
        "JavaScript module exporting the app's env schema (slipway/env), relative to app.cwd. When set, slipway deploy checks the environment the release will get against it and refuses to deploy when a variable is missing or malformed. See docs/app-env.md.",
      ),
    shutdown: z
      .strictObject({
        signal: z.enum(SIGNALS).default(d.DEFAULT_SHUTDOWN_SIGNAL).describe("Signal asking an instance to stop."),
        timeout: duration().prefault(d.DEFAULT_SHUTDOWN_TIMEOUT).describe("Time between the signal and SIGKILL."),
      })
      .prefault({})
      .describe("How instances are stopped."),
  })
  .describe("The app to run.");

/** The base config: everything but `environments`. */
export const baseShape = {
  name: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, says("must be lowercase letters, digits and dashes, like hello-api"))
    .max(63, says("must be at most 63 characters"))
    .describe("Service name (lowercase letters, digits and dashes); names the ledger, logs and instances."),
  platform: platformSchema,
  listen: address()
    .prefault(d.DEFAULT_LISTEN)
    .describe("Address where Slipway's router serves the app: host:port, :port (all interfaces) or a port."),
  app: appSchema,
  health: healthSchema,
  strategy: strategySchema,
  router: z
    .strictObject({
      responseTimeout: duration()
        .prefault(d.DEFAULT_RESPONSE_TIMEOUT)
        .describe(
          "How long the router waits for an instance's response headers; then it answers 504 and aborts the request (never retried). A response that started streams as long as it takes. 0 waits forever.",
        ),
      upstreamIdleTimeout: duration()
        .prefault(d.DEFAULT_UPSTREAM_IDLE_TIMEOUT)
        .describe(
          "How long the router keeps an idle keep-alive connection to an instance. Keep it below the app's keep-alive timeout (Node: server.keepAliveTimeout, 5s by default); a shorter `Keep-Alive: timeout=N` from the app lowers it further. 0 opens a connection per request.",
        ),
      trustedProxies: z
        .array(z.string().check(cidrCheck))
        .prefault([...d.DEFAULT_TRUSTED_PROXIES])
        .describe(
          "IP addresses or CIDR blocks of proxies in front of the router (a load balancer, a CDN). Their X-Forwarded-For is appended to and their X-Forwarded-Proto/-Host, X-Real-IP and Forwarded are kept; from anyone else these headers are replaced (Forwarded dropped).",
        ),
      hosts: hostsSchema,
      tls: tlsSchema.optional(),
    })
    .prefault({})
    .describe("Slipway's router in front of the instances (docs/router.md)."),
  drain: z
    .strictObject({
      timeout: duration()
        .prefault(d.DEFAULT_DRAIN_TIMEOUT)
        .describe("How long in-flight requests may finish before an old instance stops."),
    })
    .prefault({})
    .describe("Draining old instances."),
  progressDeadline: duration()
    .prefault(d.DEFAULT_PROGRESS_DEADLINE)
    .describe(
      "A rollout making no progress for this long fails and rolls back; its last step waits at most this long for every instance of the new release to be ready (else: degraded, rolled back).",
    ),
  retain: positiveInt().default(d.DEFAULT_RETAIN).describe("Releases kept for rollback."),
  logs: z
    .strictObject({
      maxSize: size()
        .prefault(d.DEFAULT_LOG_MAX_SIZE)
        .describe(
          "Rotate an instance's log file at this size (512KB, 10MB or bytes; 1KB = 1024 bytes); a burst is cut into several files, none larger than this + 64 KiB.",
        ),
      maxFiles: positiveInt().default(d.DEFAULT_LOG_MAX_FILES).describe("Rotated files kept per instance."),
    })
    .prefault({})
    .describe("Instance log files."),
  metrics: z
    .strictObject({
      listen: address().prefault(d.DEFAULT_METRICS_LISTEN).describe("Address of the Prometheus /metrics endpoint."),
    })
    .optional()
    .describe("Serve Prometheus metrics. Off unless set."),
  dashboard: z
    .strictObject({
      listen: address()
        .prefault(d.DEFAULT_DASHBOARD_LISTEN)
        .describe(
          "Address of `slipway dashboard` (default loopback 127.0.0.1:7070). Any other address needs `tls` or `slipway dashboard --insecure`.",
        ),
      tls: z
        .strictObject({
          cert: z.string().min(1).describe("PEM certificate (chain) file, relative to this file."),
          key: z.string().min(1).describe("PEM private key file, relative to this file."),
        })
        .optional()
        .describe("Serve the dashboard over HTTPS with these files (needed to listen on a non-loopback address)."),
      hosts: z
        .array(z.string().min(1))
        .default([])
        .describe(
          "Host names (as typed in the browser's address bar, without port) the dashboard answers besides its listen address (DNS-rebinding guard); e.g. the machine's name behind a tunnel.",
        ),
    })
    .prefault({})
    .describe("The web dashboard (`slipway dashboard`): live rollout, releases, delivery metrics, actions. See docs/dashboard.md."),
  hooks: hooksSchema,
  notify: notifySchema,
  docker: z
    .strictObject({
      network: z
        .string()
        .min(1)
        .default("host")
        .describe('Docker network of the containers; "host" (the default) binds each instance on its own port.'),
      restartPolicy: z
        .enum(["no", "on-failure", "always", "unless-stopped"])
        .default("no")
        .describe('Docker restart policy; "no" (the default) because Slipway supervises and restarts instances itself.'),
      init: z
        .boolean()
        .default(d.DEFAULT_DOCKER_INIT)
        .describe(
          "Run the engine's init (docker-init, i.e. tini) as PID 1 of each container and task, the app as its child, like docker run --init: an app with no handler for the stop signal stops on it (as PID 1 the kernel ignores such a signal, and the app is killed only after app.shutdown.timeout), and zombies are reaped. Applies to platforms docker and swarm. Harmless with an image that has its own init (tini, dumb-init). See docs/docker.md.",
        ),
    })
    .prefault({})
    .describe("Container settings for platform: docker (docker.init also for swarm)."),
  registry: z
    .strictObject({
      repository: z
        .string()
        .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+$/, says("must be a repository like registry.example.com/team/hello"))
        .describe(
          "Repository built images are pushed to (tags release-<id> and <version>); instances then run the pushed reference. Credentials: DOCKER_USERNAME and DOCKER_PASSWORD in the environment of slipway deploy, sent to the daemon with that deploy only (never in its environment, the ledger, logs or status).",
        ),
    })
    .optional()
    .describe("Push built images to a registry (platforms docker and swarm; needed for swarm on several nodes)."),
  swarm: z
    .strictObject({
      portBase: z
        .number()
        .int()
        .min(1024, says("must be a port from 1024 to 64000 ending in 000, like 41000"))
        .max(64000, says("must be a port from 1024 to 64000 ending in 000, like 41000"))
        .refine((n) => n % 1000 === 0, says("must be a port from 1024 to 64000 ending in 000, like 41000"))
        .default(41000)
        .describe(
          "First port of the services' port lanes: task N listens on portBase + N (and portBase + 1000 + N during an update). See docs/swarm.md.",
        ),
      constraints: z.array(z.string()).default([]).describe('Placement constraints, like "node.role==manager".'),
    })
    .prefault({})
    .describe("Service settings for platform: swarm."),
  kubernetes: z
    .strictObject({
      namespace: kubeName()
        .optional()
        .describe("Namespace of the app's objects; the kubeconfig context's namespace when unset, else default."),
      context: z.string().min(1).optional().describe("kubeconfig context to use; the current context when unset."),
      kubeconfig: z
        .string()
        .min(1)
        .optional()
        .describe("Path of the kubeconfig file (relative to this file); $KUBECONFIG, else ~/.kube/config, when unset."),
      port: z
        .number()
        .int()
        .min(1, says("must be a port from 1 to 65535"))
        .max(65535, says("must be a port from 1 to 65535"))
        .default(d.DEFAULT_KUBERNETES_PORT)
        .describe("Port the app listens on in its pod ($PORT is set to it); the Services' port too."),
      httpRoute: kubeName()
        .optional()
        .describe(
          "A Gateway API HTTPRoute in the namespace whose rules list the Services <name>-ping and <name>-pong: a canary's share and the blue-green switch become weights on it (one JSON patch). Without it, a canary's share is its share of the pods behind the Service <name>. See docs/kubernetes.md.",
        ),
      serviceAccount: kubeName().optional().describe("Service account the pods run as."),
      imagePullSecrets: z.array(kubeName()).default([]).describe("Secrets the kubelet uses to pull the image."),
      envFrom: z
        .array(kubeName())
        .default([])
        .describe("Secrets whose keys become environment variables of the pods (for credentials: app.env goes into the Deployment)."),
    })
    .prefault({})
    .describe("Cluster settings for platform: kubernetes (docs/kubernetes.md)."),
  audit: auditSchema,
};

/** The base schema (no environments): what an environment overlay is merged into and validated against. */
export const baseSchema = z.strictObject(baseShape);

/** Raw slipway.yaml input, as an editor or `yaml.parse` sees it. */
export type RawConfig = z.input<typeof baseSchema> & { environments?: Record<string, unknown> };
/** slipway.yaml after parsing: defaults filled, leaf values normalized. */
export type ParsedConfig = z.output<typeof baseSchema>;

/** Schema of one `environments.<name>` overlay: any base keys, all optional; `null` removes a key. */
export const overlaySchema = overlaySchemaOf(baseSchema);

/** Schema of the `environments` section. */
export const environmentsSchema = typed(
  z.record(z.string(), overlaySchema.nullable(), says("must be a mapping of environment name to overrides")),
  "mapping of name to overlay",
)
  .optional()
  .describe(
    "Named overlays, chosen with --environment NAME and merged over the rest of the file: mappings merge deeply, lists replace, null removes a key.",
  );

/** The whole slipway.yaml: the base plus `environments`. */
export const configSchema = baseSchema.extend({ environments: environmentsSchema });
