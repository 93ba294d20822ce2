/**
 * Every default of slipway.yaml, as written in YAML. The schema, the CLI flags
 * and the generated reference (docs/config.md) all reuse these constants, so a
 * default is changed in exactly one place.
 */

/** Config file names looked up in the working directory, in order. */
export const CONFIG_FILE_NAMES = ["slipway.yaml", "slipway.yml"] as const;

export const DEFAULT_PLATFORM = "process";
/** The port a Kubernetes pod's app listens on (as most images expect). */
export const DEFAULT_KUBERNETES_PORT = 8080;
export const DEFAULT_LISTEN = "127.0.0.1:8080";

export const DEFAULT_APP_CWD = ".";
/**
 * Variables a process instance, a hook and a `run` check get from the
 * daemon's environment when set there; nothing else of it reaches them
 * (`app.passEnv` adds names). Only what locates programs and describes the
 * account and locale, as systemd gives a service (PATH, LANG; USER, LOGNAME,
 * HOME, SHELL with User=), sudo keeps (env_reset, distros' env_keep of
 * LANG/LANGUAGE/LC_*, TZ) and tox passes (PATH, HOME, LANG, LANGUAGE, TMPDIR).
 * A trailing `*` matches a prefix.
 */
export const DEFAULT_PASS_ENV = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_*", "TZ", "TMPDIR"] as const;
export const DEFAULT_REPLICAS = 1;
/**
 * The most instances `app.replicas` may ask for: each one is a process (or
 * container) with its own port and health probes on one machine, and a
 * million of them is a typo, not a plan.
 */
export const MAX_REPLICAS = 1000;
export const DEFAULT_SHUTDOWN_SIGNAL = "SIGTERM";
export const DEFAULT_SHUTDOWN_TIMEOUT = "30s";
/**
 * Containers (docker, swarm) run the engine's init (docker-init, i.e. tini) as
 * PID 1 with the app as its child, like `docker run --init`: the stop signal
 * reaches apps not written to be PID 1, and zombies are reaped.
 */
export const DEFAULT_DOCKER_INIT = true;

export const DEFAULT_PROBE_INITIAL_DELAY = "0s";
export const DEFAULT_PROBE_INTERVAL = "1s";
export const DEFAULT_PROBE_TIMEOUT = "1s";
export const DEFAULT_PROBE_SUCCESS_THRESHOLD = 1;
export const DEFAULT_PROBE_FAILURE_THRESHOLD = 3;

export const DEFAULT_STRATEGY = "rolling";
export const DEFAULT_MAX_SURGE = 1;
export const DEFAULT_MAX_UNAVAILABLE = 0;
export const DEFAULT_MIN_READY = "0s";

export const DEFAULT_CANARY_REPLICAS = 1;
export const DEFAULT_CANARY_STICKINESS = "cookie";
export const DEFAULT_CANARY_HEADER = "X-Slipway-Route";

export const DEFAULT_ANALYSIS_INTERVAL = "5s";
export const DEFAULT_ANALYSIS_WINDOW = "30s";
export const DEFAULT_ANALYSIS_MIN_REQUESTS = 50;
export const DEFAULT_ANALYSIS_FAILURE_LIMIT = 0;
export const DEFAULT_ANALYSIS_INCONCLUSIVE_LIMIT = 3;

export const DEFAULT_CHECK_METHOD = "GET";
export const DEFAULT_HTTP_CHECK_TIMEOUT = "10s";
export const DEFAULT_RUN_CHECK_TIMEOUT = "5m";

export const DEFAULT_AUTO_PROMOTE = true;
export const DEFAULT_SCALE_DOWN_DELAY = "5m";

export const DEFAULT_DRAIN_TIMEOUT = "30s";
/** How long the router waits for an instance's response headers before answering 504 (nginx's proxy_read_timeout). */
export const DEFAULT_RESPONSE_TIMEOUT = "60s";
/**
 * How long the router keeps an idle keep-alive socket to an instance: below the app's own keep-alive
 * timeout (Node's default is 5s, gunicorn's 2s), so the app never closes a socket the router is about to reuse.
 */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT = "1s";
/** Proxies in front of the router whose X-Forwarded-* headers are believed: none. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = [];
/** The router's HTTPS address when `router.tls` is on. */
export const DEFAULT_TLS_LISTEN = ":443";
/** ACME directory unless told otherwise (Let's Encrypt production). */
export const DEFAULT_ACME_DIRECTORY = "letsencrypt";
/** Renew once a third of a certificate's lifetime is left (Caddy's and Let's Encrypt's advice). */
export const DEFAULT_ACME_RENEWAL_WINDOW = "33%";
/** HSTS max-age when `hsts: true`: a year, in seconds. */
export const DEFAULT_HSTS_MAX_AGE = 31_536_000;
export const DEFAULT_PROGRESS_DEADLINE = "5m";
export const DEFAULT_RETAIN = 5;
export const DEFAULT_LOG_MAX_SIZE = "10MB";
export const DEFAULT_LOG_MAX_FILES = 5;
export const DEFAULT_METRICS_LISTEN = "127.0.0.1:9464";
/** Where `slipway dashboard` listens unless told otherwise (loopback: nobody else reaches it). */
export const DEFAULT_DASHBOARD_LISTEN = "127.0.0.1:7070";

export const DEFAULT_HOOK_TIMEOUT = "5m";
export const DEFAULT_NOTIFY_TIMEOUT = "5s";
