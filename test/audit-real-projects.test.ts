import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runAudit } from "../src/audit/audit.js";
import { discoverFiles } from "../src/audit/discover.js";
import { healthRoutesChecker } from "../src/audit/health-routes.js";
import { audit, cleanupTrees, DIGEST, DOCKERIGNORE, tree } from "./fixtures/audit/support.js";

afterAll(cleanupTrees);

type Files = Record<string, string>;

const BASE = `FROM node:20.11-slim@${DIGEST}`;
/** A clean single-stage Dockerfile around `body` (the COPY/RUN lines) and `cmd`. */
const dockerfile = (body: string, cmd: string, workdir = "/app"): string =>
  `${BASE}\nWORKDIR ${workdir}\n${body}\nUSER node\nHEALTHCHECK CMD ["node", "-e", "1"]\n${cmd}\n`;
const PKG = '{ "name": "api", "main": "index.js", "scripts": { "start": "node server.js" } }\n';

/** A real-looking Node API: `npm init -y` main (index.js, absent), the real entry in scripts.start. */
const API: Files = {
  "package.json": PKG,
  "package-lock.json": '{ "lockfileVersion": 3 }\n',
  "server.js": 'app.get("/healthz", ok);\napp.get("/readyz", ok);\n',
  ".dockerignore": DOCKERIGNORE,
  Dockerfile: dockerfile("COPY package.json package-lock.json ./\nRUN npm ci --omit=dev\nCOPY . .", 'CMD ["node", "server.js"]'),
  "slipway.yaml":
    "name: api\nplatform: docker\napp:\n  build: { context: . }\nhealth:\n  readiness: { http: /readyz }\n  liveness: { http: /healthz }\n",
};

describe("discovery: tool state is never audited", () => {
  it("a project with .slipway/releases/* snapshots gives the same report as without", () => {
    const without = runAudit(tree(API));
    const dir = tree(API);
    for (const n of [1, 2, 3]) {
      const release = join(dir, ".slipway", "releases", String(n));
      mkdirSync(release, { recursive: true });
      for (const rel of Object.keys(API)) cpSync(join(dir, rel), join(release, rel));
    }
    const withSnapshots = runAudit(dir);
    expect(withSnapshots.findings).toEqual(without.findings);
    expect([withSnapshots.filesScanned, withSnapshots.score]).toEqual([without.filesScanned, without.score]);
  });

  it("skips other tools' state and installed dependencies, keeps build outputs and folders merely named like them", () => {
    const dir = tree({
      "app.js": "",
      ".slipway/state.db": "",
      ".venv/lib/site.py": "",
      "venv/pyvenv.cfg": "",
      "venv/lib/x.py": "",
      "__pycache__/a.pyc": "",
      ".next/cache/x.js": "",
      ".terraform/providers/x": "",
      "vendor/modules.txt": "",
      "vendor/github.com/x/y.go": "",
      "env/settings.py": "",
      "dist/server.js": "",
      "docs/vendor.md": "",
    });
    expect(discoverFiles(dir).sort()).toEqual(["app.js", "dist/server.js", "docs/vendor.md", "env/settings.py"]);
  });
});

/** [case, files besides .dockerignore and package.json, SW1017 expected]. */
const COMMAND_CASES: [string, Files, boolean][] = [
  ["exec form, the file exists", { Dockerfile: dockerfile("COPY . .", 'CMD ["node", "server.js"]'), "server.js": "" }, false],
  [
    "exec form, npm init -y main that does not exist",
    { Dockerfile: dockerfile("COPY . .", 'CMD ["node", "index.js"]'), "server.js": "" },
    true,
  ],
  ["shell form", { Dockerfile: dockerfile("COPY . .", "CMD node index.js"), "server.js": "" }, true],
  ["sh -c", { Dockerfile: dockerfile("COPY . .", 'CMD ["sh", "-c", "exec node index.js --port $PORT"]') }, true],
  ["ENTRYPOINT script", { Dockerfile: dockerfile("COPY . .", 'ENTRYPOINT ["./start.sh"]') }, true],
  ["ENTRYPOINT script present", { Dockerfile: dockerfile("COPY . .", 'ENTRYPOINT ["./start.sh"]'), "start.sh": "" }, false],
  ["a subfolder copied", { Dockerfile: dockerfile("COPY src ./src", 'CMD ["node", "src/server.js"]'), "src/server.js": "" }, false],
  [
    "a subfolder copied, file not in it",
    { Dockerfile: dockerfile("COPY src ./src", 'CMD ["node", "src/server.js"]'), "src/app.js": "" },
    true,
  ],
  ["a file copied into the WORKDIR", { Dockerfile: dockerfile("COPY main.py ./", 'CMD ["python3", "main.py"]'), "main.py": "" }, false],
  ["a file never copied", { Dockerfile: dockerfile("COPY requirements.txt ./", 'CMD ["python", "app.py"]'), "app.py": "" }, true],
  [
    "relative to a relative WORKDIR",
    { Dockerfile: dockerfile("WORKDIR api\nCOPY . .", 'CMD ["node", "server.js"]'), "server.js": "" },
    false,
  ],
  [
    "built by a RUN step",
    { Dockerfile: dockerfile("COPY . .\nRUN npm run build", 'CMD ["node", "dist/server.js"]'), "src/server.ts": "" },
    false,
  ],
  ["built by tsc", { Dockerfile: dockerfile("COPY . .\nRUN npx tsc -p .", 'CMD ["node", "dist/server.js"]') }, false],
  [
    "copied from a build stage",
    { Dockerfile: `${BASE} AS build\nRUN true\n${dockerfile("COPY --from=build /out ./dist", 'CMD ["node", "dist/server.js"]')}` },
    false,
  ],
  [
    "a gitignored build output",
    { ".gitignore": "dist/\n", Dockerfile: dockerfile("COPY dist ./dist", 'CMD ["node", "dist/server.js"]') },
    false,
  ],
  [
    "excluded by .dockerignore",
    { ".dockerignore": `${DOCKERIGNORE}server.js\n`, Dockerfile: dockerfile("COPY . .", 'CMD ["node", "server.js"]'), "server.js": "" },
    true,
  ],
  [
    "inherited from the stage it is built FROM",
    { Dockerfile: `${BASE} AS base\nCMD ["node", "index.js"]\n${dockerfile("COPY . .", "").replace(BASE, "FROM base")}` },
    true,
  ],
  ["a module, not a file", { Dockerfile: dockerfile("COPY . .", 'CMD ["python", "-m", "app"]') }, false],
  ["a program on the PATH", { Dockerfile: dockerfile("COPY . .", 'CMD ["gunicorn", "main:app"]') }, false],
  ["an absolute binary", { Dockerfile: dockerfile("COPY . .", 'CMD ["/usr/local/bin/app"]') }, false],
  [
    "node with a flag and an absolute script",
    { Dockerfile: dockerfile("COPY . /srv", 'CMD ["node", "--enable-source-maps", "/srv/server.js"]'), "server.js": "" },
    false,
  ],
  [
    "a Dockerfile in a subfolder: its folder is the context",
    { "api/Dockerfile": dockerfile("COPY . .", 'CMD ["node", "server.js"]'), "server.js": "" },
    true,
  ],
  [
    "a Dockerfile in a subfolder, file there",
    { "api/Dockerfile": dockerfile("COPY . .", 'CMD ["node", "server.js"]'), "api/server.js": "" },
    false,
  ],
  [
    "a Dockerfile in a subfolder whose context slipway.yaml sets to the root, file at the root",
    {
      "slipway.yaml": "name: x\nplatform: docker\napp:\n  build: { context: ., dockerfile: docker/Dockerfile }\n",
      "docker/Dockerfile": dockerfile("COPY . .", 'CMD ["node", "server.js"]'),
      "server.js": "",
    },
    false,
  ],
  [
    "a Dockerfile in a subfolder whose context slipway.yaml sets to the root, file missing there",
    {
      "slipway.yaml": "name: x\nplatform: docker\napp:\n  build: { context: ., dockerfile: docker/Dockerfile }\n",
      "docker/Dockerfile": dockerfile("COPY . .", 'CMD ["node", "server.js"]'),
      "docker/server.js": "",
    },
    true,
  ],
];

describe("SW1017: CMD/ENTRYPOINT runs a file that is not in the image", () => {
  it.each(COMMAND_CASES)("%s", (_name, files, expected) => {
    const findings = audit({ ".dockerignore": DOCKERIGNORE, "package.json": '{ "name": "x" }\n', ...files }).findings;
    const found = findings.filter((f) => f.rule === "SW1017");
    expect(found.length, JSON.stringify(found)).toBe(expected ? 1 : 0);
  });

  it("names the file, where it would be, and why it is missing, at the CMD line", () => {
    const findings = audit({
      ".dockerignore": DOCKERIGNORE,
      Dockerfile: dockerfile("COPY . .", 'CMD ["node", "index.js"]'),
      "server.js": "",
    }).findings;
    expect(findings).toEqual([
      {
        rule: "SW1017",
        file: "Dockerfile",
        line: 6,
        message:
          "CMD runs index.js, but nothing puts /app/index.js in the image: there is no index.js in the build context and no RUN builds it",
      },
    ]);
    const ignored = audit({
      ".dockerignore": `${DOCKERIGNORE}server.js\n`,
      Dockerfile: dockerfile("COPY . .", 'CMD ["node", "server.js"]'),
      "server.js": "",
    });
    expect(ignored.findings[0]?.message).toContain(".dockerignore excludes it from the build context");
  });

  it("the real-looking API (real entry in scripts.start) gives no error; pointing CMD at `main` does", () => {
    expect(runAudit(tree(API)).findings.filter((f) => f.rule === "SW1017")).toEqual([]);
    const broken = { ...API, Dockerfile: API["Dockerfile"]?.replace('"server.js"', '"index.js"') ?? "" };
    expect(
      runAudit(tree(broken))
        .findings.filter((f) => f.rule === "SW1017")
        .map((f) => f.line),
    ).toEqual([8]);
  });
});

const HEALTH_ONLY = { projectCheckers: [healthRoutesChecker] };
const config = (probes: string): string => `name: api\nplatform: docker\napp:\n  build: { context: . }\nhealth:\n${probes}`;

describe("SW6004: a probe path in slipway.yaml that the app does not serve", () => {
  it.each<[string, Files, number[]]>([
    [
      "served paths",
      {
        "server.js": 'app.get("/healthz", ok);\napp.get("/readyz", ok);\n',
        "slipway.yaml": config("  readiness: { http: /readyz }\n  liveness: { http: /healthz }\n"),
      },
      [],
    ],
    [
      "a path the app does not serve",
      { "server.js": 'app.get("/health", ok);\n', "slipway.yaml": config("  readiness: { http: /healthz }\n") },
      [6],
    ],
    [
      "one of three probes wrong",
      {
        "app/main.py": '@app.get("/healthz")\ndef h(): ...\n',
        "slipway.yaml": config("  startup: { http: /healthz }\n  readiness: { http: /ready }\n  liveness: { http: /healthz }\n"),
      },
      [7],
    ],
    [
      "a router mounted under a prefix",
      { "src/health.ts": 'router.get("/healthz", ok);\n', "slipway.yaml": config("  readiness: { http: /api/healthz }\n") },
      [],
    ],
    [
      "a query string on the probe",
      { "server.js": 'app.get("/healthz", ok);\n', "slipway.yaml": config("  readiness: { http: /healthz?full=1 }\n") },
      [],
    ],
    [
      "slipway/health's routes",
      {
        "server.js": 'import { createHealth } from "slipway/health";\n',
        "slipway.yaml": config("  readiness: { http: /health/ready }\n  liveness: { http: /health }\n"),
      },
      [],
    ],
    [
      "Django-style route",
      { "urls.py": 'path("healthz/", views.health)\n', "slipway.yaml": config("  readiness: { http: /healthz/ }\n") },
      [],
    ],
    [
      "routes cannot be read: no finding",
      { "server.js": "serve(handler);\n", "slipway.yaml": config("  readiness: { http: /healthz }\n") },
      [],
    ],
    [
      "a route only in a test does not count",
      {
        "server.js": 'app.get("/health", ok);\n',
        "server.test.js": 'get("/readyz")\n',
        "slipway.yaml": config("  readiness: { http: /readyz }\n"),
      },
      [6],
    ],
  ])("%s", (_name, files, lines) => {
    const report = audit(files, HEALTH_ONLY);
    expect(report.findings.filter((f) => f.rule === "SW6004").map((f) => [f.file, f.line])).toEqual(lines.map((l) => ["slipway.yaml", l]));
  });

  it("says which path, which key and what the app serves", () => {
    const report = audit(
      { "server.js": 'app.get("/health", ok);\n', "slipway.yaml": config("  readiness: { http: /healthz }\n") },
      HEALTH_ONLY,
    );
    expect(report.findings[0]?.message).toBe(
      "health.readiness.http is /healthz, but the app's source serves no such route (its health routes: /health)",
    );
    expect(report.rulesRun).toContain("SW6004");
  });

  it("a tcp or exec probe, or no slipway.yaml: the rule does not run", () => {
    expect(
      audit({ "server.js": 'app.get("/health", ok);\n', "slipway.yaml": config("  readiness: { tcp: {} }\n") }, HEALTH_ONLY).rulesRun,
    ).not.toContain("SW6004");
    expect(audit({ "server.js": 'app.get("/health", ok);\n' }, HEALTH_ONLY).rulesRun).not.toContain("SW6004");
  });
});
