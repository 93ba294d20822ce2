import { describe, expect, it } from "vitest";
import { DEFAULT_PASS_ENV } from "../src/config/defaults.js";
import { parseConfig } from "../src/config/load.js";
import { passEnvFor, passes, passedEnv, workloadEnv } from "../src/config/pass-env.js";
import { daemonEnv } from "../src/cli/daemon-env.js";
import type { SlipwayError } from "../src/errors.js";

/** An operator's shell, as `slipway deploy` sees it. */
const SHELL = {
  PATH: "/usr/local/bin:/usr/bin",
  HOME: "/home/ops",
  USER: "ops",
  LANG: "en_US.UTF-8",
  LC_ALL: "C.UTF-8",
  LC_TIME: "en_GB.UTF-8",
  TZ: "Europe/Paris",
  TMPDIR: "/tmp/ops",
  TERM: "xterm-256color",
  DOCKER_USERNAME: "deployer",
  DOCKER_PASSWORD: "hunter2-secret",
  GITHUB_TOKEN: "ghp_operator",
  AWS_SECRET_ACCESS_KEY: "aws-secret",
  SSH_AUTH_SOCK: "/tmp/ssh-agent.sock",
  NODE_OPTIONS: "--inspect",
  SENTRY_DSN: "https://sentry.example/1",
  OTEL_SERVICE_NAME: "hello",
  OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
  SLIPWAY_VERSION: "from-the-shell",
  UNSET: undefined,
};

describe("passes", () => {
  it.each([
    ["PATH", ["PATH"], true],
    ["PATHEXT", ["PATH"], false],
    ["LC_TIME", ["LC_*"], true],
    ["LC_", ["LC_*"], true],
    ["LC", ["LC_*"], false],
    ["lc_time", ["LC_*"], false],
    ["path", ["PATH"], false],
    ["OTEL_SERVICE_NAME", ["OTEL_*"], true],
    ["GITHUB_TOKEN", [...DEFAULT_PASS_ENV], false],
    ["DOCKER_PASSWORD", [...DEFAULT_PASS_ENV], false],
    ["ANYTHING", [], false],
  ] as const)("%s through %j: %s", (name, patterns, expected) => {
    expect(passes(name, patterns)).toBe(expected);
  });
});

describe("passedEnv", () => {
  it("keeps the defaults of an operator's shell and nothing else", () => {
    expect(passedEnv(SHELL, DEFAULT_PASS_ENV)).toEqual({
      PATH: "/usr/local/bin:/usr/bin",
      HOME: "/home/ops",
      USER: "ops",
      LANG: "en_US.UTF-8",
      LC_ALL: "C.UTF-8",
      LC_TIME: "en_GB.UTF-8",
      TZ: "Europe/Paris",
      TMPDIR: "/tmp/ops",
    });
  });

  it("leaves out unset variables", () => {
    expect(passedEnv(SHELL, ["UNSET", "NOT_THERE"])).toEqual({});
  });
});

describe("workloadEnv", () => {
  const cases: [string, Parameters<typeof workloadEnv>[0], Record<string, string>][] = [
    [
      "process: the defaults, passEnv names and prefixes, then the release's own variables",
      { parent: SHELL, workload: "process", passEnv: ["SENTRY_DSN", "OTEL_*"], releaseEnv: { LOG_LEVEL: "debug" } },
      {
        ...passedEnv(SHELL, DEFAULT_PASS_ENV),
        SENTRY_DSN: "https://sentry.example/1",
        OTEL_SERVICE_NAME: "hello",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
        LOG_LEVEL: "debug",
      },
    ],
    [
      "container: passEnv alone, so the image keeps its PATH and HOME",
      { parent: SHELL, workload: "container", passEnv: ["SENTRY_DSN"], releaseEnv: { LOG_LEVEL: "debug" } },
      { SENTRY_DSN: "https://sentry.example/1", LOG_LEVEL: "debug" },
    ],
    [
      "container without passEnv: the release's variables only",
      { parent: SHELL, workload: "container", passEnv: [], releaseEnv: { A: "1" } },
      { A: "1" },
    ],
    [
      "the release's variables win over passed ones",
      { parent: SHELL, workload: "process", passEnv: [], releaseEnv: { PATH: "/app/bin", TZ: "UTC" } },
      { ...passedEnv(SHELL, DEFAULT_PASS_ENV), PATH: "/app/bin", TZ: "UTC" },
    ],
    [
      "an operator who names a secret in passEnv gets it passed (their explicit choice)",
      { parent: SHELL, workload: "container", passEnv: ["GITHUB_TOKEN"], releaseEnv: {} },
      { GITHUB_TOKEN: "ghp_operator" },
    ],
    [
      "an empty parent (a daemon started with env -i)",
      { parent: {}, workload: "process", passEnv: ["SENTRY_DSN"], releaseEnv: { A: "1" } },
      { A: "1" },
    ],
  ];
  it.each(cases)("%s", (_, options, expected) => {
    expect(workloadEnv(options)).toEqual(expected);
  });

  it("never passes registry credentials, tokens or other shell state by default", () => {
    const env = workloadEnv({ parent: SHELL, workload: "process", passEnv: [], releaseEnv: {} });
    for (const name of [
      "DOCKER_USERNAME",
      "DOCKER_PASSWORD",
      "GITHUB_TOKEN",
      "AWS_SECRET_ACCESS_KEY",
      "SSH_AUTH_SOCK",
      "NODE_OPTIONS",
      "TERM",
    ]) {
      expect(env).not.toHaveProperty(name);
    }
    // SLIPWAY_* of the shell is not Slipway's: the fleet sets its own
    expect(env).not.toHaveProperty("SLIPWAY_VERSION");
  });
});

describe("passEnvFor", () => {
  it("adds the defaults for what runs on this host only", () => {
    expect(passEnvFor("process", ["X"])).toEqual([...DEFAULT_PASS_ENV, "X"]);
    expect(passEnvFor("container", ["X"])).toEqual(["X"]);
  });
});

describe("daemonEnv", () => {
  it("withholds the registry credentials from the daemon's environment, keeps the rest", () => {
    const env = daemonEnv(SHELL);
    expect(env).not.toHaveProperty("DOCKER_USERNAME");
    expect(env).not.toHaveProperty("DOCKER_PASSWORD");
    expect(env.GITHUB_TOKEN).toBe("ghp_operator"); // the daemon keeps it; it only never passes it on
    expect(SHELL.DOCKER_PASSWORD).toBe("hunter2-secret"); // not mutated
  });
});

describe("app.passEnv in slipway.yaml", () => {
  const parse = (passEnv: string) =>
    parseConfig(`name: x\napp: { command: node s.js, passEnv: ${passEnv} }\n`, { file: "slipway.yaml", root: "/x" });

  it("defaults to [] and keeps names and prefixes", () => {
    expect(parseConfig("name: x\napp: { command: node s.js }\n", { file: "slipway.yaml", root: "/x" }).config.app.passEnv).toEqual([]);
    expect(parse("[SENTRY_DSN, OTEL_*]").config.app.passEnv).toEqual(["SENTRY_DSN", "OTEL_*"]);
  });

  it.each([
    ['["*"]', "app.passEnv[0]: must be a variable name, or a prefix ending in *, like OTEL_* (slipway.yaml:2)"],
    ['[OK, "A B"]', "app.passEnv[1]: must be a variable name, or a prefix ending in *, like OTEL_* (slipway.yaml:2)"],
    ['["*_TOKEN"]', "app.passEnv[0]: must be a variable name, or a prefix ending in *, like OTEL_* (slipway.yaml:2)"],
    ["SENTRY_DSN", "app.passEnv: must be a list of variable names, like [SENTRY_DSN, OTEL_*] (slipway.yaml:2)"],
  ])("refuses %s", (value, problem) => {
    let details: unknown;
    try {
      parse(value);
    } catch (error) {
      details = (error as SlipwayError).details;
    }
    expect(details).toEqual([problem]);
  });
});
