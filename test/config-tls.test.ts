import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../src/config/load.js";
import { SlipwayError } from "../src/errors.js";
import { issueCertificate, makeCa, type TestCertificate } from "./support/certs.js";

let dir: string;
let certA: TestCertificate;
let certB: TestCertificate;
let expired: TestCertificate;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-config-tls-"));
  const ca = makeCa(dir);
  certA = issueCertificate(dir, ca, "a", ["a.test", "*.a.test"]);
  certB = issueCertificate(dir, ca, "b", ["b.test"]);
  expired = issueCertificate(dir, ca, "old", ["a.test"], { expired: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = "name: web\nlisten: 127.0.0.1:8080\napp: { command: node server.js }\n";

/** Loads `router` YAML (indented under `router:`) as `slipway deploy` does: the file checks included. */
function load(router: string) {
  writeFileSync(join(dir, "slipway.yaml"), `${BASE}router:\n${router}`);
  return loadConfig({ cwd: dir });
}

/** The problems of a config that does not load, one line each. */
function problems(router: string): string[] {
  try {
    load(router);
  } catch (err) {
    if (err instanceof SlipwayError) return err.details;
    throw err;
  }
  throw new Error("expected the config to be refused");
}

describe("router.hosts and router.tls", () => {
  it("normalizes: host names lower case, paths absolute, the ACME directory by name, HSTS as its header", () => {
    const { config } = load(
      [
        "  hosts: [App.A.test., b.test]",
        "  tls:",
        "    listen: 127.0.0.1:8443",
        "    certificates: [{ cert: a.pem, key: a.key }, { cert: b.pem, key: b.key }]",
        "    hsts: { maxAge: 600, includeSubDomains: true }",
        "",
      ].join("\n"),
    );
    expect(config.router.hosts).toEqual(["app.a.test", "b.test"]);
    expect(config.router.tls).toEqual({
      listen: { host: "127.0.0.1", port: 8443 },
      certificates: [
        { cert: certA.cert, key: certA.key },
        { cert: certB.cert, key: certB.key },
      ],
      redirect: true,
      hsts: "max-age=600; includeSubDomains",
    });
    const acme = load("  hosts: [a.test]\n  tls: { acme: { email: ops@a.test, directory: letsencrypt-staging } }\n").config.router.tls
      ?.acme;
    expect(acme).toEqual({ directory: "https://acme-staging-v02.api.letsencrypt.org/directory", email: "ops@a.test", renewalWindow: 0.33 });
  });

  it.each([
    ["a scheme in a host name", "  hosts: [https://a.test]\n", /router\.hosts\[0\]: must be a host name like app\.example\.com/],
    ["TLS without a certificate source", "  tls: { listen: 8443 }\n", /router\.tls: needs certificates \(files you bring\) or acme/],
    ["ACME without host names", "  tls: { acme: {} }\n", /router\.tls\.acme: needs router\.hosts/],
    [
      "ACME for a wildcard",
      "  hosts: ['*.a.test']\n  tls: { acme: {} }\n",
      /router\.hosts\[0\]: \*\.a\.test: ACME over HTTP-01 cannot prove a wildcard/,
    ],
    [
      "an ACME directory that is no URL",
      "  hosts: [a.test]\n  tls: { acme: { directory: staging } }\n",
      /must be letsencrypt or letsencrypt-staging, or an https:\/\/ directory URL/,
    ],
    [
      "the HTTPS address on the plain one",
      "  tls: { listen: 127.0.0.1:8080, certificates: [{ cert: a.pem, key: a.key }] }\n",
      /router\.tls\.listen: 127\.0\.0\.1:8080 clashes with listen/,
    ],
  ])("refuses %s with one line", (_what, router, message) => {
    const found = problems(router);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it("names the file of a certificate that is expired, not for its hosts, unreadable, or not its key's", () => {
    expect(problems("  hosts: [a.test]\n  tls: { certificates: [{ cert: old.pem, key: old.key }] }\n")).toEqual([
      expect.stringMatching(/^router\.tls\.certificates\[0\]\.cert: .*old\.pem expired on 2020-01-02T00:00:00\.000Z; renew it or use acme/),
    ]);
    expect(problems("  hosts: [c.test]\n  tls: { certificates: [{ cert: b.pem, key: b.key }] }\n")).toEqual([
      expect.stringMatching(/^router\.hosts\[0\]: c\.test: no certificate in router\.tls\.certificates covers it, and acme is off/),
      expect.stringMatching(/^router\.tls\.certificates\[0\]\.cert: .*b\.pem is for b\.test, none of router\.hosts \(c\.test\)/),
    ]);
    expect(problems("  tls: { certificates: [{ cert: missing.pem, key: a.key }] }\n")).toEqual([
      expect.stringMatching(/^router\.tls\.certificates\[0\]\.cert: cannot read .*missing\.pem \(ENOENT\)/),
    ]);
    expect(problems("  tls: { certificates: [{ cert: a.pem, key: b.key }] }\n")).toEqual([
      expect.stringMatching(/^router\.tls\.certificates\[0\]\.cert: .*a\.pem: the private key does not match the certificate/),
    ]);
  });

  it("checks no file when a stored release's config is reparsed (a rollback never fails on a certificate that expired since)", () => {
    const text = `${BASE}router:\n  hosts: [a.test]\n  tls: { certificates: [{ cert: old.pem, key: old.key }] }\n`;
    const { config } = parseConfig(text, { file: "slipway.yaml", root: dir });
    expect(config.router.tls?.certificates).toEqual([{ cert: expired.cert, key: expired.key }]);
  });
});
