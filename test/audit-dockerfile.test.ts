import { afterAll, describe, expect, it } from "vitest";
import { RULES } from "../src/audit/rules.js";
import { cleanupTrees, DIGEST, DOCKERIGNORE, GOOD, ruleIds } from "./fixtures/audit/support.js";

afterAll(cleanupTrees);

const single = (body: string): string =>
  `FROM node:20.11-slim@${DIGEST}\nWORKDIR /app\n${body}\nCOPY s.js ./\nUSER node\nHEALTHCHECK CMD ["true"]\nCMD ["node", "s.js"]\n`;

/** [rule, Dockerfile that triggers it, Dockerfile that does not]. */
const CASES: [string, string, string][] = [
  ["SW1001", GOOD.replaceAll(`node:20.11-slim@${DIGEST}`, "node:latest"), GOOD],
  ["SW1001", GOOD.replaceAll(`node:20.11-slim@${DIGEST}`, "node"), GOOD.replaceAll(`node:20.11-slim@${DIGEST}`, "scratch")],
  ["SW1002", GOOD.replaceAll(`@${DIGEST}`, ""), GOOD],
  ["SW1003", GOOD.replace("USER node", "USER root"), GOOD],
  ["SW1003", GOOD.replace("USER node", "USER 0:0"), GOOD.replace("USER node", "USER root\nRUN chown node /app\nUSER node")],
  ["SW1003", GOOD.replace("USER node\n", ""), GOOD.replace("USER node", "USER 10001")],
  ["SW1004", GOOD.replace(/HEALTHCHECK.*\n/, ""), GOOD],
  [
    "SW1004",
    GOOD.replace("WORKDIR /app\nCOPY package.json", "HEALTHCHECK CMD true\nWORKDIR /app\nCOPY package.json").replace(
      /HEALTHCHECK CMD \[.*\n/,
      "",
    ),
    GOOD,
  ],
  ["SW1005", single("COPY go.mod ./\nRUN go build -o /app/server ."), GOOD],
  ["SW1006", GOOD.replace("COPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .", "COPY . .\nRUN npm ci"), GOOD],
  ["SW1007", GOOD.replace("npm ci --omit=dev", "npm ci"), GOOD.replace("npm ci --omit=dev", "npm ci --production")],
  ["SW1008", single("ADD src /app/src"), single("ADD https://example.com/x.tgz /tmp/\nADD vendor.tar.gz /opt/")],
  [
    "SW1009",
    GOOD.replace(
      "WORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit",
      "WORKDIR app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit",
    ),
    GOOD,
  ],
  ["SW1010", GOOD.replace('CMD ["node", "dist/server.js"]', "CMD node dist/server.js"), GOOD],
  ["SW1010", GOOD.replace('CMD ["node", "dist/server.js"]', "ENTRYPOINT node dist/server.js"), GOOD.replace("CMD", "ENTRYPOINT")],
  [
    "SW1011",
    single("RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*"),
    single("RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*"),
  ],
  [
    "SW1012",
    single("RUN apt-get update && apt-get install -y --no-install-recommends curl"),
    single("RUN apt-get update && \\\n  apt-get install -y --no-install-recommends curl && \\\n  rm -rf /var/lib/apt/lists/*"),
  ],
  ["SW1013", single("RUN apk add curl"), single("RUN apk add --no-cache curl")],
  ["SW1014", single("ENV GITHUB_TOKEN=abc123"), single("ENV GITHUB_TOKEN=$GITHUB_TOKEN NODE_ENV=production")],
  ["SW1014", single("ARG NPM_PASSWORD=hunter2"), single("ARG NPM_PASSWORD")],
  [
    "SW1016",
    `FROM debian:12@${DIGEST} AS tools\nUSER root\nRUN true\n${GOOD}`,
    `FROM debian:12@${DIGEST} AS tools\nUSER root\nRUN true\nUSER 10001\n${GOOD}`,
  ],
  [
    "SW1018",
    single("RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*"),
    single("RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*"),
  ],
  [
    "SW1019",
    single("RUN curl -fsSL https://example.com/x | tar -x"),
    single('SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl -fsSL https://example.com/x | tar -x'),
  ],
  ["SW1020", single("RUN cd /tmp && make"), single("WORKDIR /tmp\nRUN make")],
  ["SW1021", single("RUN sudo make install"), single("RUN apt-get install -y --no-install-recommends sudo=1.9.13")],
  ["SW1022", GOOD.replace('HEALTHCHECK CMD ["node", "dist/health.js"]', "HEALTHCHECK CMD node dist/health.js"), GOOD],
];

describe("Dockerfile rules: each has a case that triggers it and one that does not", () => {
  it.each(CASES)("%s", (rule, bad, good) => {
    expect(ruleIds({ Dockerfile: bad, ".dockerignore": DOCKERIGNORE, "s.js": "" })).toContain(rule);
    expect(ruleIds({ Dockerfile: good, ".dockerignore": DOCKERIGNORE, "s.js": "" })).not.toContain(rule);
  });

  it("the good Dockerfile breaks no rule at all", () => {
    expect(ruleIds({ Dockerfile: GOOD, ".dockerignore": DOCKERIGNORE })).toEqual([]);
  });

  it("every SW1xxx rule has a case", () => {
    // SW1015 and SW1017 depend on other files: below and in audit-real-projects.test.ts.
    const covered = new Set(CASES.map((c) => c[0]).concat("SW1015", "SW1017"));
    expect(RULES.filter((r) => r.id.startsWith("SW1") && !covered.has(r.id))).toEqual([]);
  });

  it("SW1015: .dockerignore missing or incomplete", () => {
    expect(ruleIds({ Dockerfile: GOOD })).toEqual(["SW1015"]);
    expect(ruleIds({ Dockerfile: GOOD, ".dockerignore": ".git\nnode_modules\n" })).toEqual(["SW1015"]);
    expect(ruleIds({ "app/Dockerfile": GOOD, ".dockerignore": "/.git/\n**/node_modules\n.env*\n" })).toEqual([]);
  });

  it("reports lines and finds Dockerfile.* and *.Dockerfile anywhere", () => {
    const r = ruleIds({
      "svc/Dockerfile.prod": GOOD.replace("USER node", "USER root"),
      "api.Dockerfile": "FROM node:latest\n",
      ".dockerignore": DOCKERIGNORE,
    });
    expect(r).toEqual(["SW1001", "SW1003", "SW1004", "SW1003", "SW1016"]);
  });

  it("a stage name used as a base image is not an untagged image", () => {
    const text = GOOD.replace(
      `FROM node:20.11-slim@${DIGEST}\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev`,
      "FROM build",
    );
    expect(ruleIds({ Dockerfile: text, ".dockerignore": DOCKERIGNORE })).toEqual([]);
  });
});
