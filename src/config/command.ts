/**
 * Commands in slipway.yaml are either a list of words (`["node", "server.js"]`)
 * or one string split into words the way a shell would, honouring quotes and
 * backslashes but never running a shell: `node "my app.js" --port 3000`.
 */

/**
 * Splits a command line into words. Single quotes keep everything literally,
 * double quotes allow `\"` and `\\` escapes, and a backslash outside quotes
 * escapes the next character. Throws a RangeError on an unterminated quote.
 *
 * @example
 * splitCommand(`node "my app.js" --name 'a b'`); // ["node", "my app.js", "--name", "a b"]
 */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    const next = line.charAt(i + 1);
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && (next === '"' || next === "\\")) word += line.charAt(++i);
      else word += ch;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      inWord = true;
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === "\\" && next !== "") word += line.charAt(++i);
      else word += ch;
    }
  }
  if (quote) throw new RangeError(`unterminated ${quote === "'" ? "single" : "double"} quote in command: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/** The shell a string command runs with. */
export const SHELL = ["sh", "-c"] as const;

/** The script of a `sh -c` command, or the words joined: how a command is shown. */
export function commandLabel(command: readonly string[]): string {
  return command[0] === SHELL[0] && command[1] === SHELL[1] && command.length === 3 ? (command[2] ?? "") : command.join(" ");
}

/** First words after which `exec` would change the meaning: reserved words and builtins that are no program. */
const NO_EXEC = new Set(
  [
    "! { } [[ case do done elif else esac fi for function if in select then time until while",
    ". : alias break builtin cd command continue eval exec exit export local read readonly return set shift source trap ulimit umask unset wait",
  ]
    .join(" ")
    .split(" "),
);

/**
 * Whether a shell line is one simple command (no `;`, `&`, `|`, newline,
 * parentheses or braces outside quotes and `$(...)`), starting with a program
 * rather than a keyword, a builtin or an assignment: then `exec` can replace
 * the shell by it.
 */
export function isSimpleCommand(line: string): boolean {
  let quote: "'" | '"' | undefined;
  let depth = 0; // inside $( ... )
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (quote === "'") {
      if (ch === "'") quote = undefined;
    } else if (ch === "\\") {
      i++;
    } else if (ch === "$" && line.charAt(i + 1) === "(") {
      depth++;
      i++;
    } else if (ch === ")" && depth > 0) {
      depth--;
    } else if (ch === '"') {
      quote = quote ? undefined : ch;
    } else if (ch === "`") {
      return false;
    } else if (quote === undefined && ch === "'") {
      quote = ch;
    } else if (quote === undefined && depth === 0 && /[;&|()\n]/.test(ch) && !/[<>]/.test(line.charAt(i - 1))) {
      return false; // (`2>&1` and `>|` are redirections)
    }
  }
  if (quote || depth > 0) return false;
  const first = /^\s*(\S+)/.exec(line)?.[1];
  return first !== undefined && !NO_EXEC.has(first) && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(first);
}

/**
 * The argv of a string command: `sh -c` with the line, prefixed with `exec`
 * when it is one simple command, so the app replaces the shell and receives
 * the stop signal itself (Debian's dash does not do that on its own: sh would
 * get the signal instead, which docker-init passes to its child alone, and as
 * PID 1 of a container without an init it would ignore SIGTERM).
 *
 * @example
 * shellArgv("node server.js --port $PORT"); // ["sh", "-c", "exec node server.js --port $PORT"]
 * shellArgv("npm run migrate && exec node server.js"); // ["sh", "-c", "npm run migrate && exec node server.js"]
 */
export function shellArgv(line: string): string[] {
  const script = line.trim();
  return [...SHELL, isSimpleCommand(script) ? `exec ${script}` : script];
}
