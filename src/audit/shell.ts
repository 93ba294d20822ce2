/** A simple command of a shell script: its name and its words, quotes removed. */
export interface ShellCommand {
  name: string;
  /** Every word after the name. */
  args: string[];
  /** Flag letters and names, hadolint-style: `-yq` is y and q, `--no-cache=x` is no-cache. */
  flags: string[];
  /** The words that are not flags. */
  operands: string[];
}

/** The commands of a script, and whether it pipes one command into another. */
export interface ParsedShell {
  commands: ShellCommand[];
  hasPipes: boolean;
}

/** Words that start a compound command or prefix a command: the command is the word after them. */
const PREFIX_WORDS = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time", "exec"]);
const SEPARATORS = ["&&", "||", ";;", "|", ";", "&", "\n", "(", ")"];
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Splits a POSIX shell script (a RUN line) into simple commands: words are split on
 * blanks outside quotes, quotes and backslashes are removed, `&&`, `||`, `;`, `|`, `&`,
 * newlines and parentheses separate commands; leading `VAR=value` words and keywords
 * (`if`, `then`, `do`...) are skipped. Not a full parser: enough to find which programs a
 * RUN uses with which arguments, as hadolint's checks need.
 *
 * @example
 * parseShell("apt-get update && apt-get install -y curl | tee log").commands.map((c) => c.name); // ["apt-get", "apt-get", "tee"]
 */
export function parseShell(script: string): ParsedShell {
  const commands: ShellCommand[] = [];
  let hasPipes = false;
  let words: string[] = [];
  const flush = (): void => {
    const start = words.findIndex((w) => !ASSIGNMENT.test(w) && !PREFIX_WORDS.has(w));
    const [name, ...args] = start < 0 ? [] : words.slice(start);
    if (name !== undefined && !["fi", "done", "}", "esac"].includes(name)) commands.push(command(name, args));
    words = [];
  };
  for (const token of tokens(script)) {
    if (token.separator) {
      if (token.text === "|") hasPipes = true;
      flush();
    } else words.push(token.text);
  }
  flush();
  return { commands, hasPipes };
}

function command(name: string, args: string[]): ShellCommand {
  const flags: string[] = [];
  const operands: string[] = [];
  for (const a of args) {
    if (a === "-" || a === "--" || !a.startsWith("-")) operands.push(a);
    else if (a.startsWith("--")) flags.push(a.slice(2).split("=")[0] ?? "");
    else flags.push(...a.slice(1));
  }
  return { name, args, flags, operands };
}

function* tokens(script: string): Generator<{ text: string; separator: boolean }> {
  let word = "";
  let inWord = false;
  for (let i = 0; i < script.length; i++) {
    const c = script[i] ?? "";
    if (c === "\\") {
      const next = script[i + 1];
      i++;
      if (next === "\n" || next === undefined) continue;
      word += next;
      inWord = true;
    } else if (c === "'" || c === '"') {
      const end = closing(script, i, c);
      word += unquote(script.slice(i + 1, end), c);
      inWord = true;
      i = end;
    } else if (c === "#" && !inWord) {
      while (i + 1 < script.length && script[i + 1] !== "\n") i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      if (inWord) yield { text: word, separator: false };
      word = "";
      inWord = false;
    } else {
      const sep = SEPARATORS.find((s) => script.startsWith(s, i));
      if (sep !== undefined && !(c === "(" && word.endsWith("$"))) {
        if (inWord) yield { text: word, separator: false };
        word = "";
        inWord = false;
        yield { text: sep, separator: true };
        i += sep.length - 1;
      } else {
        word += c;
        inWord = true;
      }
    }
  }
  if (inWord) yield { text: word, separator: false };
}

function closing(script: string, open: number, quote: string): number {
  for (let i = open + 1; i < script.length; i++) {
    if (quote === '"' && script[i] === "\\") i++;
    else if (script[i] === quote) return i;
  }
  return script.length;
}

function unquote(body: string, quote: string): string {
  return quote === "'" ? body : body.replace(/\\\n/g, "").replace(/\\(["\\$`])/g, "$1");
}
