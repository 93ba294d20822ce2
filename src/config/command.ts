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
