import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatAddress, parseAddress } from "../src/config/address.js";
import { splitCommand } from "../src/config/command.js";
import { formatDuration, parseDuration } from "../src/config/duration.js";
import { configJsonSchema } from "../src/config/json-schema.js";
import { loadConfig, parseConfig } from "../src/config/load.js";
import { mergeOverlay } from "../src/config/overlay.js";
import { configReference } from "../src/config/reference.js";
import { DEFAULT_DRAIN_TIMEOUT, DEFAULT_PROGRESS_DEADLINE } from "../src/config/schema.js";
import { parseSize } from "../src/config/size.js";
import type { Config } from "../src/config/types.js";
import { SlipwayError } from "../src/errors.js";

const repo = fileURLToPath(new URL("..", import.meta.url));
const fixtures = join(repo, "test/fixtures/config");

/** YAML text from lines, so expected line numbers are easy to count. */
function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

const BASE = ["name: hello", "app:", "  command: node server.js"];

function parse(text: string, environment?: string) {
  return parseConfig(text, { file: "slipway.yaml", root: "/srv/hello", environment });
}

function failure(run: () => unknown): SlipwayError {
  try {
    run();
  } catch (error) {
    if (error instanceof SlipwayError) return error;
    throw error;
  }
  throw new Error("expected a SlipwayError");
}

describe("value parsers", () => {
  it.each([
    ["500ms", 500],
    ["2s", 2_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1m30s", 90_000],
    ["1.5s", 1_500],
    ["250", 250],
    [750, 750],
  ] as const)("parseDuration(%j) = %i", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it("rejects bad durations with a readable message", () => {
    expect(() => parseDuration("5 minutes")).toThrow(
      'invalid duration "5 minutes": expected a number with a unit, like 500ms, 2s, 5m, 1h or 1m30s',
    );
    expect(() => parseDuration(-1)).toThrow("invalid duration -1");
    expect(() => parseDuration("")).toThrow('invalid duration ""');
  });

  it("refuses durations past Node's timer limit (2^31-1 ms), naming the limit", () => {
    expect(parseDuration(2 ** 31 - 1)).toBe(2_147_483_647);
    expect(parseDuration("596h")).toBe(2_145_600_000);
    for (const input of ["700h", "99999999999999999999h", "99999999999999999999", 2 ** 31]) {
      expect(() => parseDuration(input)).toThrow(/too long: at most 2147483647ms \(about 24\.8 days/);
    }
  });

  it("formats durations back", () => {
    expect([0, 250, 90_000, 3_600_000, 3_723_004].map(formatDuration)).toEqual(["0s", "250ms", "1m30s", "1h", "1h2m3s4ms"]);
  });

  it("parses sizes in binary units", () => {
    expect(["512KB", "10MB", "1GB", "2KiB", "100", "1.5k"].map((size) => parseSize(size))).toEqual([
      524_288, 10_485_760, 1_073_741_824, 2048, 100, 1536,
    ]);
    expect(parseSize(4096)).toBe(4096);
    expect(() => parseSize("10 megs")).toThrow('invalid size "10 megs"');
  });

  it("parses addresses", () => {
    expect(parseAddress("127.0.0.1:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(parseAddress(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseAddress(8080)).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseAddress("[::1]:9000")).toEqual({ host: "::1", port: 9000 });
    expect(formatAddress({ host: "::1", port: 9000 })).toBe("[::1]:9000");
    expect(() => parseAddress("localhost")).toThrow('invalid address "localhost"');
    expect(() => parseAddress("localhost:70000")).toThrow("port must be between 0 and 65535");
  });

  it("splits commands like a shell, without one", () => {
    expect(splitCommand(`node "my app.js" --name 'a b' x\\ y "q\\"t"`)).toEqual(["node", "my app.js", "--name", "a b", "x y", 'q"t']);
    expect(splitCommand(`  sh -c 'echo ""'  `)).toEqual(["sh", "-c", 'echo ""']);
    expect(() => splitCommand(`node "server.js`)).toThrow("unterminated double quote");
  });

  it("merges overlays like a JSON merge patch", () => {
    const base = { app: { command: ["a", "b"], env: { A: "1", B: "2" } }, retain: 5 };
    expect(mergeOverlay(base, { app: { command: ["c"], env: { B: "3", A: null } }, retain: null })).toEqual({
      app: { command: ["c"], env: { B: "3" } },
    });
    expect(base.app.env).toEqual({ A: "1", B: "2" });
  });
});

/** Each bad config and the exact problems it produces. */
const BAD_CONFIGS: { name: string; text: string; environment?: string; problems: string[] }[] = [
  {
    name: "unknown key with a suggestion",
    text: yaml(...BASE, "  replcas: 3"),
    problems: ['app.replcas: unknown key, did you mean "replicas"? (slipway.yaml:4)'],
  },
  {
    name: "shared paths outside the app, absolute, its own state or overlapping",
    text: yaml(...BASE, "  shared: [/var/data, ../up, ., .slipway/x, data, data/db, '', 'uploads/*']"),
    problems: [
      'app.shared: "/var/data" must be relative to app.cwd, like data (slipway.yaml:4)',
      'app.shared: "../up" leaves app.cwd: shared paths must be inside the app directory (slipway.yaml:4)',
      'app.shared: "." is the app directory itself: name the directory or file that holds the data, like data (slipway.yaml:4)',
      'app.shared: ".slipway/x" is Slipway\'s own state directory (slipway.yaml:4)',
      'app.shared: "data/db" overlaps "data": list each shared path once, not one inside another (slipway.yaml:4)',
      'app.shared: "" must not be empty (slipway.yaml:4)',
      'app.shared: "uploads/*" is a pattern: list each shared file or directory by its name, like data (slipway.yaml:4)',
    ],
  },
  {
    name: "unknown key without a close match",
    text: yaml(...BASE, "colour: blue"),
    problems: ["colour: unknown key (slipway.yaml:4)"],
  },
  {
    name: "bad duration",
    text: yaml(...BASE, "drain: { timeout: 10 minutes }"),
    problems: ["drain.timeout: must be a duration like 500ms, 2s or 5m (slipway.yaml:4)"],
  },
  {
    name: "duration past Node's timer limit",
    text: yaml(
      ...BASE,
      "  shutdown: { timeout: 700h }",
      "drain: { timeout: 99999999999999999999h }",
      "hooks: { timeout: 99999999999999999999 }",
    ),
    problems: [
      "app.shutdown.timeout: must be at most 2147483647ms (about 24.8 days, 596h31m23s647ms): Node's timers cannot wait longer (slipway.yaml:4)",
      "drain.timeout: must be at most 2147483647ms (about 24.8 days, 596h31m23s647ms): Node's timers cannot wait longer (slipway.yaml:5)",
      "hooks.timeout: must be at most 2147483647ms (about 24.8 days, 596h31m23s647ms): Node's timers cannot wait longer (slipway.yaml:6)",
    ],
  },
  {
    name: "setWeight above 100",
    text: yaml(
      ...BASE,
      "strategy:",
      "  type: canary",
      "  canary:",
      "    steps:",
      "      - setWeight: 10",
      "      - pause: 30s",
      "      - setWeight: 150",
    ),
    problems: ["strategy.canary.steps[2].setWeight: must be between 0 and 100 (slipway.yaml:10)"],
  },
  {
    name: "replicas 0",
    text: yaml(...BASE, "  replicas: 0"),
    problems: ["app.replicas: must be a positive integer (slipway.yaml:4)"],
  },
  {
    name: "replicas 1000000",
    text: yaml(...BASE, "  replicas: 1000000"),
    problems: ["app.replicas: must be at most 1000 (each instance is a process or container with its own port) (slipway.yaml:4)"],
  },
  {
    name: "an empty word in a command",
    text: yaml("name: hello", "app:", '  command: ["", server.js]', "hooks:", '  preDeploy: ["./migrate", "  "]'),
    problems: [
      "app.command: has an empty word (word 1): remove it or write what it should be (slipway.yaml:3)",
      "hooks.preDeploy: has an empty word (word 2): remove it or write what it should be (slipway.yaml:5)",
    ],
  },
  {
    name: 'replicas "three"',
    text: yaml(...BASE, "  replicas: three"),
    problems: ["app.replicas: must be a positive integer (slipway.yaml:4)"],
  },
  {
    name: "bad percentages",
    text: yaml(
      ...BASE,
      "strategy:",
      "  type: canary",
      "  canary:",
      "    steps: [ { setWeight: 10 } ]",
      "    analysis:",
      "      maxErrorRate: 1 percent",
      "      compareToStable: 150%",
    ),
    problems: [
      "strategy.canary.analysis.maxErrorRate: must be a percentage like 1% or 0.5% (slipway.yaml:9)",
      "strategy.canary.analysis.compareToStable: must be between 0% and 100% (slipway.yaml:10)",
    ],
  },
  {
    name: "bad maxSurge",
    text: yaml(...BASE, "strategy:", "  rolling: { maxSurge: lots }"),
    problems: ["strategy.rolling.maxSurge: must be a whole number or a percentage like 25% (slipway.yaml:5)"],
  },
  {
    name: "wrong strategy type",
    text: yaml(...BASE, "strategy: { type: big-bang }"),
    problems: ["strategy.type: must be one of rolling, blue-green, canary (slipway.yaml:4)"],
  },
  {
    name: "missing name",
    text: yaml("app:", "  command: node server.js"),
    problems: ["name: is required (slipway.yaml:1)"],
  },
  {
    name: "missing app.command",
    text: yaml("name: hello", "app:", "  replicas: 2"),
    problems: ["app.command: is required for platform process (slipway.yaml:2)"],
  },
  {
    name: "probe with two checks",
    text: yaml(...BASE, "health:", "  readiness: { http: /health, tcp: true }"),
    problems: ["health.readiness: must have only one of http, tcp or exec (found http and tcp) (slipway.yaml:5)"],
  },
  {
    name: "probe with no check",
    text: yaml(...BASE, "health:", "  readiness: { interval: 2s }"),
    problems: ["health.readiness: must have one of http, tcp or exec (slipway.yaml:5)"],
  },
  {
    name: "probe values",
    text: yaml(...BASE, "health:", "  startup:", "    http: { path: health, port: 0 }", "    failureThreshold: 0"),
    problems: [
      'health.startup.http.path: must be a path starting with "/" (slipway.yaml:6)',
      "health.startup.http.port: must be a port number between 1 and 65535 (slipway.yaml:6)",
      "health.startup.failureThreshold: must be a positive integer (slipway.yaml:7)",
    ],
  },
  {
    name: "liveness successThreshold 2",
    text: yaml(...BASE, "health:", "  liveness: { http: /health, successThreshold: 2 }"),
    problems: ["health.liveness.successThreshold: must be 1 for liveness probes (as in Kubernetes) (slipway.yaml:5)"],
  },
  {
    name: "maxSurge 0 and maxUnavailable 0",
    text: yaml(...BASE, "strategy:", "  rolling: { maxSurge: 0, maxUnavailable: 0 }"),
    problems: ["strategy.rolling: maxSurge and maxUnavailable cannot both be 0, or no instance could ever be replaced (slipway.yaml:5)"],
  },
  {
    name: "listen collision",
    text: yaml(...BASE, "listen: 127.0.0.1:9000", "metrics: { listen: 9000 }"),
    problems: ["metrics.listen: 0.0.0.0:9000 clashes with listen (127.0.0.1:9000); they must differ (slipway.yaml:5)"],
  },
  {
    name: "preview listener collision",
    text: yaml(...BASE, "listen: :8080", "strategy:", "  type: blue-green", "  blueGreen: { previewListen: 127.0.0.1:8080 }"),
    problems: ["strategy.blueGreen.previewListen: 127.0.0.1:8080 clashes with listen (0.0.0.0:8080); they must differ (slipway.yaml:7)"],
  },
  {
    name: "canary without steps",
    text: yaml(...BASE, "strategy: { type: canary }"),
    problems: ["strategy.canary: is required when strategy.type is canary (with at least one step) (slipway.yaml:4)"],
  },
  {
    name: "canary steps that are not exactly one thing",
    text: yaml(
      ...BASE,
      "strategy:",
      "  type: canary",
      "  canary:",
      "    steps:",
      "      - { setWeight: 10, pause: 5s }",
      "      - {}",
      "      - pause: soon",
    ),
    problems: [
      "strategy.canary.steps[0]: must have only one of setWeight, pause or analysis (found setWeight and pause) (slipway.yaml:8)",
      "strategy.canary.steps[1]: must have one of setWeight, pause or analysis (slipway.yaml:9)",
      "strategy.canary.steps[2].pause: must be a duration like 30s, or {} to wait for `slipway promote` (slipway.yaml:10)",
    ],
  },
  {
    name: "blue-green without previewListen",
    text: yaml(...BASE, "strategy: { type: blue-green }"),
    problems: ["strategy.blueGreen.previewListen: is required when strategy.type is blue-green (slipway.yaml:4)"],
  },
  {
    name: "docker without an image source",
    text: "name: hello\nplatform: docker\napp:\n  replicas: 2\n",
    problems: ["app.build: is required for platform docker (or app.image for a prebuilt image) (slipway.yaml:3)"],
  },
  {
    name: "docker with both build and image",
    text: "name: hello\nplatform: docker\napp:\n  build: { context: . }\n  image: hello:1\n",
    problems: ["app.image: cannot be combined with app.build: pick one (slipway.yaml:5)"],
  },
  {
    name: "docker keys on the process platform",
    text: "name: hello\napp:\n  command: node s.js\n  image: hello:1\n  resources: { cpus: 0.5 }\n",
    problems: [
      "app.image: only applies to platforms docker, swarm and kubernetes (slipway.yaml:4)",
      "app.resources: only applies to platforms docker, swarm and kubernetes (slipway.yaml:5)",
    ],
  },
  {
    name: "platform unknown",
    text: yaml(...BASE, "platform: nomad"),
    problems: ["platform: must be one of process, docker, swarm, kubernetes (slipway.yaml:4)"],
  },
  {
    name: "kubernetes: a built image with no registry, shared data, another stop signal",
    text: "name: hello\nplatform: kubernetes\napp:\n  build: { context: . }\n  shared: [data]\n  shutdown: { signal: SIGINT }\n",
    problems: [
      "app.build: needs registry.repository on platform kubernetes: the cluster pulls the image from a registry (or give app.image) (slipway.yaml:4)",
      "app.shared: is not supported on platform kubernetes: keep such data in a PersistentVolumeClaim or a database (docs/kubernetes.md) (slipway.yaml:5)",
      "app.shutdown.signal: must be SIGTERM on platform kubernetes: the kubelet stops containers with it (slipway.yaml:6)",
    ],
  },
  {
    name: "kubernetes: router metrics and path checks",
    text: [
      "name: hello",
      "platform: kubernetes",
      "app: { image: hello:1 }",
      "strategy:",
      "  type: canary",
      "  canary:",
      "    steps: [{ setWeight: 20 }]",
      "    analysis: { maxErrorRate: 1%, checks: [{ http: { path: /health } }] }",
    ].join("\n"),
    problems: [
      "strategy.canary.analysis.maxErrorRate: needs request metrics from Slipway's router, which carries no traffic on platform kubernetes: judge the release with checks (a run check can query Prometheus) (slipway.yaml:8)",
      "strategy.canary.analysis.checks[0].http.path: cannot be used on platform kubernetes (the cluster, not Slipway's router, serves the app): give url, e.g. through your Gateway (slipway.yaml:8)",
    ],
  },
  {
    name: "kubernetes: a name that is not a Kubernetes name",
    text: "name: hello\nplatform: kubernetes\napp: { image: hello:1 }\nkubernetes: { httpRoute: Web_Route, port: 0 }\n",
    problems: [
      "kubernetes.port: must be a port from 1 to 65535 (slipway.yaml:4)",
      "kubernetes.httpRoute: must be a Kubernetes name: lowercase letters, digits, dots and dashes (slipway.yaml:4)",
    ],
  },
  {
    name: "app.envSchema not a path",
    text: yaml(...BASE, "  envSchema: 42"),
    problems: ["app.envSchema: must be a path to a JavaScript module, like ./env.js (slipway.yaml:4)"],
  },
  {
    name: "bad listen port",
    text: yaml(...BASE, "listen: 127.0.0.1:70000"),
    problems: ["listen: must have a port between 0 and 65535 (slipway.yaml:4)"],
  },
  {
    name: "unterminated quote in command",
    text: yaml("name: hello", "app:", '  command: node "server.js'),
    problems: ["app.command: has an unterminated quote (slipway.yaml:3)"],
  },
  {
    name: "bad checks and webhooks",
    text: yaml(
      ...BASE,
      "strategy:",
      "  blueGreen:",
      "    previewListen: 8081",
      "    prePromotion:",
      "      - http: { path: /health, url: http://localhost/health }",
      "      - run: ''",
      "notify: { webhooks: [ { url: http://hooks, events: [deploy.exploded] } ] }",
    ),
    problems: [
      "strategy.blueGreen.prePromotion[0].http: must have only one of url or path (found url and path) (slipway.yaml:8)",
      "strategy.blueGreen.prePromotion[1].run: must not be empty (slipway.yaml:9)",
      "notify.webhooks[0].events[0]: must be one of rollout.started, rollout.step, rollout.paused, rollout.promoted, rollout.succeeded, rollout.failed, rollout.aborted, rollout.rolled-back (slipway.yaml:10)",
    ],
  },
  {
    name: "bad check fields, and a check-level timeout beside http",
    text: yaml(
      ...BASE,
      "strategy:",
      "  blueGreen:",
      "    previewListen: 8081",
      "    prePromotion:",
      "      - { http: { path: /health, expectStatus: 99, expectBody: '' }, timeout: 5s }",
      "      - { run: [], timeout: soon }",
      "      - run: '   '",
    ),
    problems: [
      "strategy.blueGreen.prePromotion[0].http.expectStatus: must be an HTTP status code (slipway.yaml:8)",
      "strategy.blueGreen.prePromotion[0].http.expectBody: must not be empty (slipway.yaml:8)",
      "strategy.blueGreen.prePromotion[0].timeout: applies to run checks only; put an http check's timeout inside http (slipway.yaml:8)",
      "strategy.blueGreen.prePromotion[1].run: must not be empty (slipway.yaml:9)",
      "strategy.blueGreen.prePromotion[1].timeout: must be a duration like 500ms, 2s or 5m (slipway.yaml:9)",
      "strategy.blueGreen.prePromotion[2].run: must not be empty (slipway.yaml:10)",
    ],
  },
  {
    name: "bad hooks",
    text: yaml(...BASE, "hooks:", "  preDepoly: ./migrate", "  postDeploy: ''", "  prePromote: { run: x }", "  timeout: ages"),
    problems: [
      'hooks.preDepoly: unknown key, did you mean "preDeploy"? (slipway.yaml:5)',
      "hooks.postDeploy: must not be empty (slipway.yaml:6)",
      "hooks.prePromote: must be a command: a string or a list of strings (slipway.yaml:7)",
      "hooks.timeout: must be a duration like 500ms, 2s or 5m (slipway.yaml:8)",
    ],
  },
  {
    name: "bad webhooks, each with its own problem",
    text: yaml(
      ...BASE,
      "notify:",
      "  webhooks:",
      "    - 5",
      "    - ftp://hooks.example",
      "    - { url: http://hooks.example, events: [] }",
      "    - { url: http://hooks.example, evnts: [rollout.failed] }",
      "    - { url: hooks.example, events: [rollout.done] }",
      "  timeout: forever",
    ),
    problems: [
      "notify.webhooks[0]: must be an http(s) URL, or a mapping with url and events (slipway.yaml:6)",
      "notify.webhooks[1]: must be an http:// or https:// URL (slipway.yaml:7)",
      "notify.webhooks[2].events: must list at least one event (leave events out for all) (slipway.yaml:8)",
      'notify.webhooks[3].evnts: unknown key, did you mean "events"? (slipway.yaml:9)',
      "notify.webhooks[4].url: must be an http:// or https:// URL (slipway.yaml:10)",
      "notify.webhooks[4].events[0]: must be one of rollout.started, rollout.step, rollout.paused, rollout.promoted, rollout.succeeded, rollout.failed, rollout.aborted, rollout.rolled-back (slipway.yaml:10)",
      "notify.timeout: must be a duration like 500ms, 2s or 5m (slipway.yaml:11)",
    ],
  },
  {
    name: "a pause mapping reports its own field",
    text: yaml(...BASE, "strategy:", "  type: canary", "  canary:", "    steps:", "      - pause: { duration: soon }"),
    problems: ["strategy.canary.steps[0].pause.duration: must be a duration like 500ms, 2s or 5m (slipway.yaml:8)"],
  },
  {
    name: "YAML syntax error",
    text: yaml("name: hello", "app:", "  command: [node, server.js", "retain: 3"),
    problems: ["YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] (slipway.yaml:4)"],
  },
  {
    name: "duplicate key",
    text: yaml(...BASE, "name: again"),
    problems: ["YAML syntax error: Map keys must be unique (slipway.yaml:4)"],
  },
  {
    name: "not a mapping",
    text: yaml("- name: hello"),
    problems: ["must be a mapping of keys like name: and app: (slipway.yaml:1)"],
  },
  {
    name: "several problems at once, in file order",
    text: yaml("name: Hello World", "app:", "  command: []", "  replicas: -1", "retain: 0", "logs: { maxSize: huge, maxFile: 2 }"),
    problems: [
      "name: must be lowercase letters, digits and dashes, like hello-api (slipway.yaml:1)",
      "app.command: must not be empty (slipway.yaml:3)",
      "app.replicas: must be a positive integer (slipway.yaml:4)",
      "retain: must be a positive integer (slipway.yaml:5)",
      "logs.maxSize: must be a size like 512KB or 10MB, or a number of bytes (slipway.yaml:6)",
      'logs.maxFile: unknown key, did you mean "maxFiles"? (slipway.yaml:6)',
    ],
  },
  {
    name: "audit ignores without reason, with a bad rule ID or an impossible date",
    text: yaml(
      ...BASE,
      "audit:",
      "  ignore:",
      "    - { rule: SW1002 }",
      "    - { rule: DL3007, reason: hadolint id }",
      "    - { rule: SW1001, reason: base pinned by renovate, until: 2027-02-30 }",
      "  actionPinning: commit",
    ),
    problems: [
      "audit.ignore[0].reason: is required (slipway.yaml:6)",
      "audit.ignore[1].rule: must be a rule ID like SW1001 (see slipway audit --list-rules) (slipway.yaml:7)",
      "audit.ignore[2].until: must be a date like 2027-01-31 (slipway.yaml:8)",
      "audit.actionPinning: must be one of tag, sha (slipway.yaml:9)",
    ],
  },
  {
    name: "problem in an environment that is not selected",
    text: yaml(...BASE, "environments:", "  staging: { app: { replicas: 2 } }", "  production:", "    app: { replcas: 5 }"),
    environment: "staging",
    problems: ['environments.production.app.replcas: unknown key, did you mean "replicas"? (slipway.yaml:7)'],
  },
  {
    name: "problem coming from the selected environment",
    text: yaml(...BASE, "environments:", "  production:", "    app: { replicas: 0 }"),
    environment: "production",
    problems: ["environments.production.app.replicas: must be a positive integer (slipway.yaml:6)"],
  },
  {
    name: "guard problem located in the selected environment",
    text: yaml(...BASE, "environments:", "  production:", "    metrics: { listen: :8080 }"),
    environment: "production",
    problems: [
      "environments.production.metrics.listen: 0.0.0.0:8080 clashes with listen (127.0.0.1:8080); they must differ (slipway.yaml:6)",
    ],
  },
];

describe("bad configs", () => {
  it.each(BAD_CONFIGS)("$name", ({ text, environment, problems }) => {
    const error = failure(() => parse(text, environment));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.details).toEqual(problems);
    expect(error.message).toBe(`slipway.yaml has ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
    expect(error.hint).toBe("see docs/config.md for every key, its type and default");
  });

  it("rejects an unknown environment, listing the known ones", () => {
    const text = yaml(...BASE, "environments:", "  staging: {}", "  production: {}");
    const error = failure(() => parse(text, "prod"));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe('unknown environment "prod" (known: staging, production)');
    expect(error.hint).toBe("pass one of: staging, production");
    expect(failure(() => parse(yaml(...BASE), "prod")).message).toBe('unknown environment "prod" (slipway.yaml defines no environments)');
  });
});

describe("good configs", () => {
  it("fills every default", () => {
    const { config, environments } = parse(yaml(...BASE));
    const expected: Config = {
      name: "hello",
      platform: "process",
      listen: { host: "127.0.0.1", port: 8080 },
      app: {
        command: ["sh", "-c", "exec node server.js"],
        commandForm: "shell",
        cwd: "/srv/hello",
        replicas: 1,
        env: {},
        passEnv: [],
        shared: [],
        shutdown: { signal: "SIGTERM", timeout: 30_000 },
      },
      health: {},
      strategy: { type: "rolling", rolling: { maxSurge: { count: 1 }, maxUnavailable: { count: 0 }, minReady: 0 } },
      router: { responseTimeout: 60_000, upstreamIdleTimeout: 1000, trustedProxies: [], hosts: [] },
      drain: { timeout: parseDuration(DEFAULT_DRAIN_TIMEOUT) },
      progressDeadline: parseDuration(DEFAULT_PROGRESS_DEADLINE),
      retain: 5,
      logs: { maxSize: 10 * 1024 * 1024, maxFiles: 5 },
      dashboard: { listen: { host: "127.0.0.1", port: 7070 }, hosts: [] },
      hooks: { timeout: 300_000 },
      notify: { webhooks: [], timeout: 5_000 },
      docker: { network: "host", restartPolicy: "no", init: true },
      swarm: { portBase: 41000, constraints: [] },
      kubernetes: { port: 8080, imagePullSecrets: [], envFrom: [] },
      audit: { ignore: [], actionPinning: "tag" },
    };
    expect(config).toEqual(expected);
    expect(environments).toEqual([]);
  });

  it("fills blue-green, check, hooks and notify defaults", () => {
    const { config } = parse(
      yaml(
        ...BASE,
        "strategy:",
        "  type: blue-green",
        "  blueGreen:",
        "    previewListen: 8081",
        "    prePromotion:",
        "      - http: { path: /health }",
        "      - run: curl -fsS $SLIPWAY_PREVIEW_URL/ready",
        "      - run: [./smoke, --fast]",
        "hooks: { postDeploy: ./notify-team.sh done }",
        "notify: { webhooks: [https://hooks.example/a] }",
      ),
    );
    const blueGreen = config.strategy.blueGreen;
    expect(blueGreen?.scaleDownDelay).toBe(300_000);
    expect(blueGreen?.autoPromote).toBe(true);
    expect(blueGreen?.prePromotion).toStrictEqual([
      { kind: "http", path: "/health", method: "GET", timeout: 10_000 },
      { kind: "run", command: ["sh", "-c", "curl -fsS $SLIPWAY_PREVIEW_URL/ready"], timeout: 300_000 },
      { kind: "run", command: ["./smoke", "--fast"], timeout: 300_000 },
    ]);
    expect(config.hooks).toStrictEqual({ postDeploy: ["./notify-team.sh", "done"], timeout: 300_000 });
    expect(config.notify).toStrictEqual({ webhooks: [{ url: "https://hooks.example/a", events: "all" }], timeout: 5_000 });
  });

  it("lets an environment change or remove hooks and webhooks", () => {
    const text = yaml(
      ...BASE,
      "hooks: { preDeploy: ./migrate, postDeploy: ./announce }",
      "notify: { webhooks: [https://hooks.example/a] }",
      "environments:",
      "  staging:",
      "    hooks: { postDeploy: null, timeout: 30s }",
      "    notify: { webhooks: [] }",
    );
    expect(parse(text).config.hooks).toEqual({ preDeploy: ["./migrate"], postDeploy: ["./announce"], timeout: 300_000 });
    const staging = parse(text, "staging").config;
    expect(staging.hooks).toStrictEqual({ preDeploy: ["./migrate"], timeout: 30_000 });
    expect(staging.notify.webhooks).toEqual([]);
  });

  it("normalizes durations, sizes, percentages, probes, commands and env values", () => {
    const { config } = loadConfig({ cwd: join(fixtures, "hello") });
    expect(config.app).toEqual({
      command: ["sh", "-c", 'exec node "my server.js" --verbose'],
      commandForm: "shell",
      cwd: join(fixtures, "hello/app"),
      replicas: 2,
      env: { LOG_LEVEL: "debug", WORKERS: "4", DEBUG: "true" },
      passEnv: [],
      shared: [],
      shutdown: { signal: "SIGINT", timeout: 10_000 },
    });
    expect(config.health).toEqual({
      startup: {
        check: { kind: "http", path: "/health" },
        initialDelay: 0,
        interval: 250,
        timeout: 1000,
        successThreshold: 1,
        failureThreshold: 120,
      },
      readiness: { check: { kind: "tcp" }, initialDelay: 0, interval: 1000, timeout: 1000, successThreshold: 1, failureThreshold: 3 },
      liveness: {
        check: { kind: "exec", command: ["./check.sh", "--quick"] },
        initialDelay: 0,
        interval: 5000,
        timeout: 1000,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
    expect(config.strategy.rolling).toEqual({ maxSurge: { percent: 25 }, maxUnavailable: { count: 0 }, minReady: 90_000 });
    expect(config.drain.timeout).toBe(45_000);
    expect(config.progressDeadline).toBe(600_000);
    expect(config.logs).toEqual({ maxSize: 524_288, maxFiles: 2 });
    expect(config.metrics).toEqual({ listen: { host: "127.0.0.1", port: 9464 } });
  });

  it("normalizes canary, blue-green, hooks and notify sections (percentages become fractions)", () => {
    const { config } = loadConfig({ cwd: fixtures, file: "full-canary.yaml" });
    const { canary, blueGreen } = config.strategy;
    expect(canary?.replicas).toEqual({ percent: 25 });
    expect(canary?.stickiness).toBe("none");
    expect(canary?.header).toBe(false);
    expect(canary?.steps).toEqual([
      { kind: "setWeight", weight: 10 },
      { kind: "pause", duration: 30_000 },
      { kind: "pause" },
      { kind: "pause", duration: 120_000 },
      {
        kind: "analysis",
        analysis: {
          interval: 5000,
          window: 60_000,
          minRequests: 50,
          maxErrorRate: 0.01,
          maxLatency: { p99: 500 },
          failureLimit: 0,
          inconclusiveLimit: 3,
          checks: [{ kind: "run", command: ["sh", "-c", "npm run smoke"], timeout: 300_000 }],
        },
      },
      { kind: "setWeight", weight: 100 },
    ]);
    expect(canary?.analysis).toEqual({
      interval: 10_000,
      window: 30_000,
      minRequests: 20,
      maxErrorRate: 0.005,
      compareToStable: 0.005,
      failureLimit: 2,
      inconclusiveLimit: 3,
      checks: [{ kind: "http", url: "https://shop.example/health", method: "HEAD", expectStatus: 204, timeout: 2_000 }],
    });
    expect(blueGreen).toEqual({
      previewListen: { host: "127.0.0.1", port: 8081 },
      autoPromote: false,
      scaleDownDelay: 600_000,
      prePromotion: [
        { kind: "http", path: "/health", method: "GET", expectStatus: 200, expectBody: '"ok":true', timeout: 10_000 },
        { kind: "run", command: ["sh", "-c", "npm run test:smoke | tee smoke.log"], timeout: 600_000 },
        { kind: "run", command: ["node", "smoke.js", "--quick"], timeout: 300_000 },
      ],
      postPromotion: {
        interval: 5000,
        window: 30_000,
        minRequests: 50,
        maxErrorRate: 0.01,
        failureLimit: 0,
        inconclusiveLimit: 3,
        checks: [],
      },
    });
    expect(config.metrics).toEqual({ listen: { host: "127.0.0.1", port: 9464 } });
    expect(config.hooks).toEqual({
      preDeploy: ["npm", "run", "migrate", "--", "--to", "latest"],
      postRollback: ["node", "scripts/page.js", "on call"],
      timeout: 120_000,
    });
    expect(config.notify).toEqual({
      webhooks: [
        { url: "https://hooks.example/slipway", events: ["rollout.failed", "rollout.rolled-back"] },
        { url: "https://hooks.example/all", events: "all" },
        { url: "https://hooks.slack.example/T000/B000/XXX", events: "all" },
      ],
      timeout: 2_000,
    });
  });

  it("merges the chosen environment deeply, replacing lists and removing null keys", () => {
    const loaded = loadConfig({ cwd: join(fixtures, "hello"), environment: "production" });
    expect(loaded.environments).toEqual(["staging", "production"]);
    expect(loaded.config.app.command).toEqual(["node", "server.js"]);
    expect(loaded.config.app.commandForm).toBe("words");
    expect(loaded.config.app.replicas).toBe(5);
    expect(loaded.config.app.env).toEqual({ LOG_LEVEL: "info", WORKERS: "4", DEBUG: "true" });
    expect(loaded.config.app.shutdown).toEqual({ signal: "SIGINT", timeout: 10_000 });
    expect(loaded.config.health.readiness?.check).toEqual({ kind: "http", path: "/ready" });
    expect(loaded.config.health.readiness?.interval).toBe(1000);
    const staging = loadConfig({ cwd: join(fixtures, "hello"), environment: "staging" });
    expect(staging.config.app.replicas).toBe(2);
  });

  it("resolves app.envSchema against app.cwd, and lets an environment set it", () => {
    const text = yaml(
      ...BASE,
      "  cwd: ./app",
      "  envSchema: ./env.js",
      "environments:",
      "  staging:",
      "    app: { envSchema: config/env.js }",
    );
    expect(parse(text).config.app.envSchema).toBe("/srv/hello/app/env.js");
    expect(parse(text, "staging").config.app.envSchema).toBe("/srv/hello/app/config/env.js");
    expect(parse(yaml(...BASE)).config.app).not.toHaveProperty("envSchema");
  });

  it("normalizes app.shared paths (./data/ -> data)", () => {
    const { config } = parse(yaml(...BASE, "  shared: [./data/, uploads, var/db.sqlite]"));
    expect(config.app.shared).toEqual(["data", "uploads", "var/db.sqlite"]);
  });

  it("returns a deep-frozen config", () => {
    const { config } = loadConfig({ cwd: join(fixtures, "hello") });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.app.command)).toBe(true);
    expect(Object.isFrozen(config.health.liveness?.check)).toBe(true);
    expect(() => {
      (config.app as { replicas: number }).replicas = 9;
    }).toThrow(TypeError);
  });

  it("parses the hello example", () => {
    const { config, environments } = loadConfig({ cwd: join(repo, "examples/hello") });
    expect(config.name).toBe("hello");
    expect(environments).toEqual(["production"]);
  });
});

describe("loadConfig", () => {
  it("finds slipway.yaml, then slipway.yml, and reports where it came from", () => {
    const hello = loadConfig({ cwd: join(fixtures, "hello") });
    expect(hello.file).toBe(join(fixtures, "hello/slipway.yaml"));
    expect(hello.root).toBe(join(fixtures, "hello"));
    const yml = loadConfig({ cwd: join(fixtures, "yml-only") });
    expect(yml.file).toBe(join(fixtures, "yml-only/slipway.yml"));
    expect(yml.config.app.cwd).toBe(join(fixtures, "yml-only"));
  });

  it("names the file relative to cwd in problems", () => {
    const error = failure(() => loadConfig({ cwd: join(fixtures, "nested"), file: "deploy/canary-with-bad-steps.yaml" }));
    expect(error.message).toBe("deploy/canary-with-bad-steps.yaml has 2 problems");
    expect(error.details).toEqual([
      "strategy.canary.steps[2].setWeight: must be between 0 and 100 (deploy/canary-with-bad-steps.yaml:12)",
      "strategy.canary.steps[4].analysis.maxErrorRate: must be a percentage like 1% or 0.5% (deploy/canary-with-bad-steps.yaml:14)",
    ]);
  });

  it("explains a missing file", () => {
    const dir = join(fixtures, "nested");
    const error = failure(() => loadConfig({ cwd: dir }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe(`no slipway.yaml in ${dir}`);
    expect(error.hint).toBe("create one (see docs/config.md) or pass -c FILE");
    expect(failure(() => loadConfig({ cwd: dir, file: "nope.yaml" })).message).toBe(`no such config file: ${resolve(dir, "nope.yaml")}`);
  });
});

describe("JSON Schema", () => {
  const schema = configJsonSchema() as {
    $schema: string;
    title: string;
    type: string;
    required: string[];
    additionalProperties: boolean;
    properties: Record<string, { description?: string; properties?: Record<string, unknown>; required?: string[] }>;
  };

  it("describes the top-level keys for editors", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.title).toBe("slipway.yaml");
    expect(schema.type).toBe("object");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["name", "app"]);
    for (const key of ["name", "app", "health", "strategy", "environments"]) expect(schema.properties).toHaveProperty(key);
    expect(Object.keys(schema.properties.app?.properties ?? {})).toEqual([
      "command",
      "build",
      "image",
      "resources",
      "cwd",
      "replicas",
      "env",
      "passEnv",
      "shared",
      "envSchema",
      "shutdown",
    ]);
    expect(schema.properties.app?.required).toBeUndefined();
    expect(Object.keys(schema.properties.strategy?.properties ?? {})).toEqual(["type", "rolling", "canary", "blueGreen"]);
    expect(Object.keys(schema.properties.hooks?.properties ?? {})).toEqual([
      "preDeploy",
      "prePromote",
      "postDeploy",
      "postRollback",
      "timeout",
    ]);
    expect(Object.keys(schema.properties.notify?.properties ?? {})).toEqual(["webhooks", "timeout"]);
  });

  it("has a description on every property and nothing internal", () => {
    const missing: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (typeof node !== "object" || node === null) return;
      const record = node as Record<string, unknown>;
      const properties = record["properties"] as Record<string, Record<string, unknown>> | undefined;
      for (const [key, child] of Object.entries(properties ?? {})) {
        if (typeof child["description"] !== "string") missing.push(`${path}${key}`);
        visit(child, `${path}${key}.`);
      }
      for (const list of ["anyOf", "items", "additionalProperties"]) [record[list]].flat().forEach((child) => visit(child, path));
    };
    visit(schema, "");
    expect(missing).toEqual([]);
    const text = JSON.stringify(schema);
    expect(text).not.toContain("x-doc-type");
    expect(text).not.toContain(String(Number.MAX_SAFE_INTEGER));
  });
});

describe("docs/config.md and docs/slipway.schema.json", () => {
  it("match the schema (regenerate with npm run build && node scripts/gen-config-docs.mjs)", () => {
    expect(readFileSync(join(repo, "docs/config.md"), "utf8")).toBe(configReference());
    expect(readFileSync(join(repo, "docs/slipway.schema.json"), "utf8")).toBe(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });
});
