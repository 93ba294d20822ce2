import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import * as v from "valibot";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { z as z3 } from "zod/v3";
import { defineEnv, EnvError, envExample, envSchema, port, Secret, secret, type DefineEnvOptions } from "../src/env/index.js";
import { loadEnvSchema } from "../src/env/load-schema.js";
import { REPO } from "./support/project.js";

/**
 * slipway/env takes the schemas people already have: a zod object (the brief's
 * `z.object({...}).parse(process.env)` pattern), a valibot object, an object
 * of Standard Schemas (t3-env's shape); secrets declared with secret() inside
 * them stay redacted; anything else is one TypeError.
 */

const TOKEN = "tok-SECRET-9b1e";
const quiet: DefineEnvOptions = { files: [], onError: "throw", onWarning: () => {} };

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvError) return [...error.problems];
    throw error;
  }
  throw new Error("expected an EnvError");
}

describe("a zod object", () => {
  const schema = z.object({
    PORT: z.coerce.number().int().default(3000),
    NODE_ENV: z.enum(["development", "production"]).default("development"),
    DATABASE_URL: z.string().url(),
    API_TOKEN: secret({ description: "Upstream API token." }),
  });

  it("gives typed values, its own defaults, and a redacted secret", () => {
    const env = defineEnv(schema, { ...quiet, processEnv: { DATABASE_URL: "postgres://db/app", API_TOKEN: TOKEN } });
    expect(env.PORT).toBe(3000);
    expect(env.NODE_ENV).toBe("development");
    expect(env.API_TOKEN).toBeInstanceOf(Secret);
    expect(env.API_TOKEN.reveal()).toBe(TOKEN);
    expect(JSON.stringify(env)).not.toContain(TOKEN);
    expect(inspect(env)).not.toContain(TOKEN);
    expect(Object.isFrozen(env)).toBe(true);
    expectTypeOf(env.PORT).toEqualTypeOf<number>();
    expectTypeOf(env.NODE_ENV).toEqualTypeOf<"development" | "production">();
    expectTypeOf(env.API_TOKEN).toEqualTypeOf<Secret>();
  });

  it("reports every problem by name, the secret's value never", () => {
    const env = { PORT: "eighty", API_TOKEN: TOKEN, DATABASE_URL: "not a url" };
    const found = problems(() =>
      defineEnv(schema.extend({ API_TOKEN: secret().refine((s) => s.reveal().length > 40, "must be 40+ characters") }), {
        ...quiet,
        processEnv: env,
      }),
    );
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^PORT: "eighty" is invalid: /);
    expect(found[1]).toMatch(/^DATABASE_URL: "not a url" is invalid: /);
    expect(found[2]).toBe("API_TOKEN: [redacted] must be 40+ characters");
    expect(problems(() => defineEnv(schema, { ...quiet, processEnv: {} }))).toEqual([
      "DATABASE_URL: missing (a string)",
      "API_TOKEN: missing (Upstream API token.)",
    ]);
  });

  it("envSchema takes it too, and the result feeds .env.example", () => {
    const shape = envSchema(schema);
    expect(Object.keys(shape)).toEqual(["PORT", "NODE_ENV", "DATABASE_URL", "API_TOKEN"]);
    expect(Object.isFrozen(shape)).toBe(true);
    const example = envExample(shape);
    expect(example).toMatch(/^PORT=3000$/m);
    expect(example).toMatch(/^API_TOKEN=$/m);
    expectTypeOf(defineEnv(shape, { ...quiet, processEnv: { DATABASE_URL: "x://y", API_TOKEN: "t" } }).PORT).toEqualTypeOf<number>();
  });
});

describe("a valibot object, and an object of valibot schemas", () => {
  const schema = v.object({
    PORT: v.pipe(v.string(), v.transform(Number), v.integer()),
    MODE: v.optional(v.picklist(["a", "b"]), "a"),
    API_TOKEN: secret() as unknown as v.GenericSchema<string, Secret>,
  });

  it("gives the values valibot gives, and a redacted secret declared with secret()", () => {
    const env = defineEnv(schema, { ...quiet, processEnv: { PORT: "8080", API_TOKEN: TOKEN } });
    expect(env).toMatchObject({ PORT: 8080, MODE: "a" });
    expect(env.API_TOKEN.reveal()).toBe(TOKEN);
    expect(`${env.API_TOKEN}`).toBe("[redacted]");
    expectTypeOf(env.PORT).toEqualTypeOf<number>();
    expectTypeOf(env.MODE).toEqualTypeOf<"a" | "b">();
  });

  it("reports valibot's messages by variable", () => {
    expect(problems(() => defineEnv(schema, { ...quiet, processEnv: { PORT: "8.5", MODE: "c" } }))).toEqual([
      'PORT: "8.5" is invalid: Invalid integer: Received 8.5',
      'MODE: "c" is invalid: Invalid type: Expected ("a" | "b") but received "c"',
      "API_TOKEN: missing (a secret)",
    ]);
  });

  it("takes an object whose values are Standard Schemas (t3-env's shape)", () => {
    const env = defineEnv({ REGION: v.picklist(["eu", "us"]), PORT: port({ default: 3000 }) }, { ...quiet, processEnv: { REGION: "eu" } });
    expect(env).toEqual({ REGION: "eu", PORT: 3000 });
    expectTypeOf(env.REGION).toEqualTypeOf<"eu" | "us">();
  });

  it("refuses an asynchronous validator with a TypeError", () => {
    const slow = v.pipeAsync(
      v.string(),
      v.checkAsync(async () => true),
    );
    expect(() => defineEnv({ KEY: slow } as never, { ...quiet, processEnv: { KEY: "x" } })).toThrow(
      "env schema: KEY validates asynchronously; an env schema must be synchronous",
    );
  });
});

describe("checks across variables, and zod 3", () => {
  it("a zod .refine on the object and a valibot check on it run once every variable is valid", () => {
    const either = z.object({ A: z.string().optional(), B: z.string().optional() }).refine((o) => o.A || o.B, "set A or B");
    expect(problems(() => defineEnv(either, { ...quiet, processEnv: {} }))).toEqual(["env: set A or B"]);
    expect(defineEnv(either, { ...quiet, processEnv: { B: "b" } })).toEqual({ A: undefined, B: "b" });
    const same = v.pipe(
      v.object({ PASSWORD: v.string(), CONFIRM: v.string() }),
      v.forward(
        v.check((o) => o.PASSWORD === o.CONFIRM, "must equal PASSWORD"),
        ["CONFIRM"],
      ),
    );
    expect(problems(() => defineEnv(same, { ...quiet, processEnv: { PASSWORD: "a", CONFIRM: "b" } }))).toEqual([
      "CONFIRM: must equal PASSWORD",
    ]);
    // a variable's own problem is reported first, alone
    expect(problems(() => defineEnv(same, { ...quiet, processEnv: { PASSWORD: "a" } }))).toEqual(["CONFIRM: missing (a string)"]);
  });

  it("takes a zod 3 object, refined or not", () => {
    const env = defineEnv(z3.object({ PORT: z3.coerce.number(), MODE: z3.enum(["a", "b"]).default("a") }), {
      ...quiet,
      processEnv: { PORT: "81" },
    });
    expect(env).toEqual({ PORT: 81, MODE: "a" });
    const refined = z3.object({ A: z3.string().optional() }).refine((o) => o.A !== undefined, "A is needed");
    expect(problems(() => defineEnv(refined, { ...quiet, processEnv: {} }))).toEqual(["env: A is needed"]);
  });
});

describe("anything else", () => {
  const accepted =
    "expected an object of variable schemas (envSchema({ PORT: port() }), zod or any Standard Schema as values), a zod object (z.object({ ... })) or a valibot object (v.object({ ... }))";
  it.each([
    ["a string", "PORT", 'got string "PORT"'],
    ["a zod string", z.string(), "got a zod string schema whose variables cannot be listed"],
    ["a valibot string", v.string(), "got a valibot string schema whose variables cannot be listed"],
    ["null", null, "got null"],
    ["undefined", undefined, "got undefined"],
    [
      "an arktype-like schema",
      { "~standard": { version: 1, vendor: "arktype", validate: () => ({ value: {} }) } },
      "got an arktype schema whose variables cannot be listed",
    ],
    ["an array", [port()], "got an array"],
    ["an empty object", {}, "got an empty object"],
  ])("%s is one TypeError naming it and what is accepted", (_label, input, got) => {
    expect(() => defineEnv(input as never, quiet)).toThrow(new TypeError(`defineEnv: ${accepted}; got ${got.slice(4)}`));
    expect(() => envSchema(input as never)).toThrow(`envSchema: ${accepted}; ${got}`);
  });

  it("a value that is not a schema, or a bad name, is named", () => {
    expect(() => defineEnv({ PORT: 3000 } as never, quiet)).toThrow(
      "defineEnv: PORT must be a schema (e.g. str(), z.string() or v.string()); got number 3000",
    );
    expect(() => defineEnv(z.object({ "BAD KEY": z.string() }), quiet)).toThrow('defineEnv: "BAD KEY" is not a valid variable name');
  });
});

describe("slipway env reads a module that exports a zod or valibot object", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the schema whether exported or only handed to defineEnv", async () => {
    dir = mkdtempSync(join(tmpdir(), "slipway-env-schemas-"));
    // the module imports zod, valibot and slipway/env as an app would: from its own node_modules
    const modules = join(dir, "node_modules");
    symlinkSync(join(REPO, "node_modules"), modules);
    writeFileSync(
      join(dir, "exported.mjs"),
      `import { z } from "zod";\nexport default z.object({ PORT: z.coerce.number().default(8080), SECRET_KEY: z.string().min(8) });\n`,
    );
    writeFileSync(
      join(dir, "defined.mjs"),
      `import * as v from "valibot";\nimport { defineEnv } from ${JSON.stringify(join(REPO, "dist/env/index.js"))};\nexport const env = defineEnv(v.object({ REGION: v.optional(v.picklist(["eu", "us"]), "eu") }));\n`,
    );
    expect(Object.keys(await loadEnvSchema(join(dir, "exported.mjs")))).toEqual(["PORT", "SECRET_KEY"]);
    const defined = await loadEnvSchema(join(dir, "defined.mjs"));
    expect(Object.keys(defined)).toEqual(["REGION"]);
    expect(envExample(defined)).toMatch(/^# string; optional\n# REGION=$/m);
    // an export meant as the schema that is not one: the TypeError's words, not "exports no env schema"
    writeFileSync(join(dir, "wrong.mjs"), `import { z } from "zod";\nexport default z.string();\n`);
    await expect(loadEnvSchema(join(dir, "wrong.mjs"), dir)).rejects.toThrow(
      "wrong.mjs's default export: expected an object of variable schemas",
    );
  });
});
