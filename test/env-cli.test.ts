import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { helloConfig, linkSlipway, REPO, runCli, TestProject } from "./support/project.js";

const HELLO_ENV = join(REPO, "examples/hello/env.js");
const FIXTURES = join(REPO, "test/fixtures/env");
const TOKEN = "tok-SECRET-5f3a9c";

const HELLO_EXAMPLE = `# Environment variables of this app, generated from its env schema (slipway env example).
# Copy to .env and fill in the blanks; commented-out variables are optional.

# Port to listen on; Slipway sets it for every instance.
# port; default: 3000
PORT=3000

# How much to log.
# one of debug, info, warn, error; default: info
LOG_LEVEL=info

# The message the app answers with.
# string; default: hello
GREETING=hello

# Token for the upstream API; calls to it are skipped without one.
# secret; optional
# API_TOKEN=
`;

const HELLO_DOCS = `| Variable | Type | Required | Default | Description |
| --- | --- | --- | --- | --- |
| \`PORT\` | port | no | \`3000\` | Port to listen on; Slipway sets it for every instance. |
| \`LOG_LEVEL\` | \`debug\` \\| \`info\` \\| \`warn\` \\| \`error\` | no | \`info\` | How much to log. |
| \`GREETING\` | string | no | \`hello\` | The message the app answers with. |
| \`API_TOKEN\` | secret | no |  | Token for the upstream API; calls to it are skipped without one. Secret: printed as \`[redacted]\`, \`.reveal()\` gives the value. |
`;

const CHECK_HINT = "hint: set them in .env or the environment; slipway env example writes a .env.example listing every variable";

let dirs: string[] = [];
let project: TestProject | undefined;
afterEach(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
  await project?.cleanup();
  project = undefined;
});

/** A temp app directory with `files` (paths may have folders), slipway linked in. */
function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-env-cli-"));
  dirs.push(dir);
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  linkSlipway(dir);
  return dir;
}

/** Runs the built CLI in `cwd` with exactly `env` (plus PATH), so the checked environment is known. */
const slipway = (cwd: string, args: string[], env: Record<string, string> = {}) => runCli(cwd, args, { env, cleanEnv: true });

const helloApp = (files: Record<string, string> = {}) => app({ "env.js": readFileSync(HELLO_ENV, "utf8"), ...files });

describe("slipway env check", () => {
  it("exits 0 for a valid environment: the process environment over .env", async () => {
    const dir = helloApp({ ".env": "GREETING=hi\n" });
    const r = await slipway(dir, ["env", "check"], { LOG_LEVEL: "debug" });
    expect(r).toEqual({
      code: 0,
      stdout: "the environment is valid for env.js: 4 variables (the process environment over .env)\n",
      stderr: "",
    });
  });

  it("exits 2 listing every problem, warnings included, never a secret's value", async () => {
    const dir = helloApp();
    const r = await slipway(dir, ["env", "check"], { PORT: "abc", LOG_LEVEL: "verbose", GREETNG: "x", API_TOKEN: TOKEN });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        "error: the environment has 2 problems (the process environment, checked against env.js)",
        '  PORT: "abc" is not a port (1-65535)',
        '  LOG_LEVEL: "verbose" is not one of debug, info, warn, error',
        "  warning: GREETNG: not in the schema, did you mean GREETING?",
        CHECK_HINT,
        "",
      ].join("\n"),
    );
    expect(r.stderr).not.toContain(TOKEN);
  });

  it("--file checks the file alone; --with-process-env lays the process environment over it", async () => {
    const dir = helloApp({ "prod.env": "PORT=8080\nLOG_LEVEL=warn\n" });
    const alone = await slipway(dir, ["env", "check", "--file", "prod.env"], { PORT: "abc" });
    expect(alone.stdout).toBe("the environment is valid for env.js: 4 variables (prod.env)\n");
    expect(alone.code).toBe(0);
    const layered = await slipway(dir, ["env", "check", "--file", "prod.env", "--with-process-env"], { PORT: "abc" });
    expect(layered.code).toBe(2);
    expect(layered.stderr.split("\n").slice(0, 2)).toEqual([
      "error: the environment has 1 problem (the process environment over prod.env, checked against env.js)",
      '  PORT: "abc" is not a port (1-65535)',
    ]);
    const missing = await slipway(dir, ["env", "check", "--file", "nope.env"]);
    expect(missing).toEqual({ code: 2, stdout: "", stderr: "error: --file nope.env: no such file\nhint: check the path\n" });
  });

  it("--production: devDefault values no longer apply", async () => {
    const dir = app({});
    const env = { DATABASE_URL: "postgres://db/app", SHOP_NAME: "Shop" };
    const args = ["env", "check", "--schema", join(FIXTURES, "shop.js")];
    expect((await slipway(dir, args, env)).code).toBe(0);
    const prod = await slipway(dir, [...args, "--production"], env);
    expect(prod.code).toBe(2);
    expect(prod.stderr).toContain("\n  WORKERS: missing (Worker threads.)\n  SESSION_SECRET: missing (Signs session cookies.)\n");
    expect((await slipway(dir, args, { ...env, NODE_ENV: "production" })).stderr).toBe(prod.stderr);
  });

  it("says where it looked when there is no schema", async () => {
    const r = await slipway(app({}), ["env", "check"]);
    expect(r).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "error: no env schema found: no env.schema.js or env.js in .\n" +
        "hint: pass --schema FILE, set app.envSchema in slipway.yaml, or write env.js (see docs/app-env.md)\n",
    });
  });
});

describe("slipway env example and env docs", () => {
  it("example writes .env.example in the app directory (app.cwd), from app.envSchema", async () => {
    const dir = app({
      "slipway.yaml": "name: hello\napp:\n  command: node server.js\n  cwd: ./web\n  envSchema: ./config/env.js\n",
      "web/config/env.js": readFileSync(HELLO_ENV, "utf8"),
    });
    const r = await slipway(dir, ["env", "example"]);
    expect(r).toEqual({ code: 0, stdout: "wrote web/.env.example (4 variables)\n", stderr: "" });
    expect(readFileSync(join(dir, "web/.env.example"), "utf8")).toBe(HELLO_EXAMPLE);
    expect((await slipway(dir, ["env", "example", "--out", "-"])).stdout).toBe(HELLO_EXAMPLE);
    expect((await slipway(dir, ["env", "example", "--out", "custom.env"])).stdout).toBe("wrote custom.env (4 variables)\n");
    expect(readFileSync(join(dir, "custom.env"), "utf8")).toBe(HELLO_EXAMPLE);
  });

  it("docs prints the Markdown table, even when the module's own environment would be invalid", async () => {
    const r = await slipway(helloApp(), ["env", "docs"], { PORT: "not-a-port" });
    expect(r).toEqual({ code: 0, stdout: HELLO_DOCS, stderr: "" });
    const shop = await slipway(app({}), ["env", "docs", "--schema", join(FIXTURES, "shop.js")]);
    expect(shop.code).toBe(0);
    expect(shop.stdout).toContain("| `DATABASE_URL` | URL | yes |  | a postgres:// URL. Example: `postgres://localhost/app`. |");
  });
});

describe("slipway deploy with app.envSchema", () => {
  /** helloConfig with app.envSchema set and LOG_LEVEL: verbose added to app.env (whatever else app.env holds). */
  const withSchema = (port: number) => {
    const yaml = helloConfig(port).replace(/^ {2}replicas: \d+$/m, "  replicas: 2\n  envSchema: ./needs-database.js");
    return /^ {2}env: \{/m.test(yaml)
      ? yaml.replace(/^ {2}env: \{/m, "  env: { LOG_LEVEL: verbose,")
      : yaml.replace("  envSchema:", "  env: { LOG_LEVEL: verbose }\n  envSchema:");
  };

  async function databaseProject(): Promise<TestProject> {
    for (const name of ["DATABASE_URL", "CACHE_TTL", "LOG_LEVEL", "NODE_ENV"]) delete process.env[name];
    const p = await TestProject.create(withSchema);
    cpSync(join(FIXTURES, "needs-database.js"), join(p.dir, "needs-database.js"));
    if (!existsSync(join(p.dir, "node_modules/slipway"))) linkSlipway(p.dir);
    return p;
  }

  it("refuses to deploy, before any state or daemon exists, listing what is missing or malformed", async () => {
    project = await databaseProject();
    const r = await project.run("deploy", "--version", "v1", "--env", "CACHE_TL=60");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        "error: the release environment has 3 problems (checked against app.envSchema needs-database.js)",
        "  DATABASE_URL: missing (a postgres:// URL; example: postgres://localhost/app)",
        '  LOG_LEVEL: "verbose" is not one of debug, info, warn, error',
        "  CACHE_TTL: missing (Seconds to cache pages.)",
        "  warning: CACHE_TL: not in the schema, did you mean CACHE_TTL?",
        "hint: set them under app.env in slipway.yaml, pass --env NAME=VALUE, or name them in app.passEnv to take them from the daemon's environment (Slipway sets PORT and SLIPWAY_*)",
        "",
      ].join("\n"),
    );
    expect(existsSync(join(project.dir, ".slipway"))).toBe(false);
  });

  it("env check --release runs the same check without deploying", async () => {
    project = await databaseProject();
    const refused = await project.run("env", "check", "--release", "--env", "CACHE_TL=60");
    expect(refused.code).toBe(2);
    expect(refused.stderr.split("\n")[0]).toBe(
      "error: the release environment has 3 problems (checked against app.envSchema needs-database.js)",
    );
    const args = ["--env", "DATABASE_URL=postgres://db/app", "--env", "CACHE_TTL=60", "--env", "LOG_LEVEL=info"];
    expect(await project.run("env", "check", "--release", ...args)).toEqual({
      code: 0,
      stdout:
        "the release environment is valid for needs-database.js: 4 variables (--env over app.env over passed variables of the process environment)\n",
      stderr: "",
    });
    expect(existsSync(join(project.dir, ".slipway"))).toBe(false);
  });

  it("refuses a schema module that does not exist", async () => {
    project = await databaseProject();
    project.writeConfig(withSchema(project.port).replace("./needs-database.js", "./nope.js"));
    expect(await project.run("deploy")).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: app.envSchema: no such file nope.js\nhint: check the path\n",
    });
    expect(existsSync(join(project.dir, ".slipway"))).toBe(false);
  });

  it("deploys once --env supplies the rest (PORT is Slipway's to set)", async () => {
    project = await databaseProject();
    const args = ["--env", "DATABASE_URL=postgres://db/app", "--env", "CACHE_TTL=60", "--env", "LOG_LEVEL=info"];
    const r = await project.run("deploy", "--version", "v1", ...args);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/release 1 \(v1\) is live/);
  });
});
