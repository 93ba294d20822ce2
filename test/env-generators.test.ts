import dotenv from "dotenv";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { envDocs, envExample, envSchema, secret, str } from "../src/env/index.js";
import { loadEnvSchema } from "../src/env/load-schema.js";
import { SlipwayError } from "../src/errors.js";

const fixtures = fileURLToPath(new URL("./fixtures/env/", import.meta.url));
const shop = () => loadEnvSchema(join(fixtures, "shop.js"));

const SHOP_EXAMPLE = `# Environment variables of this app, generated from its env schema (slipway env example).
# Copy to .env and fill in the blanks; commented-out variables are optional.

# Port to listen on.
# port; default: 3000
PORT=3000

# a postgres:// URL
# URL; required
DATABASE_URL=postgres://localhost/app

# How much to log.
# one of debug, info, warn, error; default: info
LOG_LEVEL=info

# Worker threads.
# number; required in production; default outside production: 1
WORKERS=1

# Turns search on.
# Needs the search index.
# boolean; optional
# FEATURE_SEARCH=

# Shown in the page title.
# string; required
SHOP_NAME="Corner Shop #1"

# Signs session cookies.
# secret; required in production; default outside production: dev-only-secret
SESSION_SECRET=

# Stripe API key | live or test.
# secret; optional; example: sk_test_123
# STRIPE_KEY=

# Where the data lives.
# one of eu, us; default: eu
REGION=eu
`;

const SHOP_DOCS = `| Variable | Type | Required | Default | Description |
| --- | --- | --- | --- | --- |
| \`PORT\` | port | no | \`3000\` | Port to listen on. |
| \`DATABASE_URL\` | URL | yes |  | a postgres:// URL. Example: \`postgres://localhost/app\`. |
| \`LOG_LEVEL\` | \`debug\` \\| \`info\` \\| \`warn\` \\| \`error\` | no | \`info\` | How much to log. |
| \`WORKERS\` | number | in production | \`1\` outside production | Worker threads. |
| \`FEATURE_SEARCH\` | boolean | no |  | Turns search on. Needs the search index. |
| \`SHOP_NAME\` | string | yes |  | Shown in the page title. Example: \`Corner Shop #1\`. |
| \`SESSION_SECRET\` | secret | in production | \`dev-only-secret\` outside production | Signs session cookies. Secret: printed as \`[redacted]\`, \`.reveal()\` gives the value. |
| \`STRIPE_KEY\` | secret | no |  | Stripe API key \\| live or test. Example: \`sk_test_123\`. Secret: printed as \`[redacted]\`, \`.reveal()\` gives the value. |
| \`REGION\` | \`eu\` \\| \`us\` | no | \`eu\` | Where the data lives. |
`;

describe("envExample", () => {
  it("writes descriptions, types, examples and defaults; secrets blank; optional ones commented out", async () => {
    expect(envExample(await shop())).toBe(SHOP_EXAMPLE);
  });

  it("quotes values so dotenv reads them back unchanged", () => {
    const values = ["a b", "x # y", 'say "hi"', "it's", "two\nlines", "plain-value_1:/x?y=z"];
    const schema = envSchema(Object.fromEntries(values.map((example, i) => [`V${i}`, str({ example })])));
    const parsed = dotenv.parse(envExample(schema));
    expect(values.map((_, i) => parsed[`V${i}`])).toEqual(values);
    expect(dotenv.parse(envExample(envSchema({ TOKEN: secret({ example: "sk_live_x" }) })))).toEqual({ TOKEN: "" });
  });
});

describe("envDocs", () => {
  it("renders a Markdown table: name, type, required, default, description; secrets marked", async () => {
    expect(envDocs(await shop())).toBe(SHOP_DOCS);
  });
});

describe("loadEnvSchema", () => {
  it("reads the default export without validating, although the module calls defineEnv", async () => {
    expect(Object.keys(await shop())).toEqual([
      "PORT",
      "DATABASE_URL",
      "LOG_LEVEL",
      "WORKERS",
      "FEATURE_SEARCH",
      "SHOP_NAME",
      "SESSION_SECRET",
      "STRIPE_KEY",
      "REGION",
    ]);
  });

  it("falls back to the schema handed to defineEnv", async () => {
    expect(Object.keys(await loadEnvSchema(join(fixtures, "inline-define.js")))).toEqual(["PORT", "GREETING"]);
  });

  it("explains a module without a schema, or one that cannot load", async () => {
    const none = await loadEnvSchema(join(fixtures, "no-schema.js"), fixtures).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(SlipwayError);
    expect((none as SlipwayError).message).toBe("no-schema.js exports no env schema");
    expect((none as SlipwayError).hint).toBe(
      'export default envSchema({ ... }) (or export const schema = envSchema({ ... })) from "slipway/env"',
    );
    const broken = await loadEnvSchema(join(fixtures, "missing-import.js"), fixtures).catch((e: unknown) => e);
    expect((broken as SlipwayError).code).toBe("CONFIG_INVALID");
    expect((broken as SlipwayError).message).toMatch(/^cannot load the env schema missing-import\.js: .*no-such-package-for-slipway-tests/);
  });
});
