import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runAudit, score } from "../src/audit/audit.js";
import { discoverFiles } from "../src/audit/discover.js";
import { RULES, ruleById, type RuleId } from "../src/audit/rules.js";
import { isDotenv } from "../src/audit/secrets.js";
import type { Checker } from "../src/audit/types.js";
import { audit, cleanupTrees, DOCKERIGNORE, GOOD, IGNORE, ruleIds, tree } from "./fixtures/audit/support.js";

afterAll(cleanupTrees);

const AWS = "AKIA" + "Q3EGRXK7W2ZP4N5M";
const GH = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
const SLACK = "xoxb-" + "123456789012-abcdefghijKL";
const PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";

describe("discovery", () => {
  it("honours .gitignore (nested too) and always skips node_modules and .git", () => {
    const dir = tree({
      ".gitignore": "dist/\n*.log\n",
      "a.txt": "",
      "dist/x.js": "",
      "debug.log": "",
      "node_modules/p/index.js": "",
      ".git/config": "",
      "sub/.gitignore": "secret.txt\n",
      "sub/secret.txt": "",
      "sub/keep.txt": "",
      "other/secret.txt": "",
    });
    expect(discoverFiles(dir).sort()).toEqual([".gitignore", "a.txt", "other/secret.txt", "sub/.gitignore", "sub/keep.txt"]);
  });
});

describe("SW2001 credentials and SW2002 .env files", () => {
  it.each([
    ["AWS access key ID", `aws_access_key_id = ${AWS}\n`],
    ["GitHub token", `token: ${GH}\n`],
    ["Slack token", `SLACK=${SLACK}\n`],
    ["private key", PEM],
  ])("finds a %s", (_name, text) => {
    const r = audit({ "config/settings.txt": `first line\n${text}` });
    expect(r.findings).toEqual([expect.objectContaining({ rule: "SW2001", file: "config/settings.txt", line: 2 })]);
    expect(r.findings[0]?.message).not.toContain(text.trim().slice(8));
  });

  it("ignores look-alikes and documented examples", () => {
    expect(ruleIds({ "a.md": "AKIAIOSFODNN7EXAMPLE\nAKIAshort\nghp_tooShort\nxoxb-\n" })).toEqual([]);
  });

  it("does not read ignored files", () => {
    expect(ruleIds({ ".gitignore": ".env\nkeys/\n", ".env": "X=1", "keys/k.pem": PEM })).toEqual([]);
  });

  it("reports committed .env files but not .env.example", () => {
    expect(ruleIds({ ".env": "X=1\n", "deploy/.env.production": "" })).toEqual(["SW2002", "SW2002"]);
    expect(ruleIds({ ".env.example": "X=\n", ".env.sample": "" })).toEqual([]);
    expect([".env", "a/.env.local", "prod.env", ".env.example", "environment.ts"].map(isDotenv)).toEqual([true, true, true, false, false]);
  });
});

describe("suppression", () => {
  it("a reasoned slipway-ignore on the line before or the same line hides the finding", () => {
    expect(ruleIds({ "k.txt": `# ${IGNORE} SW2001: test fixture\n${AWS}\n` })).toEqual([]);
    expect(ruleIds({ "k.txt": `${AWS} # ${IGNORE} SW2001: test fixture\n` })).toEqual([]);
    const df = GOOD.replace("USER node", `# ${IGNORE} SW1003, SW1004, SW1016: init container, runs once\nUSER root`);
    expect(ruleIds({ Dockerfile: df, ".dockerignore": DOCKERIGNORE })).toEqual([]);
  });

  it("does not reach further, nor other rules", () => {
    expect(ruleIds({ "k.txt": `# ${IGNORE} SW2001: fixture\n\n${AWS}\n` })).toEqual(["SW2001"]);
    expect(ruleIds({ "k.txt": `# ${IGNORE} SW1003: fixture\n${AWS}\n` })).toEqual(["SW2001"]);
  });

  it("an ignore without a reason is SW0002 and suppresses nothing", () => {
    const r = audit({ "k.txt": `# ${IGNORE} SW2001\n${AWS}\n` });
    expect(r.findings.map((f) => [f.rule, f.line])).toEqual([
      ["SW0002", 1],
      ["SW2001", 2],
    ]);
  });
});

describe("unreadable and malformed files are findings, not crashes", () => {
  it("malformed YAML", () => {
    const r = audit({ "deploy/compose.yaml": "services:\n  web:\n    image: [unclosed\n", "ok.yml": "a: 1\n" });
    expect(r.findings).toEqual([expect.objectContaining({ rule: "SW0001", file: "deploy/compose.yaml" })]);
    expect(r.findings[0]?.message).toMatch(/^cannot parse YAML: /);
  });

  it("a binary file named Dockerfile", () => {
    const r = audit({ Dockerfile: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]), ".dockerignore": DOCKERIGNORE });
    expect(r.findings).toEqual([
      { rule: "SW0001", file: "Dockerfile", line: 1, message: "cannot read Dockerfile: binary file (contains NUL bytes)" },
    ]);
  });

  it("a Dockerfile without FROM", () => {
    expect(ruleIds({ Dockerfile: "hello world\n", ".dockerignore": DOCKERIGNORE })).toEqual(["SW0001"]);
  });

  it("a FROM without an image", () => {
    expect(audit({ Dockerfile: "# base\nFROM\nRUN true\n", ".dockerignore": DOCKERIGNORE }).findings).toEqual([
      { rule: "SW0001", file: "Dockerfile", line: 2, message: "Dockerfile: FROM without an image" },
    ]);
  });

  it("a YAML alias bomb is one finding, also where the Kubernetes checks read every manifest", () => {
    const levels = ["a: &a [1, 2]"];
    for (const [i, name] of ["b", "c", "d", "e", "f"].entries())
      levels.push(`${name}: &${name} [${Array(9).fill(`*${"abcdef"[i]}`).join(", ")}]`);
    const bomb = `kind: Deployment\napiVersion: apps/v1\n${levels.join("\n")}\n`;
    const r = runAudit(tree({ "k8s/bomb.yaml": bomb }));
    expect(r.findings).toEqual([
      {
        rule: "SW0001",
        file: "k8s/bomb.yaml",
        line: 1,
        message: "cannot expand YAML: Excessive alias count indicates a resource exhaustion attack",
      },
    ]);
  });

  it("other binary files are skipped quietly", () => {
    expect(ruleIds({ "logo.png": Buffer.from([0x89, 0x50, 0, 0, 0x41, 0x4b, 0x49, 0x41]) })).toEqual([]);
  });

  // The unreadable file (mode 000) case is in audit-cli.test.ts: it runs the CLI as an unprivileged user.
});

describe("report", () => {
  it("score: 100 minus 10 per error, 3 per warning, 1 per info, floor 0", () => {
    const f = (rule: RuleId) => ({ rule, file: "x", line: 1, message: "" });
    expect(score([])).toBe(100);
    expect(score([f("SW1003"), f("SW1004"), f("SW1002")])).toBe(86);
    expect(score(Array.from({ length: 11 }, () => f("SW1003")))).toBe(0);
  });

  it("lists the rules that ran and sorts findings by file and line", () => {
    const r = audit({ "b.txt": `x\n${AWS}\n`, "a.txt": AWS });
    expect(r.findings.map((f) => `${f.file}:${f.line}`)).toEqual(["a.txt:1", "b.txt:2"]);
    expect(r.rulesRun).toEqual(["SW0001", "SW0002", "SW2001", "SW2002", "SW2003"]);
    expect(r.filesScanned).toBe(2);
    expect(existsSync(r.root)).toBe(true);
  });
});

describe("rule IDs", () => {
  it("are unique SWnnnn IDs, so RuleId is a closed set and ruleById finds each", () => {
    const ids = RULES.map((r) => r.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(ids.filter((id) => !/^SW\d{4}$/.test(id))).toEqual([]);
    expect(ids.filter((id) => ruleById(id).id !== id)).toEqual([]);
  });

  it("a rule ID missing from the tables is a type error in findings, checker lists and ruleById (tsc checks these lines)", () => {
    const checker: Checker = {
      kind: "typo",
      // @ts-expect-error "SW1O17" has a letter O: no such rule
      rules: ["SW1017", "SW1O17"],
      matches: () => true,
      // @ts-expect-error a finding's rule is a RuleId, not any string
      check: (file) => [{ rule: "SW1O17", file: file.rel, line: 1, message: "" }],
    };
    // @ts-expect-error ruleById takes a RuleId
    expect(() => ruleById("SW9999")).toThrow("unknown audit rule SW9999");
    expect(checker.rules).toContain("SW1O17");
  });
});

describe("docs/audit.md", () => {
  it("has a table row for every rule, with its severity, section and title", () => {
    const doc = readFileSync(new URL("../docs/audit.md", import.meta.url), "utf8");
    const rows = new Map(
      [...doc.matchAll(/^\| (SW\d{4}) \| (\w+)\s*\| (\w+)\s*\| (.+?)\s*\|/gm)].map((m) => [m[1], `${m[2]} ${m[3]} ${m[4]}`]),
    );
    expect(RULES.filter((r) => rows.get(r.id) !== `${r.severity} ${r.section} ${r.title}`).map((r) => r.id)).toEqual([]);
  });
});
