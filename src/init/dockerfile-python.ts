import { pythonImage } from "./base-images.js";
import { PYTHON_TOOLS } from "./detect-python.js";
import { dataDirsLines, pid1Comment } from "./dockerfile-lines.js";
import type { PythonFacts, PythonManager, Stack } from "./stack.js";

/**
 * How each manager turns its manifests into the requirements installed into
 * the virtualenv: the build stage exports a requirements file with the
 * manager, so every manager ends in one `pip install -r`, without dev dependencies.
 */
const EXPORT: Readonly<Record<PythonManager, { tool?: string; export?: string; requirements: string }>> = {
  pip: { requirements: "requirements.txt" },
  pipenv: { tool: PYTHON_TOOLS.pipenv, export: "pipenv requirements > /tmp/requirements.txt", requirements: "/tmp/requirements.txt" },
  poetry: {
    tool: PYTHON_TOOLS.poetry,
    export: "poetry export --only main --without-hashes -f requirements.txt -o /tmp/requirements.txt",
    requirements: "/tmp/requirements.txt",
  },
  uv: {
    tool: PYTHON_TOOLS.uv,
    export: "uv export --frozen --no-dev --no-hashes --no-emit-project -o /tmp/requirements.txt",
    requirements: "/tmp/requirements.txt",
  },
  pyproject: {
    // PEP 621 [project].dependencies, read with the standard library (Python 3.11+).
    export: `python -c "import tomllib; print('\\\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project'].get('dependencies', [])))" > /tmp/requirements.txt`,
    requirements: "/tmp/requirements.txt",
  },
};

/**
 * A multi-stage Dockerfile for a Python service: a build stage installing the
 * dependencies (from the manifests alone, cached until they change) into a
 * virtualenv, and a slim final stage with that virtualenv and the source,
 * running gunicorn/uvicorn (or the app) as an unprivileged uid, with a
 * HEALTHCHECK in Python itself.
 *
 * @example
 * pythonDockerfile(stack, stack.language as PythonFacts); // "# Dockerfile for api ...\nFROM python:3.12-slim-bookworm AS build\n..."
 */
export function pythonDockerfile(stack: Stack, py: PythonFacts): string {
  const image = pythonImage(py.pythonVersion);
  const how = EXPORT[py.manager];
  const install = [
    `python -m venv /opt/venv`,
    `/opt/venv/bin/pip install -r ${how.requirements}${py.serverPackages.map((p) => ` ${p}`).join("")}`,
  ];
  const probe = `import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '${stack.port}') + '${stack.health.liveness}', timeout=3)`;
  return `# Dockerfile for ${stack.name}, written by \`slipway init\` (see docs/init.md).
# Base images are pinned to a version tag; pin the digest too for fully reproducible builds
# (FROM ${image}@sha256:...), and let renovate or dependabot update them.

# Build stage: dependencies installed into a virtualenv from the manifests alone, so this layer
# is rebuilt when they change, not on every source change. Dev dependencies are left out.
FROM ${image} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
${how.tool ? `RUN pip install ${how.tool}\n` : ""}COPY ${py.manifests.join(" ")} ./
RUN ${[...(how.export ? [how.export] : []), ...install].join(" \\\n  && ")}

# Final stage: the virtualenv and the source, no build tools.
FROM ${image} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH PORT=${stack.port}
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY . .
${dataDirsLines(stack)}# Files stay owned by root and read-only to the app; it runs as an unprivileged uid,
# numeric so Kubernetes can check runAsNonRoot.
USER ${stack.uid}:${stack.uid}
EXPOSE ${stack.port}
# The app must answer GET ${stack.health.liveness} on $PORT. Python itself runs the check (no curl in slim images).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \\
  CMD ["python", "-c", "${probe}"]
${startComment(stack, py)}CMD ${JSON.stringify(py.start)}
`;
}

function startComment(stack: Stack, py: PythonFacts): string {
  if (py.start[0] === "gunicorn")
    return "# gunicorn binds 0.0.0.0:$PORT; set WEB_CONCURRENCY for the number of workers. It is PID 1 and\n# handles SIGTERM: workers finish their requests (up to its graceful timeout, 30 s), then exit.\n";
  if (py.start[0] === "sh")
    return "# uvicorn reads no PORT variable: sh expands it, and exec makes uvicorn PID 1 so it receives SIGTERM\n# (it stops accepting, finishes in-flight requests, then exits).\n";
  return pid1Comment(stack, "JSON form: python is PID 1");
}
