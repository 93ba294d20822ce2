import type { Stack } from "./stack.js";

/**
 * The RUN line (with its comment) creating the folders in `stack.shared`,
 * owned by the image's user: the only thing the app can write. Placed before
 * USER. A named volume mounted there starts as a copy of the folder, owner
 * included, so the app can write it under Slipway too. Empty without data.
 *
 * @example
 * dataDirsLines(stack); // "# Data the app writes ...\nRUN mkdir -p data && chown -R 1000:1000 data\n"
 */
export function dataDirsLines(stack: Stack): string {
  if (stack.shared.length === 0) return "";
  const dirs = stack.shared.join(" ");
  return `# Data the app writes: app.shared in slipway.yaml (a volume per folder, kept across releases; it starts
# as a copy of this folder, owner included), so these folders belong to the app's user.
RUN mkdir -p ${dirs} && chown -R ${stack.uid}:${stack.uid} ${dirs}
`;
}

/**
 * The comment above a JSON-form CMD whose process is PID 1: it promises a
 * graceful stop only when something handles SIGTERM (`stack.sigterm`).
 *
 * @example
 * pid1Comment(stack, "JSON form: node is PID 1"); // "# JSON form: node is PID 1 and receives SIGTERM directly; process.on('SIGTERM') in server.js ..."
 */
export function pid1Comment(stack: Stack, who: string): string {
  const first = `# ${who} and receives SIGTERM directly`;
  if (stack.sigterm) return `${first}; ${stack.sigterm} shuts it down gracefully.\n`;
  if (stack.language?.language === "go")
    return `${first}.\n# No signal.Notify handler was found: it exits at once, cutting in-flight requests.\n`;
  return `${first}.
# No SIGTERM handler was found in the source, and PID 1 ignores signals it does not handle:
# a stop waits for the shutdown timeout, then kills it. Add a handler for a graceful, quick stop.
# (Under an init, like Slipway's docker.init or docker run --init, SIGTERM ends it at once.)
`;
}
