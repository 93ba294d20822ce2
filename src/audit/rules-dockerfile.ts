import type { Rule } from "./rule.js";

/**
 * Dockerfile rules added after SW1015 (dockerfile.ts, dockerfile-run.ts, dockerfile-command.ts).
 * A hadolint ID in `equivalents` means the same verdict on hadolint's own test cases
 * (test/audit-hadolint.test.ts ports them).
 */
export const DOCKERFILE_RULES = [
  {
    id: "SW1016",
    severity: "warning",
    section: "Security",
    title: "a stage's last USER is root",
    reason: "a stage that switches to root and never back runs its later steps, and the image built from it, as root",
    fix: "switch back to an unprivileged user after the steps that need root: `USER node`",
    equivalents: ["hadolint DL3002"],
  },
  {
    id: "SW1017",
    severity: "error",
    section: "Application",
    title: "CMD/ENTRYPOINT runs a file that is not in the image",
    reason: "the container exits at start with `Cannot find module` or `No such file`: every deploy of this image fails",
    fix: "point CMD at the real entry file (package.json `main` or `scripts.start`), or COPY/build it into the image",
    equivalents: [],
  },
  {
    id: "SW1018",
    severity: "info",
    section: "Infrastructure",
    title: "apt-get install without pinned versions",
    reason: "unpinned packages change between builds of the same commit",
    fix: "pin versions: `apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5` (or accept drift knowingly)",
    equivalents: ["hadolint DL3008"],
  },
  {
    id: "SW1019",
    severity: "warning",
    section: "Infrastructure",
    title: "RUN with a pipe but no pipefail",
    reason: "/bin/sh only reports the last command of a pipe: `curl ... | sh` with a failed download still builds",
    fix: 'set `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (or /bin/ash on Alpine) before the RUN',
    equivalents: ["hadolint DL4006"],
  },
  {
    id: "SW1020",
    severity: "info",
    section: "Infrastructure",
    title: "cd in RUN instead of WORKDIR",
    reason: "a cd lasts one RUN; the next instruction silently runs elsewhere",
    fix: "use `WORKDIR /path` (or a subshell when the change is meant to be local)",
    equivalents: ["hadolint DL3003"],
  },
  {
    id: "SW1021",
    severity: "warning",
    section: "Security",
    title: "sudo in RUN",
    reason: "sudo in a build has unpredictable TTY and signal behaviour and means the image ships sudo",
    fix: "run the step as root (`USER root` ... `USER app`), or use gosu in an entrypoint",
    equivalents: ["hadolint DL3004"],
  },
  {
    id: "SW1022",
    severity: "info",
    section: "Monitoring",
    title: "HEALTHCHECK CMD in shell form",
    reason: "a shell-form health check needs /bin/sh in the image (distroless images have none) and one more process per check",
    fix: 'use the JSON form: HEALTHCHECK CMD ["node", "healthcheck.js"]',
    equivalents: ["hadolint DL3025 (with SW1010)"],
  },
] as const satisfies readonly Rule[];
