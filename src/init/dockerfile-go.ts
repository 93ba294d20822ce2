import { GO_RUNTIME_IMAGE, goImage } from "./base-images.js";
import { dataDirsLines, pid1Comment } from "./dockerfile-lines.js";
import type { GoFacts, Stack } from "./stack.js";

/**
 * A multi-stage Dockerfile for a Go service: modules downloaded from go.mod and
 * go.sum alone (cached until they change), a static binary built with
 * CGO_ENABLED=0, and a small Alpine final stage holding only the binary and CA
 * certificates, running as an unprivileged uid, with a busybox wget HEALTHCHECK.
 *
 * @example
 * goDockerfile(stack, stack.language as GoFacts); // "# Dockerfile for api ...\nFROM golang:1.23-bookworm AS build\n..."
 */
export function goDockerfile(stack: Stack, go: GoFacts): string {
  const image = goImage(go.goVersion);
  return `# Dockerfile for ${stack.name}, written by \`slipway init\` (see docs/init.md).
# Base images are pinned to a version tag; pin the digest too for fully reproducible builds
# (FROM ${image}@sha256:...), and let renovate or dependabot update them.

# Build stage: the Go toolchain. Modules are downloaded from go.mod${go.hasGoSum ? "/go.sum" : ""} alone, so this layer
# is rebuilt when dependencies change, not on every source change.
FROM ${image} AS build
WORKDIR /src
COPY go.mod ${go.hasGoSum ? "go.sum " : ""}./
RUN go mod download
COPY . .
# A static binary (no libc needed), without debug symbols and local paths.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ${go.mainPackage}

# Final stage: the binary and CA certificates, no toolchain or source.
FROM ${GO_RUNTIME_IMAGE} AS runtime
RUN apk add --no-cache ca-certificates
COPY --from=build /out/app /usr/local/bin/app
ENV PORT=${stack.port}
${stack.shared.length > 0 ? `WORKDIR /app\n${dataDirsLines(stack)}` : ""}# An unprivileged uid, numeric so Kubernetes can check runAsNonRoot.
USER ${stack.uid}:${stack.uid}
EXPOSE ${stack.port}
# The app must answer GET ${stack.health.liveness} on $PORT (busybox wget is in the image).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \\
  CMD wget -q -O /dev/null "http://127.0.0.1:$PORT${stack.health.liveness}" || exit 1
${pid1Comment(stack, "JSON form: the binary is PID 1")}CMD ["/usr/local/bin/app"]
`;
}
