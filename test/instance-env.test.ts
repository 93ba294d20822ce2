import Database from "better-sqlite3";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { daemonEnv } from "../src/cli/daemon-env.js";
import { workloadEnv } from "../src/config/pass-env.js";
import { helloConfig, TestProject, waitFor } from "./support/project.js";
import type { Status } from "./support/status.js";

/** What the operator's shell holds when they run `slipway deploy`. */
const OPERATOR = {
  DOCKER_USERNAME: "deployer",
  DOCKER_PASSWORD: "hunter2-secret",
  GITHUB_TOKEN: "ghp_operator-token-0123456789",
  OPERATOR_ONLY: "operator-only-value",
  SENTRY_DSN: "https://key@sentry.example/1",
  OTEL_SERVICE_NAME: "hello-otel",
  TZ: "UTC",
  LC_TIME: "C",
};
const NEVER = ["hunter2-secret", "ghp_operator-token-0123456789", "operator-only-value", "deployer"];
const APP_ENV = { SHUTDOWN_DELAY_MS: "800", SHUTDOWN_TIMEOUT_MS: "4500", GREETING: "from-app-env" };
const FLAGS = { FROM_FLAG: "from-the-flag" };
const PASS_ENV = ["SENTRY_DSN", "OTEL_*"];

/** /proc/<pid>/environ as a map. */
function environ(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/** `env` output (NAME=value lines) as a map; multi-line values are not used here. */
function envFile(path: string): Record<string, string> {
  const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

let project: TestProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe("an instance's environment is explicit, not the operator's", () => {
  it("keeps DOCKER_PASSWORD, GITHUB_TOKEN and the rest of the shell out of instances, hooks, probes, the ledger and status", async () => {
    project = await TestProject.create();
    const dir = project.dir;
    project.writeConfig(
      helloConfig(project.port, `hooks: { postDeploy: ["sh", "-c", "env > ${dir}/hook.env"] }\n`)
        .replace("  replicas: 3\n", `  replicas: 2\n  passEnv: [${PASS_ENV.join(", ")}]\n`)
        .replace(/env: \{ SHUTDOWN_DELAY_MS: "800", SHUTDOWN_TIMEOUT_MS: "4500" \}/, `env: ${JSON.stringify(APP_ENV)}`)
        .replace(/ {2}liveness:.*\n/, `  liveness: { exec: ["sh", "-c", "env > ${dir}/probe-$SLIPWAY_INSTANCE.env"], interval: 200ms }\n`),
    );

    const deploy = await project.runWith(OPERATOR, "deploy", "--version", "v1", "--env", `FROM_FLAG=${FLAGS.FROM_FLAG}`);
    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);

    const statusText = (await project.run("status", "--json")).stdout;
    const status = JSON.parse(statusText) as Status;
    expect(status.instances.map((i) => i.state)).toEqual(["ready", "ready"]);

    // exactly what the CLI's environment passes (the daemon got it minus the registry credentials), app.env, --env, Slipway's
    const cliEnv = { ...process.env, CI: "1", ...OPERATOR };
    const passed = workloadEnv({ parent: daemonEnv(cliEnv), workload: "process", passEnv: PASS_ENV, releaseEnv: { ...APP_ENV, ...FLAGS } });
    const expected = [...Object.keys(passed), "PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_INSTANCE"].sort();
    for (const instance of status.instances) {
      const env = environ(instance.pid);
      expect(Object.keys(env).sort()).toEqual(expected);
      expect(env).toMatchObject({
        PATH: process.env.PATH, // allowlisted
        TZ: "UTC",
        LC_TIME: "C",
        SENTRY_DSN: OPERATOR.SENTRY_DSN, // app.passEnv
        OTEL_SERVICE_NAME: "hello-otel", // app.passEnv prefix
        GREETING: "from-app-env", // app.env
        FROM_FLAG: "from-the-flag", // --env
        SLIPWAY_INSTANCE: instance.id,
        SLIPWAY_VERSION: "v1",
      });
      for (const name of ["DOCKER_USERNAME", "DOCKER_PASSWORD", "GITHUB_TOKEN", "OPERATOR_ONLY", "CI"])
        expect(env).not.toHaveProperty(name);
    }

    // the daemon itself never holds the registry credentials (they travel with a push's request only)
    const daemon = environ(status.daemon.pid);
    expect(daemon).not.toHaveProperty("DOCKER_PASSWORD");
    expect(daemon).not.toHaveProperty("DOCKER_USERNAME");

    // the postDeploy hook: the same explicit environment, plus the hook's SLIPWAY_* variables
    const hook = await waitFor(
      "the postDeploy hook's env",
      () => existsSync(join(dir, "hook.env")) && complete(envFile(join(dir, "hook.env"))),
    );
    expect(hook).toMatchObject({
      SENTRY_DSN: OPERATOR.SENTRY_DSN,
      GREETING: "from-app-env",
      FROM_FLAG: "from-the-flag",
      SLIPWAY_HOOK: "postDeploy",
    });
    // an exec probe: the instance's environment
    const probeFile = join(dir, `probe-${status.instances[0]!.id}.env`);
    const probe = await waitFor("an exec liveness probe's env", () => existsSync(probeFile) && complete(envFile(probeFile)));
    expect(probe).toMatchObject({ SENTRY_DSN: OPERATOR.SENTRY_DSN, FROM_FLAG: "from-the-flag", SLIPWAY_INSTANCE: status.instances[0]!.id });
    for (const env of [hook, probe]) {
      for (const name of ["DOCKER_USERNAME", "DOCKER_PASSWORD", "GITHUB_TOKEN", "OPERATOR_ONLY"]) expect(env).not.toHaveProperty(name);
    }

    // nowhere in Slipway's state or output
    const files = ["ledger.db", "ledger.db-wal", "daemon.log"].map((f) => join(dir, ".slipway", f)).filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const secret of NEVER) {
      for (const file of files) expect(readFileSync(file).includes(secret), `${secret} in ${file}`).toBe(false);
      expect(statusText).not.toContain(secret);
      expect(deploy.stdout).not.toContain(secret);
    }
    // what the ledger records of each instance is that same explicit environment (a restarted daemon restarts them as they were)
    const db = new Database(join(dir, ".slipway/ledger.db"), { readonly: true });
    const specs = (db.prepare("SELECT spec_json FROM instances").all() as { spec_json: string }[]).map(
      (r) => JSON.parse(r.spec_json) as { id: string; env: Record<string, string> },
    );
    db.close();
    expect(specs.map((spec) => spec.id).sort()).toEqual(status.instances.map((i) => i.id).sort());
    for (const spec of specs) {
      expect(Object.keys(spec.env).sort()).toEqual(expected);
    }
  });
});

/** An env dump read while its writer was still at it is partial: wait for its last variable, PATH being early. */
function complete(env: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(env).some((k) => k.startsWith("SLIPWAY_")) ? env : undefined;
}
