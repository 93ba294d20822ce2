import { afterAll, describe, expect, it } from "vitest";
import { runAudit } from "../src/audit/audit.js";
import { entropy, looksGenerated } from "../src/audit/secrets.js";
import { PROJECT_RULES } from "../src/audit/rules-project.js";
import { cleanupTrees, IGNORE, tree } from "./fixtures/audit/support.js";

afterAll(cleanupTrees);

type Files = Record<string, string>;

/** `base` with `changes` applied: a string replaces or adds a file, null deletes it. */
function edit(base: Files, changes: Record<string, string | null>): Files {
  const out = { ...base };
  for (const [rel, content] of Object.entries(changes)) {
    if (content === null) delete out[rel];
    else out[rel] = content;
  }
  return out;
}

function audit(files: Files, now = new Date("2026-11-26T12:00:00Z")) {
  return runAudit(tree(files), { now });
}

function rules(files: Files): string[] {
  return audit(files).findings.map((f) => f.rule);
}

const PKG = {
  name: "web",
  scripts: { start: "node dist/server.js", test: "vitest run", lint: "eslint .", typecheck: "tsc --noEmit" },
  dependencies: { pino: "^9.0.0", fastify: "^5.0.0" },
  devDependencies: { typescript: "^5.6.0", vitest: "^2.1.0" },
};

const SLIPWAY = `name: web
platform: docker
app:
  build: { context: . }
health:
  readiness: { http: /readyz }
strategy:
  type: canary
  canary:
    steps: [{ setWeight: 20 }, { pause: 1m }]
    analysis: { maxErrorRate: 1% }
retain: 5
`;

/** HTTPS on the router, automatic certificates, HSTS: what SW6005 and SW6006 ask for. */
const TLS = "router:\n  hosts: [web.example.com]\n  tls: { acme: { email: ops@example.com }, hsts: true }\n";

/** A Node project that breaks no repository or slipway.yaml rule. */
const NODE: Files = {
  "package.json": JSON.stringify(PKG, null, 2),
  "package-lock.json": '{ "lockfileVersion": 3 }\n',
  "tsconfig.json": "{}\n",
  "src/server.ts":
    'app.get("/healthz", () => ({ ok: true }));\napp.get("/readyz", ready);\nconst url = process.env.DATABASE_URL;\nconst env = process.env.NODE_ENV;\n',
  "src/server.test.ts": 'process.env.ONLY_IN_TESTS = "1";\n',
  ".env.example": "DATABASE_URL=postgres://localhost/web\n",
  "RUNBOOK.md": "# Runbook\n\nRoll back with `slipway rollback`.\n",
  "migrations/001_init.sql": "CREATE TABLE users (id int primary key, name text);\n",
  "slipway.yaml": SLIPWAY,
};

const GO: Files = {
  "go.mod": "module example.com/web\n\ngo 1.23\n\nrequire github.com/go-chi/chi/v5 v5.1.0\n",
  "go.sum": "github.com/go-chi/chi/v5 v5.1.0 h1:abc=\n",
  "main.go":
    'package main\n\nimport (\n\t"log/slog"\n\t"os"\n)\n\nfunc main() {\n\tr.Get("/healthz", ok)\n\tport := os.Getenv("PORT")\n\tslog.Info("up", "port", port)\n}\n',
  "main_test.go": "package main\n",
  "docs/operations.md": "# Operations\n\nSet PORT. Roll back with slipway rollback.\n",
};

const PY: Files = {
  "requirements.txt": "# runtime\nfastapi==0.115.0\nuvicorn[standard]==0.32.0\nstructlog==24.4.0\n",
  "app/main.py": 'import os\n\n@app.get("/healthz")\ndef health():\n    return {"ok": True}\n\nDB = os.environ.get("DATABASE_URL")\n',
  "tests/test_main.py": "def test_health(): ...\n",
  ".env.example": "DATABASE_URL=\n",
  "README.md": "# web\n\n## Rollback\n\nslipway rollback\n",
};

describe("repository and slipway.yaml rules: each has a case that triggers it and one that does not", () => {
  it.each([
    ["Node", NODE],
    ["Go", GO],
    ["Python", PY],
  ])("the good %s project breaks no rule", (_name, files) => {
    expect(audit(files).findings).toEqual([]);
  });

  const CASES: [rule: string, bad: Files, good: Files][] = [
    [
      "SW6001",
      edit(NODE, { "slipway.yaml": SLIPWAY.replace("  readiness: { http: /readyz }\n", "  liveness: { http: /healthz }\n") }),
      NODE,
    ],
    ["SW6002", edit(NODE, { "slipway.yaml": SLIPWAY.replace("    analysis: { maxErrorRate: 1% }\n", "") }), NODE],
    ["SW6004", edit(NODE, { "slipway.yaml": SLIPWAY.replace("http: /readyz", "http: /ready") }), NODE],
    [
      "SW6005",
      edit(NODE, { "slipway.yaml": `${SLIPWAY}listen: 8080\n` }),
      edit(NODE, { "slipway.yaml": `${SLIPWAY}listen: 8080\n${TLS}` }),
    ],
    [
      "SW6005",
      edit(NODE, { "slipway.yaml": `${SLIPWAY}listen: 8080\n` }),
      edit(NODE, { "slipway.yaml": `${SLIPWAY}listen: 8080\nrouter: { trustedProxies: [10.0.0.0/8] }\n` }),
    ],
    [
      "SW6006",
      edit(NODE, { "slipway.yaml": `${SLIPWAY}${TLS.replace(", hsts: true", "")}` }),
      edit(NODE, { "slipway.yaml": `${SLIPWAY}${TLS}` }),
    ],
    [
      "SW6006",
      edit(NODE, { "slipway.yaml": `${SLIPWAY}${TLS.replace("hsts: true", "hsts: true, redirect: false")}` }),
      edit(NODE, { "slipway.yaml": `${SLIPWAY}${TLS}` }),
    ],
    [
      "SW6002",
      edit(NODE, { "slipway.yaml": SLIPWAY.replace("    analysis: { maxErrorRate: 1% }\n", "") }),
      edit(NODE, {
        "slipway.yaml": SLIPWAY.replace("    analysis: { maxErrorRate: 1% }\n", "").replace(
          "{ pause: 1m }",
          "{ analysis: { maxErrorRate: 1% } }",
        ),
      }),
    ],
    [
      "SW6003",
      edit(NODE, { "slipway.yaml": SLIPWAY.replace("retain: 5", "retain: 1") }),
      edit(NODE, { "slipway.yaml": SLIPWAY.replace("retain: 5", "retain: 2") }),
    ],
    [
      "SW7001",
      edit(NODE, { "package-lock.json": null }),
      edit(NODE, { "package-lock.json": null, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n" }),
    ],
    ["SW7001", edit(GO, { "go.sum": null }), edit(GO, { "go.sum": null, "go.mod": "module example.com/web\n\ngo 1.23\n" })],
    [
      "SW7001",
      edit(PY, { "requirements.txt": "fastapi>=0.100\nstructlog\n" }),
      edit(PY, { "requirements.txt": "fastapi>=0.100\nstructlog\n", "uv.lock": "version = 1\n" }),
    ],
    [
      "SW7001",
      edit(PY, { Pipfile: "[packages]\nstructlog = '*'\n" }),
      edit(PY, { Pipfile: "[packages]\nstructlog = '*'\n", "Pipfile.lock": "{}\n" }),
    ],
    [
      "SW7002",
      edit(NODE, {
        "package.json": JSON.stringify({ ...PKG, scripts: { ...PKG.scripts, test: 'echo "Error: no test specified" && exit 1' } }),
      }),
      NODE,
    ],
    ["SW7002", edit(GO, { "main_test.go": null }), GO],
    ["SW7002", edit(PY, { "tests/test_main.py": null }), edit(PY, { "tests/test_main.py": null, "app/main_test.py": "" })],
    [
      "SW7003",
      edit(NODE, { "package.json": JSON.stringify({ ...PKG, scripts: { ...PKG.scripts, lint: undefined } }) }),
      edit(NODE, { "package.json": JSON.stringify({ ...PKG, scripts: { ...PKG.scripts, lint: undefined, check: "biome check ." } }) }),
    ],
    [
      "SW7004",
      edit(NODE, { "package.json": JSON.stringify({ ...PKG, scripts: { ...PKG.scripts, typecheck: undefined } }) }),
      edit(NODE, {
        "package.json": JSON.stringify({
          ...PKG,
          scripts: { ...PKG.scripts, typecheck: undefined },
          devDependencies: { vitest: "^2.1.0" },
        }),
        "tsconfig.json": null,
      }),
    ],
    [
      "SW7005",
      edit(NODE, { "src/server.ts": "app.get('/', home);\n" }),
      edit(NODE, { "src/server.ts": 'import { createHealth } from "slipway/health";\n' }),
    ],
    [
      "SW7005",
      edit(GO, { "main.go": GO["main.go"]?.replace('"/healthz"', '"/"') ?? "" }),
      edit(GO, { "main.go": GO["main.go"]?.replace('"/healthz"', '"/readyz"') ?? "" }),
    ],
    [
      "SW7006",
      edit(NODE, { ".env.example": "OTHER=1\n" }),
      edit(NODE, { ".env.example": "OTHER=1\n", "src/env.ts": 'import { defineEnv } from "slipway/env";\n' }),
    ],
    [
      "SW7006",
      edit(PY, { ".env.example": null }),
      edit(PY, { ".env.example": null, "docs/config.md": "DATABASE_URL: the Postgres URL\n" }),
    ],
    [
      "SW7007",
      edit(NODE, { "package.json": JSON.stringify({ ...PKG, dependencies: { fastify: "^5.0.0" } }) }),
      edit(NODE, { "package.json": JSON.stringify({ ...PKG, dependencies: { winston: "^3.0.0" } }) }),
    ],
    [
      "SW7007",
      edit(GO, { "main.go": GO["main.go"]?.replace('"log/slog"', '"log"') ?? "" }),
      edit(GO, { "main.go": GO["main.go"]?.replace('"log/slog"', '"go.uber.org/zap"') ?? "" }),
    ],
    [
      "SW7007",
      edit(PY, { "requirements.txt": "fastapi==0.115.0\n" }),
      edit(PY, { "requirements.txt": "fastapi==0.115.0\nloguru==0.7.2\n" }),
    ],
    [
      "SW7008",
      edit(NODE, { "migrations/002_drop.sql": "ALTER TABLE users DROP COLUMN name;\n" }),
      edit(NODE, { "migrations/002_add.sql": "ALTER TABLE users ADD COLUMN email text;\n" }),
    ],
    [
      "SW7008",
      edit(NODE, { "migrations/003.sql": "ALTER TABLE users RENAME COLUMN name TO full_name;\n" }),
      edit(NODE, { "migrations/003.down.sql": "DROP TABLE users;\n" }),
    ],
    [
      "SW7008",
      edit(NODE, { "db/migrations/004.js": "exports.up = (knex) => knex.schema.dropTable('sessions');\n" }),
      edit(NODE, {
        "db/migrations/004.js":
          "exports.up = (knex) => knex.schema.createTable('sessions', t => t.increments());\nexports.down = (knex) => knex.schema.dropTable('sessions');\n",
      }),
    ],
    [
      "SW7008",
      edit(PY, { "alembic/versions/5a1.py": "def upgrade():\n    op.drop_column('users', 'name')\n" }),
      edit(PY, {
        "alembic/versions/5a1.py":
          "def upgrade():\n    op.add_column('users', sa.Column('email'))\n\ndef downgrade():\n    op.drop_column('users', 'email')\n",
      }),
    ],
    [
      "SW7009",
      edit(NODE, { "RUNBOOK.md": null }),
      edit(NODE, { "RUNBOOK.md": null, "docs/deploy.md": "# Deploying\n\n## Rolling back\n\nslipway rollback\n" }),
    ],
    ["SW7009", edit(GO, { "docs/operations.md": null, "docs/PORT.md": "PORT\n" }), GO],
    [
      "SW2003",
      edit(NODE, { "src/config.ts": 'export const apiKey = "q7Zr2xV9pLm4Tn8Kw3Yb6Hd1";\n' }),
      edit(NODE, {
        "src/config.ts":
          'export const apiKey = process.env.API_KEY_FOR_TESTS_EXAMPLE;\nexport const apiKeyHint = "your-api-key-goes-here-please";\n',
      }),
    ],
    [
      "SW2003",
      edit(NODE, { "config/prod.yaml": "db:\n  password: Jx8rT2mQ9vLw4Zp7Nc3K\n" }),
      edit(NODE, { "config/prod.yaml": "db:\n  password: ${DB_PASSWORD}\n  token_ttl: 3600\n" }),
    ],
  ];

  it.each(CASES)("%s", (rule, bad, good) => {
    expect(rules(bad)).toContain(rule);
    expect(rules(good)).not.toContain(rule);
  });

  it("every SW6xxx and SW7xxx rule has a case", () => {
    const covered = new Set(CASES.map((c) => c[0]));
    expect(PROJECT_RULES.filter((r) => !covered.has(r.id)).map((r) => r.id)).toEqual([]);
  });

  it("repository rules stay quiet where there is no app (a docs-only folder)", () => {
    expect(audit({ "README.md": "# notes\n", "notes/a.md": "x\n" }).rulesRun).not.toContain("SW7009");
  });

  it("reports where: the line of the slipway.yaml key, the migration line, the first read of an env var", () => {
    const bad = edit(NODE, {
      "slipway.yaml": SLIPWAY.replace("retain: 5", "retain: 1"),
      "migrations/002.sql": "-- drop the legacy column\nALTER TABLE users\n  DROP COLUMN legacy;\n",
      ".env.example": null,
    });
    expect(audit(bad).findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)).toEqual([
      "migrations/002.sql:3 SW7008 DROP COLUMN in a migration: the previous release breaks during the deploy and after a rollback (DROP COLUMN legacy;)",
      "slipway.yaml:12 SW6003 retain: 1 keeps no release to roll back to",
      "src/server.ts:3 SW7006 DATABASE_URL is read here but not listed in .env.example or the docs",
    ]);
  });

  it("an invalid slipway.yaml is one SW0001 with Slipway's own message and line", () => {
    const r = audit(
      edit(NODE, { "slipway.yaml": SLIPWAY.replace("retain: 5", "retain: 0").replace("platform: docker", "platfrom: docker") }),
    );
    expect(r.findings).toEqual([
      {
        rule: "SW0001",
        file: "slipway.yaml",
        line: 2,
        message:
          'invalid Slipway config: platfrom: unknown key, did you mean "platform"? (slipway.yaml:2) (and 1 more: slipway config validate)',
      },
    ]);
  });

  it("entropy separates generated values from words", () => {
    expect(entropy("aaaa")).toBe(0);
    expect(entropy("abcd")).toBe(2);
    expect(looksGenerated("q7Zr2xV9pLm4Tn8Kw3Yb6Hd1")).toBe(true);
    expect(looksGenerated("correct-horse-battery-staple")).toBe(false); // no digits
    expect(looksGenerated("aaaaaaaaaaaaaaaaaaaaaaaa1")).toBe(false); // low entropy
    expect(looksGenerated("sk_test_q7Zr2xV9pLm4Tn8Kw3Yb6Hd1")).toBe(false); // a test key
  });
});

describe("suppression in slipway.yaml (audit.ignore) and action pinning policy", () => {
  const BAD = edit(NODE, { "RUNBOOK.md": null, "migrations/002.sql": "DROP TABLE legacy;\n" });
  const withAudit = (section: string) => edit(BAD, { "slipway.yaml": `${SLIPWAY}audit:\n${section}` });

  it("an entry with a reason hides the rule everywhere, or only under its path", () => {
    expect(rules(BAD).sort()).toEqual(["SW7008", "SW7009"]);
    expect(rules(withAudit("  ignore:\n    - { rule: SW7009, reason: runbook lives in the wiki }\n"))).toEqual(["SW7008"]);
    expect(rules(withAudit("  ignore:\n    - { rule: SW7008, path: migrations/, reason: legacy table unused since v3 }\n"))).toEqual([
      "SW7009",
    ]);
    expect(rules(withAudit("  ignore:\n    - { rule: SW7008, path: db/, reason: other folder }\n")).sort()).toEqual(["SW7008", "SW7009"]);
  });

  it("an entry applies through its until date (inclusive), then the finding is back with SW0003 at the entry", () => {
    const files = withAudit("  ignore:\n    - rule: SW7009\n      reason: runbook lives in the wiki\n      until: 2026-11-26\n");
    expect(audit(files, new Date("2026-11-26T23:59:00Z")).findings.map((f) => f.rule)).toEqual(["SW7008"]);
    const later = audit(files, new Date("2026-11-27T00:00:01Z"));
    expect(later.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)).toEqual([
      "migrations/002.sql:1 SW7008 DROP TABLE in a migration: the previous release breaks during the deploy and after a rollback (DROP TABLE legacy;)",
      "package.json:1 SW7009 no RUNBOOK.md, rollback document or Rollback section in the README or docs/",
      "slipway.yaml:15 SW0003 audit.ignore of SW7009 expired on 2026-11-26 (reason was: runbook lives in the wiki)",
    ]);
  });

  it("an inline suppression with a reason hides a repository finding in its file", () => {
    const files = edit(BAD, { "migrations/002.sql": `-- ${IGNORE} SW7008: table unused since v3, see ADR-12\nDROP TABLE legacy;\n` });
    expect(rules(files)).toEqual(["SW7009"]);
  });

  it("a project without tests gets SW7002 alone, not also SW3001 for a workflow that runs none", () => {
    const wf = ".github/workflows/ci.yml";
    const workflow = `name: ci\non: { push: {} }\npermissions: { contents: read }\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm run lint && npm run typecheck\n`;
    const noTests = edit(GO, { "main_test.go": null, [wf]: workflow });
    expect(rules(noTests)).toContain("SW7002");
    expect(rules(noTests)).not.toContain("SW3001");
    expect(rules(edit(GO, { [wf]: workflow }))).toContain("SW3001"); // tests exist, CI skips them
  });

  it("actionPinning: sha turns a tag-pinned third-party action into SW3009", () => {
    const workflow = (ref: string) =>
      `name: ci\non: { workflow_dispatch: {} }\npermissions: { contents: read }\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: pnpm/action-setup@${ref}\n`;
    const wf = ".github/workflows/x.yml";
    expect(rules(edit(NODE, { [wf]: workflow("v4.0.0") }))).toEqual(["SW3010"]);
    const strict = (ref: string) => edit(NODE, { [wf]: workflow(ref), "slipway.yaml": `${SLIPWAY}audit: { actionPinning: sha }\n` });
    expect(audit(strict("v4.0.0")).findings.map((f) => f.message)).toEqual([
      "pnpm/action-setup@v4.0.0 is pinned by tag; audit.actionPinning requires a commit SHA",
    ]);
    expect(rules(strict("b4ffde65f46336ab88eb53be808477a3936bae11"))).toEqual([]);
  });
});
