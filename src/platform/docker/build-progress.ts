import type { EngineMessage } from "./json-stream.js";

/** Output lines kept for the error of a failed build. */
export const BUILD_TAIL_LINES = 15;

/**
 * Follows the classic builder's output: hands every line on, remembers the
 * step in progress ("Step 3/5 : RUN npm ci"), the image id it reports and
 * the last lines, and the error if the build fails.
 *
 * @example
 * const progress = new BuildProgress(console.log);
 * for await (const message of jsonMessages(stream)) progress.add(message);
 * progress.error; // "The command '/bin/sh -c npm ci' returned a non-zero code: 1"
 */
export class BuildProgress {
  step: { index: number; total: number; instruction: string } | undefined;
  imageId: string | undefined;
  error: string | undefined;
  readonly tail: string[] = [];
  #onLine: (line: string) => void;
  #partial = "";

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  add(message: EngineMessage): void {
    if (message.stream !== undefined) this.#text(message.stream);
    else if (message.status !== undefined && message.progressDetail?.current === undefined) {
      this.#text(`${message.id ? `${message.id}: ` : ""}${message.status}\n`);
    }
    if (message.aux?.ID) this.imageId = message.aux.ID;
    const error = message.errorDetail?.message ?? message.error;
    if (error !== undefined) {
      this.#flush();
      this.error = error.trim();
      this.#line(error.trim());
    }
  }

  /** Hand on a last line without a newline. */
  end(): void {
    this.#flush();
  }

  /** "at step 3/5: RUN npm ci" or "" before the first step. */
  where(): string {
    return this.step ? ` at step ${this.step.index}/${this.step.total}: ${this.step.instruction}` : "";
  }

  #text(text: string): void {
    const lines = (this.#partial + text).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#line(line.replace(/\r$/, ""));
  }

  #flush(): void {
    if (this.#partial !== "") this.#line(this.#partial);
    this.#partial = "";
  }

  #line(line: string): void {
    const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (step) this.step = { index: Number(step[1]), total: Number(step[2]), instruction: step[3] ?? "" };
    this.tail.push(line);
    if (this.tail.length > BUILD_TAIL_LINES) this.tail.shift();
    this.#onLine(line);
  }
}
