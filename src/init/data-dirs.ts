import { posix } from "node:path";
import type { ProjectDir } from "./project-dir.js";
import type { LanguageFacts } from "./stack.js";

/** SQLite database files. */
const SQLITE = [".db", ".sqlite", ".sqlite3"];
/** Source files whose string literals may name a data path. */
const CODE = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".py", ".go"];
/** Folders that hold written data by convention when the project has them or its code names them. */
const DATA_FOLDERS = ["data", "uploads"];
/** Test folders and fixtures: their databases are not the app's data. */
const TEST_PATH = /(^|\/)(tests?|__tests__|fixtures?|spec)(\/|$)/;

/** What detection found: the paths for app.shared, and one line per path saying why. */
export interface DataDirs {
  shared: string[];
  reasons: string[];
}

/**
 * Folders the app writes that must outlive a release (`app.shared`): folders
 * holding SQLite files (on disk, or named in the code like `"data/app.db"`),
 * `data/` and `uploads/` when they exist or the code names them (`"./data"`,
 * `"uploads/"`), and Flask's `instance/` (when it exists, the code uses
 * `instance_path`/`instance_relative_config`, or a relative `sqlite:///`
 * URL, which Flask-SQLAlchemy puts there). A bare file name in code
 * (`"app.db"`) says nothing about its folder and is ignored. A SQLite file at the root or
 * beside source code is not shared (a volume mounts a whole folder): a note
 * says to move it into `data/`.
 *
 * @example
 * findDataDirs(projectDir("/srv/web"), nodeFacts, notes); // { shared: ["data"], reasons: ["data (SQLite file data/app.db)"] }
 */
export function findDataDirs(project: ProjectDir, language: LanguageFacts | undefined, notes: string[]): DataDirs {
  const found = new Map<string, string>();
  const flask = language?.language === "python" && language.framework === "flask";
  const add = (dir: string, why: string): void => void (found.has(dir) || found.set(dir, why));
  const unshared = new Set<string>();
  const sqliteAt = (file: string, why: string): void => {
    const dir = posix.dirname(file);
    if (dir !== "." && !holdsCode(project, dir)) return add(dir, why);
    if (unshared.has(file)) return;
    unshared.add(file);
    notes.push(
      `${file} is a SQLite file ${dir === "." ? "at the project root" : "beside source code"}: not shared across releases (a volume mounts a folder, and SQLite writes its journal beside the file); move it into data/ and it will be`,
    );
  };
  for (const file of project.sources(SQLITE).filter((f) => !TEST_PATH.test(f))) sqliteAt(file, `SQLite file ${file}`);
  for (const dir of [...DATA_FOLDERS, ...(flask ? ["instance"] : [])]) {
    if (project.list(dir).length > 0 && !holdsCode(project, dir)) add(dir, `folder ${dir}/`);
  }
  for (const file of project.sources(CODE).filter((f) => !TEST_PATH.test(f))) {
    const text = project.read(file) ?? "";
    for (const m of text.matchAll(/["'`](sqlite:\/\/\/)?(?:\.\/)?([\w-][\w./-]*\.(?:db|sqlite3?))["'`]/g)) {
      const path = m[2] ?? "";
      if (path.includes("..") || path.includes("//")) continue;
      const instance = flask && (m[1] || (!path.includes("/") && /\binstance_path\b/.test(text)));
      if (instance) add("instance", `${m[0]} in ${file}, in Flask's instance folder`);
      // A bare file name is usually joined to some folder in code: only one with its folder says where it is.
      else if (path.includes("/")) sqliteAt(path, `SQLite file ${path} named in ${file}`);
    }
    for (const m of text.matchAll(/["'`](\.\/)?(data|uploads)(\/[\w./-]*)?["'`]/g)) {
      if (m[2] === "data" && !m[1] && !m[3]) continue; // a bare "data" is an event name or a key, not a path
      add(m[2]!, `${m[0]} in ${file}`);
    }
    if (flask && /\binstance_(path|relative_config)\b/.test(text)) add("instance", `Flask's instance folder (${file})`);
  }
  const shared = [...found.keys()].sort().filter((d, _, all) => !all.some((o) => d.startsWith(`${o}/`)));
  return { shared, reasons: shared.map((d) => `${d} (${found.get(d) ?? ""})`) };
}

function holdsCode(project: ProjectDir, dir: string): boolean {
  return project.list(dir).some((f) => CODE.some((x) => f.endsWith(x)));
}
