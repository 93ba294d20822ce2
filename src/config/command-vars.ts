/**
 * Variables in a list command (`app.command: [node, server.js, --port, $PORT]`).
 * No shell runs it, so Slipway expands, at spawn and with the instance's own
 * values, a `$NAME` or `${NAME}` naming a variable Slipway sets (PORT,
 * SLIPWAY_*) or one the release's env declares (`app.env`, `deploy --env`),
 * as Kubernetes expands `$(NAME)`. Any other reference stays as written, and
 * `$$` is a literal `$` (`$$PORT` -> `$PORT`). Pure.
 */
import type { PlatformType } from "./types.js";

/** What Slipway itself sets in an instance's environment, per platform (see daemon/fleet.ts, platform/swarm/service-spec.ts and platform/kubernetes/manifests.ts). */
export const INSTANCE_VARS: Readonly<Record<PlatformType, readonly string[]>> = {
  process: ["PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_INSTANCE"],
  docker: ["PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_INSTANCE"],
  swarm: ["PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_SLOT", "SLIPWAY_TASK_ID"],
  kubernetes: ["PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_INSTANCE"],
};

/** `$$`, `${NAME}` or `$NAME`. */
const REFERENCE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** A piece of a word: literal text, or a reference to a variable that is expanded. */
export type WordPiece = string | { name: string };

/**
 * Splits a word into literal text and references to `names` (`$$` already a
 * single `$`, other references left as text).
 *
 * @example
 * wordPieces("--port=${PORT}x$HOME$$", ["PORT"]); // ["--port=", { name: "PORT" }, "x$HOME$"]
 */
export function wordPieces(word: string, names: readonly string[]): WordPiece[] {
  const pieces: WordPiece[] = [];
  let text = "";
  let last = 0;
  for (const match of word.matchAll(REFERENCE)) {
    const name = match[1] ?? match[2];
    text += word.slice(last, match.index);
    last = match.index + match[0].length;
    if (name === undefined) text += "$";
    else if (!names.includes(name)) text += match[0];
    else {
      if (text !== "") pieces.push(text);
      pieces.push({ name });
      text = "";
    }
  }
  text += word.slice(last);
  if (text !== "") pieces.push(text);
  return pieces;
}

/**
 * A list command with the references to `names` replaced by their value in
 * `env` (a name `env` lacks expands to nothing, as in a shell).
 *
 * @example
 * expandCommand(["node", "s.js", "--port", "$PORT", "$$HOME"], ["PORT"], { PORT: "4001" }); // ["node", "s.js", "--port", "4001", "$HOME"]
 */
export function expandCommand(argv: readonly string[], names: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return argv.map((word) =>
    wordPieces(word, names)
      .map((piece) => (typeof piece === "string" ? piece : (env[piece.name] ?? "")))
      .join(""),
  );
}

/**
 * The names a list command may reference on `platform`: Slipway's own and the release's env.
 *
 * @example
 * commandVarNames("process", { LOG_LEVEL: "debug" }); // ["PORT", "SLIPWAY_RELEASE", "SLIPWAY_VERSION", "SLIPWAY_INSTANCE", "LOG_LEVEL"]
 */
export function commandVarNames(platform: PlatformType, releaseEnv: Readonly<Record<string, string>>): string[] {
  return [...new Set([...INSTANCE_VARS[platform], ...Object.keys(releaseEnv)])];
}
