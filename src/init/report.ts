import type { KeptFile } from "./plan.js";
import type { Stack } from "./stack.js";
import type { FileOutcome } from "./write.js";

const DONE: Record<FileOutcome["action"], string> = { create: "created", overwrite: "overwrote", skip: "skipped" };
const WOULD: Record<FileOutcome["action"], string> = { create: "would create", overwrite: "would overwrite", skip: "would skip" };
const SKIP_REASON = "it exists (pass --force to overwrite)";

/**
 * What `slipway init` prints: what was detected, one line per file, the notes,
 * and the next step. With `dryRun`, each file that would be written is printed
 * in full under a `--- path` line.
 *
 * @example
 * initReport(stack, outcomes, kept, false);
 * // "detected node in /srv/web\n  package manager: npm (package-lock.json)\n...\ncreated Dockerfile\n..."
 */
export function initReport(stack: Stack, outcomes: readonly FileOutcome[], kept: readonly KeptFile[], dryRun: boolean): string {
  const lines = [`detected ${stack.language?.language ?? "an existing Dockerfile"} (service ${stack.name}):`];
  lines.push(...stack.signals.map((s) => `  ${s}`));
  if (dryRun) lines.push("", "dry run: nothing is written");
  lines.push("");
  for (const k of kept) lines.push(`kept ${k.path}: ${k.reason}`);
  for (const o of outcomes) {
    const verb = (dryRun ? WOULD : DONE)[o.action];
    if (o.action === "skip") lines.push(`${verb} ${o.path}: ${SKIP_REASON}`);
    else if (dryRun) lines.push(`--- ${o.path} (${verb})`, o.content.trimEnd(), "");
    else lines.push(`${verb} ${o.path}`);
  }
  if (outcomes.every((o) => o.action === "skip")) {
    lines.push(`nothing ${dryRun ? "would be " : ""}written: all ${outcomes.length} files exist (pass --force to overwrite them)`);
  }
  if (stack.notes.length > 0) lines.push("", ...stack.notes.map((n) => `note: ${n}`));
  if (!dryRun && outcomes.some((o) => o.action !== "skip")) {
    lines.push("", "next: review the files, run `slipway audit`, then commit them (docs/init.md explains each choice)");
  }
  return lines.join("\n").replace(/\n{3,}/g, "\n\n");
}

/**
 * The `--json` form: the stack and, per file, the action (content too in a dry run).
 *
 * @example
 * initJson(stack, outcomes, kept, true); // { stack: {...}, files: [{ path: "Dockerfile", action: "create", content: "..." }], kept: [] }
 */
export function initJson(stack: Stack, outcomes: readonly FileOutcome[], kept: readonly KeptFile[], dryRun: boolean): unknown {
  return {
    dryRun,
    stack,
    files: outcomes.map(({ path, action, content }) => ({ path, action, ...(dryRun && action !== "skip" ? { content } : {}) })),
    kept,
  };
}
