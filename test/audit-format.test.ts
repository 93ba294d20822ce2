import { afterAll, describe, expect, it } from "vitest";
import { formatReport, jsonReport, junitReport, prettyReport, sarifReport } from "../src/audit/format.js";
import { RULES } from "../src/audit/rules.js";
import { sarifValidator } from "./fixtures/audit/sarif.js";
import { audit, cleanupTrees, DIGEST, DOCKERIGNORE, GOOD } from "./fixtures/audit/support.js";

afterAll(cleanupTrees);

const validate = sarifValidator();

function validateSarif(doc: object): void {
  expect(validate(doc) ? [] : validate.errors).toEqual([]);
}

const dirty = () =>
  audit({
    "my app/Dockerfile": GOOD.replaceAll(`@${DIGEST}`, "")
      .replace("USER node", "USER root")
      .replace('CMD ["node", "dist/server.js"]', "CMD node <x> & y"),
    ".dockerignore": DOCKERIGNORE,
    "broken.yaml": "a: [\n",
  });

describe("SARIF 2.1.0", () => {
  it("validates against the SARIF schema, with and without findings", () => {
    const r = dirty();
    const doc = sarifReport(r, "0.1.0");
    validateSarif(doc);
    validateSarif(sarifReport(audit({ "a.txt": "" }), "0.1.0"));
    const run = (
      doc as { runs: { tool: { driver: { name: string; rules: { id: string; properties: { tags: string[] } }[] } }; results: unknown[] }[] }
    ).runs[0];
    expect(run?.tool.driver.name).toBe("slipway");
    expect(run?.tool.driver.rules.map((x) => x.id)).toEqual(RULES.map((x) => x.id));
    expect(run?.tool.driver.rules.find((x) => x.id === "SW1003")?.properties.tags).toEqual([
      "security",
      "checkov CKV_DOCKER_3",
      "checkov CKV_DOCKER_8",
    ]);
    expect(run?.results).toContainEqual({
      ruleId: "SW1003",
      ruleIndex: RULES.findIndex((x) => x.id === "SW1003"),
      level: "error",
      message: { text: "the final stage runs as root" },
      locations: [
        { physicalLocation: { artifactLocation: { uri: "my%20app/Dockerfile", uriBaseId: "%SRCROOT%" }, region: { startLine: 13 } } },
      ],
    });
    expect(run?.results).toContainEqual(expect.objectContaining({ ruleId: "SW1002", level: "note" }));
    expect(validate({ ...doc, runs: [{ ...run, results: [{ ruleId: "SW1003", level: "fatal", message: { text: "x" } }] }] })).toBe(false);
  });
});

describe("pretty, json, junit", () => {
  it("pretty groups by section in checklist order, with the fix, then the score", () => {
    const out = prettyReport(dirty());
    const sections = out.split("\n").filter((l) => /^[A-Z]/.test(l));
    expect(sections).toEqual(["Infrastructure", "Security", "Operations"]);
    expect(out).toContain(
      "  my app/Dockerfile:13  SW1003 error  the final stage runs as root\n      fix: end the final stage with a non-root user",
    );
    expect(out).toMatch(/\nscore: 72\/100 \(2 error, 2 warning, 2 info; 3 files in \d+ ms\)$/);
    expect(prettyReport(audit({ "a.txt": "" }))).toMatch(/^no findings in 1 files \(5 rules\)\nscore: 100\/100/);
  });

  it("json carries severity, section and fix per finding", () => {
    const j = jsonReport(dirty()) as { score: number; counts: object; findings: object[] };
    expect(j.score).toBe(72);
    expect(j.counts).toEqual({ error: 2, warning: 2, info: 2 });
    expect(j.findings).toContainEqual(
      expect.objectContaining({ rule: "SW0001", file: "broken.yaml", severity: "error", section: "Operations" }),
    );
    expect(JSON.parse(formatReport(dirty(), "json", "0.1.0"))).toEqual(expect.objectContaining({ score: 72 }));
  });

  it("junit has one testcase per rule that ran and escapes XML", () => {
    const x = junitReport(dirty());
    expect(x.match(/<testcase /g)?.length).toBe(dirty().rulesRun.length);
    // 2 audit + 22 Dockerfile + 2 secrets + 13 Kubernetes rules (their checker sees every YAML file, here broken.yaml)
    expect(x).toMatch(/<testsuites name="slipway audit" tests="42" failures="5"/);
    expect(x).toContain('<testcase classname="slipway.audit.Security" name="SW1014 secret in ENV or ARG"/>');
    expect(x).toContain("CMD node &lt;x&gt; &amp; y is in shell form");
  });
});
