import { afterAll, describe, expect, it } from "vitest";
import { RULES } from "../src/audit/rules.js";
import { audit, cleanupTrees, DOCKERIGNORE } from "./fixtures/audit/support.js";

afterAll(cleanupTrees);

/**
 * hadolint's own test cases (test/Hadolint/Rule/DLxxxxSpec.hs, `ruleCatches` and
 * `ruleCatchesNot`; the ONBUILD variants are left out) for every rule Slipway lists as
 * equivalent, with the Slipway rules that give that verdict. A case without FROM gets
 * `FROM scratch` first: a Dockerfile without FROM is SW0001 here, while hadolint checks it.
 */
const MAPPED: Record<string, string[]> = {
  DL3000: ["SW1009"],
  DL3002: ["SW1016"],
  DL3003: ["SW1020"],
  DL3004: ["SW1021"],
  DL3006: ["SW1001"],
  DL3007: ["SW1001"],
  DL3008: ["SW1018"],
  DL3009: ["SW1012"],
  DL3015: ["SW1011"],
  DL3019: ["SW1013"],
  DL3020: ["SW1008"],
  DL3025: ["SW1010", "SW1022"],
  DL3057: ["SW1004"],
  DL4006: ["SW1019"],
};

type Verdict = "catches" | "clean";
const SHA = "sha256:d74bfb3fb6f4c5d2e2f4e7a5e7a1e4d1b93c2d1b0c8f1c6b2d2b1c9c6e2c9f0a";
const PIPE = "RUN wget -O - https://some.site | wc -l file > /number";
const PS = "RUN Get-Variable PSVersionTable | Select-Object -ExpandProperty Value";
const CASES: [string, Verdict, string[]][] = [
  ["DL3000", "catches", ["WORKDIR relative/dir"]],
  ["DL3000", "clean", ["WORKDIR /usr/local"]],
  ["DL3000", "clean", ["WORKDIR ${work}"]],
  ["DL3000", "catches", ["WORKDIR 'relative/dir'"]],
  ["DL3000", "clean", ["WORKDIR '/usr/local'"]],
  ["DL3000", "catches", ['WORKDIR "relative/dir"']],
  ["DL3000", "clean", ['WORKDIR "/usr/local"']],
  ["DL3000", "clean", ['WORKDIR "${dir}"']],
  ["DL3000", "clean", ["WORKDIR 'C:\\'"]],
  ["DL3000", "clean", ['WORKDIR "C:\\"']],
  ["DL3000", "clean", ["WORKDIR C:/"]],
  ["DL3000", "clean", ['WORKDIR "C:/"']],
  ["DL3002", "catches", ["FROM scratch", "USER root"]],
  ["DL3002", "clean", ["FROM scratch", "USER foo"]],
  ["DL3002", "catches", ["FROM scratch", "USER 0"]],
  ["DL3002", "catches", ["FROM scratch", "USER root:root"]],
  ["DL3002", "catches", ["FROM scratch", "USER 0:0"]],
  ["DL3002", "clean", ["FROM scratch", "USER root", "RUN something", "USER foo"]],
  ["DL3002", "catches", ["FROM debian as base", "USER root", "RUN something", "FROM base", "RUN something else"]],
  ["DL3002", "catches", ["FROM debian as base", "USER root", "RUN something", "FROM scratch", "USER foo", "RUN something else"]],
  ["DL3002", "clean", ["FROM debian as base", "USER root", "RUN something", "USER foo", "FROM scratch", "RUN something else"]],
  ["DL3003", "clean", ["WORKDIR /opt"]],
  ["DL3003", "catches", ["RUN cd /opt"]],
  ["DL3004", "catches", ["RUN sudo apt-get update"]],
  ["DL3004", "clean", ["RUN apt-get install sudo"]],
  ["DL3004", "catches", ["RUN apt-get update && sudo apt-get install"]],
  ["DL3006", "catches", ["FROM debian"]],
  ["DL3006", "catches", ["FROM debian AS builder"]],
  ["DL3006", "clean", [`FROM ruby@${SHA}`]],
  ["DL3006", "clean", ["FROM ruby:2"]],
  ["DL3006", "clean", ["FROM ${VALUE}"]],
  ["DL3006", "clean", ["FROM golang:1.9.3-alpine3.7 AS build", "FROM build as unit-test", "FROM alpine:3.7"]],
  ["DL3006", "catches", ["FROM golang:1.9.3-alpine3.7 AS build", "FROM node as unit-test", "FROM alpine:3.7"]],
  ["DL3006", "clean", ["FROM scratch"]],
  ["DL3007", "catches", ["FROM debian:latest"]],
  ["DL3007", "catches", ["FROM debian:latest AS builder"]],
  ["DL3007", "clean", ["FROM debian:jessie"]],
  ["DL3007", "clean", [`FROM hub.docker.io/debian@${SHA}`]],
  ["DL3007", "clean", [`FROM hub.docker.io/debian:latest@${SHA}`]],
  ["DL3007", "clean", ["FROM debian:jessie AS builder"]],
  ["DL3008", "catches", ["RUN apt-get update && apt-get install python"]],
  [
    "DL3008",
    "clean",
    ["RUN apt-get update \\", " && apt-get -yqq --no-install-recommends install nodejs=0.10 \\", " && rm -rf /var/lib/apt/lists/*"],
  ],
  [
    "DL3008",
    "clean",
    [
      "RUN apt-get update && apt-get install --no-install-recommends -y \\",
      "python-demjson=2.2.2* \\",
      "wget=1.16.1* \\",
      "git=1:2.5.0* \\",
      "ruby=1:2.1.*",
    ],
  ],
  ["DL3008", "clean", ["RUN apt-get install -y python=1.2.2"]],
  ["DL3008", "clean", ["RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb"]],
  ["DL3008", "clean", ["RUN apt-get -y --no-install-recommends install nodejs=0.10"]],
  [
    "DL3008",
    "clean",
    [
      "RUN set -e &&\\",
      ' echo "deb http://http.debian.net/debian jessie-backports main" > /etc/apt/sources.list.d/jessie-backports.list &&\\',
      " apt-get update &&\\",
      " apt-get install -y --no-install-recommends -t jessie-backports openjdk-8-jdk=8u131-b11-1~bpo8+1 &&\\",
      " rm -rf /var/lib/apt/lists/*",
    ],
  ],
  ["DL3009", "catches", ["FROM scratch", "RUN apt-get update && apt-get install python"]],
  ["DL3009", "clean", ["FROM ubuntu as foo", "RUN apt-get update && apt-get install python", "FROM scratch", "RUN echo hey!"]],
  ["DL3009", "catches", ["FROM ubuntu as foo", "RUN hey!", "FROM scratch", "RUN apt-get update && apt-get install python"]],
  ["DL3009", "catches", ["FROM ubuntu as foo", "RUN apt-get update && apt-get install python", "FROM foo", "RUN hey!"]],
  [
    "DL3009",
    "clean",
    ["FROM ubuntu as foo", "RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*", "FROM foo", "RUN hey!"],
  ],
  ["DL3009", "clean", ["FROM scratch", "RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*"]],
  ["DL3009", "clean", ["RUN --mount=type=cache,target=/var/lib/apt/lists \\    apt-get update && apt-get install python"]],
  [
    "DL3009",
    "clean",
    [
      "RUN --mount=type=cache,target=/var/lib/apt \\    --mount=type=cache,target=/var/cache/apt \\    rm -f /etc/apt/apt.conf.d/docker-clean && \\    apt-get update && apt-get install python",
    ],
  ],
  [
    "DL3009",
    "clean",
    [
      "RUN rm -f /etc/apt/apt.conf.d/docker-clean",
      "RUN --mount=type=cache,target=/var/cache/apt \\",
      "    --mount=type=cache,target=/var/lib/apt \\",
      "    apt-get update && apt-get install foo",
    ],
  ],
  [
    "DL3009",
    "catches",
    [
      "RUN --mount=type=cache,target=/var/cache/apt \\",
      "    rm -f /etc/apt/apt.conf.d/docker-clean && \\",
      "    apt-get update && apt-get install python",
    ],
  ],
  [
    "DL3009",
    "catches",
    [
      "RUN rm -f /etc/apt/apt.conf.d/docker-clean",
      "RUN --mount=type=cache,target=/var/lib/apt \\",
      "    apt-get update && apt-get install python",
    ],
  ],
  [
    "DL3009",
    "clean",
    ["RUN \\", "  --mount=type=tmpfs,target=/var/cache/apt \\", "  --mount=type=tmpfs,target=/var/lib/apt \\", "  apt-get update"],
  ],
  [
    "DL3009",
    "clean",
    ["RUN \\", "  --mount=type=tmpfs,target=/var/cache/apt \\", "  --mount=type=cache,target=/var/lib/apt \\", "  apt-get update"],
  ],
  [
    "DL3009",
    "clean",
    ["RUN \\", "  --mount=type=cache,target=/var/cache/apt \\", "  --mount=type=tmpfs,target=/var/lib/apt \\", "  apt-get update"],
  ],
  [
    "DL3009",
    "clean",
    ["RUN \\", "  --mount=type=cache,target=/var/cache/apt \\", "  --mount=type=cache,target=/var/lib/apt \\", "  apt-get update"],
  ],
  ["DL3009", "catches", ["FROM scratch", "RUN apt update && apt install python"]],
  ["DL3009", "clean", ["FROM scratch", "RUN apt update && apt install python && rm -rf /var/lib/apt/lists/*"]],
  ["DL3009", "catches", ["FROM scratch", "RUN aptitude update && aptitude install python"]],
  ["DL3009", "clean", ["FROM scratch", "RUN aptitude update && aptitude install python && rm -rf /var/lib/apt/lists/*"]],
  ["DL3015", "clean", ["RUN apt-get install --no-install-recommends python"]],
  ["DL3015", "catches", ["RUN apt-get install python"]],
  ["DL3015", "catches", ["RUN apt-get -y install python"]],
  ["DL3015", "clean", ["RUN apt-get -o APT::Install-Recommends=false install python"]],
  ["DL3019", "catches", ["RUN apk add flex=2.6.4-r1"]],
  ["DL3019", "clean", ["RUN apk add --no-cache flex=2.6.4-r1"]],
  ["DL3019", "clean", ["RUN --mount=type=cache,target=/var/cache/apk apk add -U curl=7.77.0"]],
  ["DL3019", "clean", ["RUN --mount=type=tmpfs,target=/var/cache/apk apk add -U curl=7.77.0"]],
  ["DL3019", "clean", ["RUN --mount=type=cache,target=/var/cache/foo apk add --no-cache -U curl=7.77.0"]],
  ["DL3019", "catches", ["RUN --mount=type=cache,target=/var/cache/foo apk add -U curl=7.77.0"]],
  ["DL3019", "catches", ["RUN --mount=type=tmpfs,target=/var/cache/foo apk add -U curl=7.77.0"]],
  ["DL3020", "clean", ["ADD file.tar /usr/src/app/"]],
  ["DL3020", "clean", ["ADD file.gz /usr/src/app/"]],
  ["DL3020", "clean", ["ADD file.bz2 /usr/src/app/"]],
  ["DL3020", "clean", ["ADD file.xz /usr/src/app/"]],
  ["DL3020", "clean", ["ADD file.tgz /usr/src/app/"]],
  ["DL3020", "clean", ["ADD http://file.com /usr/src/app/"]],
  ["DL3020", "catches", ["ADD file /usr/src/app/"]],
  ["DL3020", "catches", ["ADD file.zip /usr/src/app/"]],
  ["DL3020", "clean", ['ADD "file.tgz" /usr/src/app/']],
  ["DL3020", "clean", ['ADD "http://file.com" /usr/src/app/']],
  ["DL3020", "catches", ['ADD "file.zip" /usr/src/app/']],
  ["DL3025", "catches", ["FROM node as foo", "ENTRYPOINT something"]],
  ["DL3025", "clean", ["FROM scratch as build", 'ENTRYPOINT ["foo", "bar"]']],
  ["DL3025", "catches", ["FROM node as foo", "CMD something"]],
  ["DL3025", "clean", ["FROM scratch as build", 'CMD ["foo", "bar"]', 'CMD [ "foo", "bar" ]']],
  ["DL3025", "catches", ["HEALTHCHECK CMD foobar"]],
  ["DL3025", "clean", ['HEALTHCHECK CMD [ "foobar" ]']],
  ["DL3025", "clean", ['CMD [ "/bin/sh", "-c", \\', '      "echo foo && \\', '       echo bar" \\', "    ]"]],
  ["DL3057", "catches", ["FROM scratch"]],
  ["DL3057", "clean", ["FROM scratch", "HEALTHCHECK NONE"]],
  ["DL3057", "clean", ["FROM scratch", "HEALTHCHECK CMD /bin/bla"]],
  ["DL3057", "clean", ["FROM scratch AS base", "HEALTHCHECK CMD /bin/bla", "FROM base"]],
  ["DL3057", "clean", ["FROM scratch AS base1", "FROM base1 AS base2", "FROM base2 AS base3", "FROM base3 AS end", "HEALTHCHECK NONE"]],
  [
    "DL3057",
    "catches",
    [
      "FROM scratch AS base1",
      "FROM base1 AS base2",
      "FROM base2 AS base3.1",
      "FROM base2 AS base3.2",
      "",
      "FROM base3.1 AS end1",
      "HEALTHCHECK NONE",
      "",
      "FROM base3.2 AS end2",
    ],
  ],
  ["DL3057", "catches", ["FROM scratch AS base", "HEALTHCHECK CMD /bin/bla", "FROM scratch"]],
  ["DL4006", "catches", ["FROM scratch", "RUN wget -O - https://some.site | wc -l > /number"]],
  ["DL4006", "clean", ["FROM scratch as build", "RUN wget -O - https://some.site && wc -l file > /number"]],
  ["DL4006", "clean", ["FROM scratch as build", 'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]', PIPE]],
  ["DL4006", "clean", ["FROM scratch as build", 'SHELL ["/bin/bash", "-e", "-o", "pipefail", "-c"]', PIPE]],
  ["DL4006", "clean", ["FROM scratch as build", 'SHELL ["/bin/bash", "-o", "errexit", "-o", "pipefail", "-c"]', PIPE]],
  ["DL4006", "clean", ["FROM scratch as build", 'SHELL ["/bin/zsh", "-o", "pipefail", "-c"]', PIPE]],
  ["DL4006", "clean", ["FROM scratch as build", 'SHELL ["/usr/bin/bash", "-o", "pipefail", "-c"]', PIPE]],
  ["DL4006", "clean", ["FROM scratch as build", 'SHELL ["/usr/local/bin/zsh", "-o", "pipefail", "-c"]', PIPE]],
  ["DL4006", "clean", ["FROM scratch as build", 'SHELL ["pwsh", "-c"]', PS]],
  ["DL4006", "catches", ["FROM scratch as build", 'SHELL ["/bin/sh", "-o", "pipefail", "-c"]', PIPE]],
  ["DL4006", "catches", ["FROM scratch as build", 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', PIPE, "FROM scratch as build2", PIPE]],
  ["DL4006", "catches", ["FROM scratch as build", 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', PIPE, 'SHELL ["/bin/sh", "-c"]', PIPE]],
  ["DL4006", "clean", ["FROM mcr.microsoft.com/powershell:ubuntu-16.04", 'SHELL [ "pwsh", "-c" ]', PS]],
  ["DL4006", "clean", ["FROM mcr.microsoft.com/powershell:ubuntu-16.04", 'SHELL [ "powershell.exe" ]', PS]],
  ["DL4006", "clean", ["FROM mcr.microsoft.com/powershell:ubuntu-16.04", 'SHELL [ "cmd.exe", "/c" ]', PS]],
];

describe("hadolint's own test cases: the Slipway equivalent gives the same verdict", () => {
  it.each(CASES.map(([id, verdict, lines], n) => [`${id} #${n} ${verdict}: ${lines.join(" ⏎ ")}`, id, verdict, lines] as const))(
    "%s",
    (_name, id, verdict, lines) => {
      const text = lines.some((l) => /^FROM /i.test(l)) ? lines.join("\n") : ["FROM scratch", ...lines].join("\n");
      const rules = MAPPED[id] ?? [];
      const found = audit({ Dockerfile: `${text}\n`, ".dockerignore": DOCKERIGNORE }).findings.filter((f) => rules.includes(f.rule));
      if (verdict === "catches") expect(found.length, JSON.stringify(found)).toBeGreaterThan(0);
      else expect(found).toEqual([]);
    },
  );

  it("every hadolint ID listed as an equivalent has test cases here, and every mapped rule lists it", () => {
    const listed = RULES.flatMap((r) => r.equivalents.map((e) => /^hadolint (DL\d+)/.exec(e)?.[1]).filter((id): id is string => !!id));
    expect([...new Set(listed)].sort()).toEqual(Object.keys(MAPPED).sort());
    for (const [id, rules] of Object.entries(MAPPED)) {
      expect(new Set(CASES.filter((c) => c[0] === id).map((c) => c[1]))).toEqual(new Set(["catches", "clean"]));
      for (const rule of rules) expect(RULES.find((r) => r.id === rule)?.equivalents.join(" ")).toContain(`hadolint ${id}`);
    }
  });
});
