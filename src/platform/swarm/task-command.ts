import { SHELL } from "../../config/command.js";
import { wordPieces } from "../../config/command-vars.js";

/** `text` as one word of a shell line, taken literally. */
function quoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The Args of a Swarm service for a list command whose references to `names`
 * are expanded (config/command-vars.ts). Values the spec already knows (`env`:
 * the release's variables, SLIPWAY_RELEASE...) are put in here. PORT,
 * SLIPWAY_SLOT and SLIPWAY_TASK_ID differ per task: Swarm fills them from
 * templates in Env, which Args cannot use, so a reference to one of them
 * makes the task start as `sh -c 'exec ...'`, every word quoted (no
 * splitting, no globbing) and those references left to that shell.
 *
 * @example
 * taskArgs(["node", "s.js", "--port", "$PORT"], ["PORT"], {}); // ["sh", "-c", `exec 'node' 's.js' '--port' "\${PORT}"`]
 */
export function taskArgs(argv: readonly string[], names: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const words = argv.map((word) => wordPieces(word, names));
  const perTask = words.some((pieces) => pieces.some((piece) => typeof piece !== "string" && !(piece.name in env)));
  if (!perTask) return words.map((pieces) => pieces.map((piece) => (typeof piece === "string" ? piece : env[piece.name])).join(""));
  const line = words.map((pieces) =>
    pieces.length === 0
      ? "''"
      : pieces
          .map((piece) =>
            typeof piece === "string" ? quoted(piece) : piece.name in env ? quoted(env[piece.name] ?? "") : `"\${${piece.name}}"`,
          )
          .join(""),
  );
  return [...SHELL, `exec ${line.join(" ")}`];
}
