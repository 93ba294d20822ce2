import { DEFAULT_PYTHON_VERSION, pythonVersionFor } from "./base-images.js";
import type { ProjectDir } from "./project-dir.js";
import type { PythonFacts, PythonFramework, PythonManager } from "./stack.js";

/** Python manifests, any of which makes a Python project. */
export const PYTHON_MANIFESTS = ["requirements.txt", "pyproject.toml", "Pipfile"];
/** Pinned versions of the tools init adds when the project does not list them. */
export const PYTHON_TOOLS = {
  gunicorn: "gunicorn==23.0.0",
  uvicorn: "uvicorn==0.32.1",
  ruff: "ruff==0.8.4",
  mypy: "mypy==1.13.0",
  pytest: "pytest==8.3.4",
  pipenv: "pipenv==2024.4.1",
  poetry: "poetry==1.8.5",
  uv: "uv==0.5.11",
} as const;

/** Dependency manager, first match wins: uv.lock, poetry.lock, Pipfile, requirements.txt, pyproject.toml. */
const MANAGERS: readonly [string, PythonManager, string[]][] = [
  ["uv.lock", "uv", ["pyproject.toml", "uv.lock"]],
  ["poetry.lock", "poetry", ["pyproject.toml", "poetry.lock"]],
  ["Pipfile", "pipenv", ["Pipfile", "Pipfile.lock"]],
  ["requirements.txt", "pip", ["requirements.txt"]],
  ["pyproject.toml", "pyproject", ["pyproject.toml"]],
];
const FRAMEWORKS: readonly [PythonFramework, string][] = [
  ["django", "Django"],
  ["fastapi", "FastAPI"],
  ["flask", "Flask"],
];

/**
 * Python facts: dependency manager and manifests, python version
 * (`.python-version`, `runtime.txt`, `requires-python`, Pipfile `python_version`),
 * framework (Django, FastAPI, Flask: first listed in the manifests) and the
 * server command (gunicorn for Django/Flask, uvicorn for FastAPI).
 *
 * @example
 * detectPython(projectDir("/srv/api"), signals, notes); // { manager: "pip", framework: "fastapi", start: [...] }
 */
export function detectPython(project: ProjectDir, signals: string[], notes: string[]): PythonFacts {
  const [marker, manager, files] = MANAGERS.find(([m]) => project.has(m)) ?? MANAGERS[3]!;
  const manifests = files.filter((f) => project.has(f));
  signals.push(`dependencies: ${manager} (${marker})`);
  if (manager === "pyproject") notes.push("no lockfile (uv.lock, poetry.lock, Pipfile.lock or pinned requirements.txt): builds may differ");
  const text = ["requirements.txt", "requirements-dev.txt", "pyproject.toml", "Pipfile"].map((f) => project.read(f) ?? "").join("\n");
  const lists = (pkg: string): boolean => new RegExp(`(^|[\\s"'\\[,])${pkg}\\s*([=<>~!\\[;"',]|$)`, "im").test(text);
  const pythonVersion = versionOf(project, signals);
  const hint = FRAMEWORKS.find(([pkg]) => lists(pkg));
  if (hint) signals.push(`framework: ${hint[1]} (dependency ${hint[0]})`);
  const framework = hint?.[0];
  const start = startCommand(project, framework, notes);
  signals.push(`start: ${start.join(" ")}`);
  const server = start[0] === "gunicorn" ? "gunicorn" : start.includes("uvicorn") ? "uvicorn" : undefined;
  const serverPackages = server && !lists(server) ? [PYTHON_TOOLS[server]] : [];
  const ciTools = (["ruff", "mypy", "pytest"] as const).filter((t) => !lists(t)).map((t) => PYTHON_TOOLS[t]);
  const devRequirements = ["requirements-dev.txt", "requirements/dev.txt"].find((f) => project.has(f));
  return {
    language: "python",
    manager,
    manifests,
    pythonVersion,
    ...(framework ? { framework } : {}),
    start,
    serverPackages,
    ciTools,
    ...(devRequirements ? { devRequirements } : {}),
  };
}

function versionOf(project: ProjectDir, signals: string[]): string {
  const sources: [string, string | undefined][] = [
    [".python-version", project.read(".python-version")?.trim().split("\n")[0]],
    ["runtime.txt", project.read("runtime.txt")?.trim()],
    ["requires-python", /^requires-python\s*=\s*["']([^"']+)["']/m.exec(project.read("pyproject.toml") ?? "")?.[1]],
    ["Pipfile python_version", /^python_version\s*=\s*["']([^"']+)["']/m.exec(project.read("Pipfile") ?? "")?.[1]],
  ];
  for (const [source, spec] of sources) {
    const version = spec ? pythonVersionFor(spec) : undefined;
    if (spec && version) {
      signals.push(`python ${version} (${source} ${spec})`);
      return version;
    }
  }
  signals.push(`python ${DEFAULT_PYTHON_VERSION} (default: no .python-version, runtime.txt or requires-python)`);
  return DEFAULT_PYTHON_VERSION;
}

/** Where the app object usually lives, in the order looked at. */
const APP_FILES = ["main.py", "app.py", "wsgi.py", "asgi.py", "app/main.py", "app/__init__.py", "src/main.py", "src/app.py", "api/main.py"];

function startCommand(project: ProjectDir, framework: PythonFramework | undefined, notes: string[]): string[] {
  if (framework === "django") return ["gunicorn", "--access-logfile", "-", `${djangoProject(project, notes)}.wsgi:application`];
  if (framework === "fastapi" || framework === "flask") {
    const constructor = framework === "fastapi" ? "FastAPI" : "Flask";
    const found = appObject(project, constructor);
    if (!found)
      notes.push(
        `no \`app = ${constructor}(...)\` nor \`def create_app(\` found in ${APP_FILES.join(", ")} or a package: check CMD in the Dockerfile`,
      );
    const { target, factory } = found ?? { target: "main:app", factory: false };
    if (framework === "flask") return ["gunicorn", "--access-logfile", "-", factory ? `${target}()` : target];
    // uvicorn reads no PORT variable: a shell expands it, and exec makes uvicorn PID 1 so it receives SIGTERM.
    return ["sh", "-c", `exec uvicorn ${factory ? "--factory " : ""}${target} --host 0.0.0.0 --port "$PORT" --proxy-headers`];
  }
  const script = ["main.py", "app.py", "server.py"].find((f) => project.has(f)) ?? "main.py";
  notes.push(`no Django, FastAPI or Flask dependency: the image runs "python ${script}", which must listen on $PORT`);
  return ["python", script];
}

function djangoProject(project: ProjectDir, notes: string[]): string {
  const settings = /DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)\.settings["']/.exec(project.read("manage.py") ?? "")?.[1];
  if (settings) return settings;
  const dir = project.list(".").find((d) => /get_wsgi_application/.test(project.read(`${d}/wsgi.py`) ?? ""));
  if (dir) return dir;
  notes.push("no Django project found (manage.py, */wsgi.py): check the gunicorn module in the Dockerfile");
  return "config";
}

/**
 * Where the app object is: a module-level `name = Flask(...)` (or `= create_app(...)`) in the usual
 * files, else an app factory (`def create_app(`), as gunicorn/uvicorn's `module:name`. Packages at
 * the root (a folder with __init__.py, like Flask's tutorial `flaskr/`) are looked at after APP_FILES.
 */
function appObject(project: ProjectDir, constructor: string): { target: string; factory: boolean } | undefined {
  const files = [...APP_FILES, ...packageFiles(project)];
  const assignment = new RegExp(`^(\\w+)\\s*(?::[^=]+)?=\\s*(?:${constructor}|create_app)\\(`, "m");
  const module = (file: string): string => file.replace(/(\/__init__)?\.py$/, "").replaceAll("/", ".");
  for (const file of files) {
    const name = assignment.exec(project.read(file) ?? "")?.[1];
    if (name) return { target: `${module(file)}:${name}`, factory: false };
  }
  const factory = files.find((file) => /^(?:async\s+)?def create_app\(/m.test(project.read(file) ?? ""));
  return factory ? { target: `${module(factory)}:create_app`, factory: true } : undefined;
}

/** `PKG/__init__.py`, `PKG/app.py` and `PKG/main.py` of each package folder at the root (tests excluded). */
function packageFiles(project: ProjectDir): string[] {
  return project
    .list(".")
    .filter((d) => !/^(tests?|docs|migrations|venv|\.venv|node_modules)$/.test(d) && project.has(`${d}/__init__.py`))
    .flatMap((d) => [`${d}/__init__.py`, `${d}/app.py`, `${d}/main.py`])
    .filter((f) => !APP_FILES.includes(f));
}
