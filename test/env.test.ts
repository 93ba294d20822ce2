import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { checkEnv } from "../src/env/check.js";
import {
  bool,
  defineEnv,
  EnvError,
  envSchema,
  num,
  oneOf,
  port,
  Secret,
  secret,
  str,
  url,
  type DefineEnvOptions,
} from "../src/env/index.js";
import { REPO } from "./support/project.js";

const TOKEN = "tok-SECRET-5f3a9c";

const schema = envSchema({
  PORT: port({ default: 3000 }),
  DATABASE_URL: url({ description: "a postgres:// URL", example: "postgres://localhost/app" }),
  LOG_LEVEL: oneOf(["debug", "info"], { default: "info" }),
  API_TOKEN: secret({ description: "Upstream API token." }),
  DEBUG_SQL: bool({ optional: true }),
});

const VALID = { DATABASE_URL: "postgres://db/app", API_TOKEN: TOKEN };

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "slipway-env-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** defineEnv on exactly `processEnv`, no files, throwing instead of exiting. */
function define<S extends Parameters<typeof defineEnv>[0]>(s: S, processEnv: Record<string, string>, options: DefineEnvOptions = {}) {
  return defineEnv(s, { files: [], processEnv, onError: "throw", onWarning: () => {}, ...options });
}

function envError(run: () => unknown): EnvError {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvError) return error;
    throw error;
  }
  throw new Error("expected an EnvError");
}

describe("defineEnv", () => {
  it("returns typed values, with defaults filled and optional ones undefined", () => {
    const env = define(schema, { ...VALID, DEBUG_SQL: "yes" });
    expect(env).toEqual({
      PORT: 3000,
      DATABASE_URL: "postgres://db/app",
      LOG_LEVEL: "info",
      API_TOKEN: expect.any(Secret),
      DEBUG_SQL: true,
    });
    expect(env.API_TOKEN.reveal()).toBe(TOKEN);
    expect(define(schema, VALID).DEBUG_SQL).toBeUndefined();
    expectTypeOf(env.PORT).toEqualTypeOf<number>();
    expectTypeOf(env.LOG_LEVEL).toEqualTypeOf<"debug" | "info">();
    expectTypeOf(env.API_TOKEN).toEqualTypeOf<Secret>();
    expectTypeOf(env.DEBUG_SQL).toEqualTypeOf<boolean | undefined>();
  });

  it("reports missing, malformed and extra variables together, with exact messages", () => {
    const processEnv = {
      PORT: "abc",
      DATABSE_URL: "postgres://db/app",
      LOG_LEVEL: "verbose",
      DEBUG_SQL: "maybe",
      DATABASE_POOL: "5",
      HOME: "/x",
    };
    const error = envError(() => define(schema, processEnv));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.problems).toEqual([
      'PORT: "abc" is not a port (1-65535)',
      "DATABASE_URL: missing (a postgres:// URL; example: postgres://localhost/app)",
      'LOG_LEVEL: "verbose" is not one of debug, info',
      "API_TOKEN: missing (Upstream API token.)",
      'DEBUG_SQL: "maybe" is not a boolean (true/false, 1/0, yes/no)',
    ]);
    expect(error.warnings).toEqual(["DATABASE_POOL: not in the schema", "DATABSE_URL: not in the schema, did you mean DATABASE_URL?"]);
    expect(error.format()).toBe(
      [
        "error: the environment has 5 problems",
        '  PORT: "abc" is not a port (1-65535)',
        "  DATABASE_URL: missing (a postgres:// URL; example: postgres://localhost/app)",
        '  LOG_LEVEL: "verbose" is not one of debug, info',
        "  API_TOKEN: missing (Upstream API token.)",
        '  DEBUG_SQL: "maybe" is not a boolean (true/false, 1/0, yes/no)',
        "  warning: DATABASE_POOL: not in the schema",
        "  warning: DATABSE_URL: not in the schema, did you mean DATABASE_URL?",
        "hint: set them in the environment or in .env; npx slipway env example writes a .env.example listing every variable",
        "",
      ].join("\n"),
    );
  });

  it("passes warnings on when valid, and makes them errors with strict", () => {
    const warnings: string[] = [];
    define(schema, { ...VALID, API_TOKN: "x", NODE_OPTIONS: "--inspect", SLIPWAY_VERSION: "v1" }, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual(["API_TOKN: not in the schema, did you mean API_TOKEN?"]);
    const error = envError(() => define(schema, { ...VALID, API_TOKN: "x" }, { strict: true }));
    expect(error.problems).toEqual(["API_TOKN: not in the schema, did you mean API_TOKEN?"]);
    expect(error.message).toBe("the environment has 1 problem");
  });

  it.each([
    ["num", "4.5", num(), 4.5],
    ["num", "1e3", num(), 1000],
    ["bool", "TRUE", bool(), true],
    ["bool", "0", bool(), false],
    ["bool", "no", bool(), false],
    ["url", "redis://cache:6379/0", url(), "redis://cache:6379/0"],
    ["port", "65535", port(), 65535],
    ["str", " spaced ", str(), " spaced "],
  ] as const)("%s() reads %j", (_kind, text, varSchema, value) => {
    expect(define({ V: varSchema }, { V: text }).V).toEqual(value);
  });

  it.each([
    ['V: "12abc" is not a number', num(), "12abc"],
    ['V: "maybe" is not a boolean (true/false, 1/0, yes/no)', bool(), "maybe"],
    ['V: "db.internal/app" is not a URL', url(), "db.internal/app"],
    ['V: "0" is not a port (1-65535)', port(), "0"],
    ['V: "80.5" is not a port (1-65535)', port(), "80.5"],
    ['V: "1.5" is invalid: Invalid input: expected int, received number', z.coerce.number().int(), "1.5"],
    ['V: "1" must look like v1', z.string().regex(/^v\d+$/, "must look like v1"), "1"],
  ])("reports a malformed value: %s", (problem, varSchema, text) => {
    expect(envError(() => define({ V: varSchema }, { V: text })).problems).toEqual([problem]);
  });

  it("treats an empty value as unset", () => {
    expect(envError(() => define(schema, { ...VALID, DATABASE_URL: "" })).problems).toEqual([
      "DATABASE_URL: missing (a postgres:// URL; example: postgres://localhost/app)",
    ]);
    expect(define(schema, { ...VALID, PORT: "" }).PORT).toBe(3000);
  });

  it("accepts plain zod schemas, with their own defaults and optionals", () => {
    const env = define(
      { REGION: z.enum(["eu", "us"]).default("eu"), TAGS: z.string().transform((s) => s.split(",")), NOTE: z.string().optional() },
      { TAGS: "a,b" },
    );
    expect(env).toEqual({ REGION: "eu", TAGS: ["a", "b"], NOTE: undefined });
    expectTypeOf(env.REGION).toEqualTypeOf<"eu" | "us">();
    expectTypeOf(env.NOTE).toEqualTypeOf<string | undefined>();
    expect(envError(() => define({ NAME: z.string().describe("The shop's name.") }, {})).problems).toEqual([
      "NAME: missing (The shop's name.)",
    ]);
  });

  it("uses devDefault outside production only", () => {
    const s = envSchema({ SESSION_SECRET: secret({ devDefault: "dev-only" }), WORKERS: num({ devDefault: 1, default: 4 }) });
    const dev = define(s, {});
    expect(dev.SESSION_SECRET.reveal()).toBe("dev-only");
    expect(dev.WORKERS).toBe(4);
    expect(define(s, { NODE_ENV: "test" }).SESSION_SECRET.reveal()).toBe("dev-only");
    expect(envError(() => define(s, { NODE_ENV: "production" })).problems).toEqual(["SESSION_SECRET: missing (a secret)"]);
    expect(define(s, { NODE_ENV: "production", SESSION_SECRET: "real" }).SESSION_SECRET.reveal()).toBe("real");
  });

  it("reports a default that does not fit its own schema", () => {
    expect(envError(() => define({ PORT: port({ default: 70000 }) }, {})).problems).toEqual([
      'PORT: default "70000" is not a port (1-65535)',
    ]);
  });

  it("returns a deep-frozen object", () => {
    const env = define({ ...schema, TAGS: z.string().transform((s) => s.split(",")) }, { ...VALID, TAGS: "a,b" });
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.TAGS)).toBe(true);
    expect(Object.isFrozen(env.API_TOKEN)).toBe(true);
    expect(() => {
      (env as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
    expect(() => (env.TAGS as string[]).push("c")).toThrow(TypeError);
  });

  it("rejects a schema that is not one", () => {
    expect(() => envSchema({ "BAD-NAME": str() })).toThrow('envSchema: "BAD-NAME" is not a valid variable name (letters, digits and _)');
    expect(() => envSchema({ PORT: 3000 } as never)).toThrow(
      "envSchema: PORT must be a schema (e.g. str(), z.string() or v.string()); got number 3000",
    );
  });
});

describe("secrets", () => {
  it("never show their value: JSON, util.inspect, template strings, concatenation", () => {
    const env = define(schema, VALID);
    expect(JSON.stringify(env)).toBe('{"PORT":3000,"DATABASE_URL":"postgres://db/app","LOG_LEVEL":"info","API_TOKEN":"[redacted]"}');
    expect(inspect(env)).not.toContain(TOKEN);
    expect(inspect(env.API_TOKEN)).toBe("[redacted]");
    expect(inspect({ nested: { token: env.API_TOKEN } }, { depth: 5 })).toBe("{ nested: { token: [redacted] } }");
    expect(`Bearer ${env.API_TOKEN}`).toBe("Bearer [redacted]");
    expect("x" + env.API_TOKEN).toBe("x[redacted]");
    expect(String(env.API_TOKEN)).toBe("[redacted]");
    expect(Object.keys(env.API_TOKEN)).toEqual([]);
    expect({ ...env.API_TOKEN }).toEqual({});
    expect(structuredClone(env.API_TOKEN)).toEqual({});
    expect(env.API_TOKEN.reveal()).toBe(TOKEN);
  });

  it("never show their value in error output", () => {
    const strict = envSchema({
      API_TOKEN: secret().refine((s) => s.reveal().length >= 32, "must be at least 32 characters"),
      PORT: port(),
    });
    const error = envError(() => define(strict, { API_TOKEN: TOKEN, API_TOKN: TOKEN, PORT: "x" }));
    expect(error.problems).toEqual(["API_TOKEN: [redacted] must be at least 32 characters", 'PORT: "x" is not a port (1-65535)']);
    expect(error.format()).not.toContain(TOKEN);
    expect(JSON.stringify(error)).not.toContain(TOKEN);
    expect(inspect(error)).not.toContain(TOKEN);
    const optional = envError(() =>
      define(
        {
          KEY: secret()
            .optional()
            .refine((s) => s === undefined, "must be unset"),
        },
        { KEY: TOKEN },
      ),
    );
    expect(optional.problems).toEqual(["KEY: [redacted] must be unset"]);
  });
});

describe(".env files", () => {
  it("reads .env through dotenv, with the process environment winning", () => {
    const dir = tempDir({
      ".env": [
        "# comment",
        "export DATABASE_URL=postgres://file/app",
        'API_TOKEN="multi',
        'line"',
        "LOG_LEVEL=debug # inline comment",
        "PORT=4000",
      ].join("\n"),
    });
    const env = defineEnv(schema, { cwd: dir, processEnv: { PORT: "5000" }, onError: "throw" });
    expect(env.DATABASE_URL).toBe("postgres://file/app");
    expect(env.API_TOKEN.reveal()).toBe("multi\nline");
    expect(env.LOG_LEVEL).toBe("debug");
    expect(env.PORT).toBe(5000);
  });

  it("reads files in order (later ones win) and skips missing ones", () => {
    const dir = tempDir({ ".env": "PORT=4000\nLOG_LEVEL=debug\n", ".env.local": "PORT=4001\n" });
    const env = defineEnv(schema, { cwd: dir, files: [".env", ".env.local", ".env.missing"], processEnv: VALID, onError: "throw" });
    expect([env.PORT, env.LOG_LEVEL]).toEqual([4001, "debug"]);
    expect(defineEnv(schema, { cwd: tempDir(), processEnv: VALID, onError: "throw" }).PORT).toBe(3000);
  });

  it("reports an unreadable file with the other problems", () => {
    const dir = tempDir();
    mkdirSync(join(dir, ".env"));
    expect(envError(() => defineEnv(schema, { cwd: dir, processEnv: VALID, onError: "throw" })).problems).toEqual([
      ".env: cannot read it (EISDIR)",
    ]);
  });
});

describe("checkEnv", () => {
  it("skips variables the platform provides", () => {
    const result = checkEnv(
      { PORT: port(), NAME: str() },
      { NAME: "x", SLIPWAY_VERSION: "v1" },
      { production: true, provided: (n) => n === "PORT" },
    );
    expect(result).toEqual({ values: { NAME: "x" }, problems: [], warnings: [] });
  });
});

describe("exit on problems (the default)", () => {
  it("prints every problem to stderr and exits 1", () => {
    const dir = tempDir({
      "app.mjs": [
        `import { defineEnv, port, secret } from ${JSON.stringify(join(REPO, "dist/env/index.js"))};`,
        "defineEnv({ PORT: port(), TOKEN: secret() });",
        "console.log('unreachable');",
      ].join("\n"),
    });
    const run = spawnSync(process.execPath, ["app.mjs"], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: "http", TOKN: TOKEN },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      [
        "error: the environment has 2 problems",
        '  PORT: "http" is not a port (1-65535)',
        "  TOKEN: missing (a secret)",
        "  warning: TOKN: not in the schema, did you mean TOKEN?",
        "hint: set them in the environment or in .env; npx slipway env example writes a .env.example listing every variable",
        "",
      ].join("\n"),
    );
  });
});
