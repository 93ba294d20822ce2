import type { ProjectDir } from "./project-dir.js";
import type { LanguageFacts } from "./stack.js";

/** Code that handles SIGTERM, per language: [pattern, what it is called in notes and comments]. */
const HANDLERS: Readonly<Record<LanguageFacts["language"], readonly [RegExp, string][]>> = {
  node: [
    [/process\.(?:on|once|addListener|prependListener)\(\s*["'`]SIGTERM["'`]/, "process.on('SIGTERM')"],
    [/["'`]slipway\/health["'`]/, "slipway/health"],
    [/["'`](?:@godaddy\/terminus|close-with-grace|http-terminator|lightship|stoppable)["'`]/, "a shutdown library"],
    [/\.enableShutdownHooks\(/, "NestJS enableShutdownHooks()"],
  ],
  go: [[/\bsignal\.Notify(?:Context)?\(/, "signal.Notify"]],
  python: [[/\bsignal\.signal\(\s*signal\.SIGTERM\b|\bloop\.add_signal_handler\(\s*signal\.SIGTERM\b/, "a SIGTERM handler"]],
};
const EXTENSIONS: Readonly<Record<LanguageFacts["language"], string[]>> = {
  node: [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"],
  go: [".go"],
  python: [".py"],
};

/**
 * What shuts the app down gracefully on SIGTERM, or undefined when nothing
 * does: the server itself (gunicorn, uvicorn, `next start` handle it), else a
 * handler found in the source (`process.on('SIGTERM')`, slipway/health,
 * `signal.Notify`, `signal.signal(signal.SIGTERM, ...)`). Without one, a
 * Node or Python PID 1 ignores SIGTERM (stops wait for the kill; under an init,
 * such as Slipway's docker.init, it exits at once) and Go exits at once,
 * in-flight requests cut.
 *
 * @example
 * findSigtermHandler(projectDir("/srv/web"), nodeFacts); // "process.on('SIGTERM') in server.js"
 */
export function findSigtermHandler(project: ProjectDir, language: LanguageFacts | undefined): string | undefined {
  if (!language) return undefined;
  if (language.language === "node" && language.framework === "next") return "next start";
  if (language.language === "python") {
    if (language.start[0] === "gunicorn") return "gunicorn";
    if (language.start.join(" ").includes("exec uvicorn")) return "uvicorn";
  }
  for (const file of project.sources(EXTENSIONS[language.language])) {
    if (/(^|\/)(tests?|__tests__)\/|[._]test\.|(^|\/)test_/.test(file)) continue;
    const text = project.read(file) ?? "";
    const found = HANDLERS[language.language].find(([pattern]) => pattern.test(text));
    if (found) return `${found[1]} in ${file}`;
  }
  return undefined;
}
