import type { Instruction, Onbuild } from "dockerfile-ast";
import type { Finding } from "./types.js";
import { parseShell, type ParsedShell, type ShellCommand } from "./shell.js";
import { lineOf, type Stage } from "./dockerfile-stages.js";
import type { RuleId } from "./rules.js";

/** Shells `SHELL [...]` may name that are not POSIX: DL4006 does not apply under them (hadolint's nonPosixShells). */
const NON_POSIX_SHELLS = ["pwsh", "powershell", "cmd"];
/** Shells whose `-o pipefail` hadolint accepts (plain sh has no pipefail everywhere). */
const PIPEFAIL_SHELLS = ["bash", "zsh", "ash"];

interface Run {
  line: number;
  shell: ParsedShell;
  /** Targets of `--mount=type=cache|tmpfs` flags. */
  mounts: string[];
  /** An `ONBUILD RUN`: runs in images built FROM this one. */
  onbuild: boolean;
}

/**
 * The RUN rules, each with hadolint's semantics (its src/Hadolint/Rule/DLxxxx.hs):
 * SW1011 (DL3015), SW1012 (DL3009), SW1013 (DL3019), SW1018 (DL3008), SW1019 (DL4006),
 * SW1020 (DL3003), SW1021 (DL3004). Commands are read with parseShell, not by substring.
 *
 * @example
 * checkRuns("Dockerfile", stages, out); // out gets { rule: "SW1021", line: 3, message: "RUN uses sudo" }...
 */
export function checkRuns(rel: string, stages: readonly Stage[], out: Finding[]): void {
  const at = (line: number, rule: RuleId, message: string): void => void out.push({ rule, file: rel, line, message });
  const usedAsBase = new Set(stages.map((s) => s.from.getImage()?.toLowerCase()).filter((n): n is string => !!n));
  stages.forEach((stage, index) => {
    let pipefail = false;
    const keepsAptLists = index === stages.length - 1 || (stage.name !== null && usedAsBase.has(stage.name.toLowerCase()));
    for (const i of stage.instructions) {
      if (i.getKeyword() === "SHELL") pipefail = shellAllowsPipes(i);
      const run = runOf(i);
      if (!run) continue;
      perCommand(run, at);
      if (run.onbuild) continue;
      if (run.shell.commands.some((c) => c.name === "cd")) at(run.line, "SW1020", "RUN uses cd: use WORKDIR to switch to a directory");
      if (!pipefail && run.shell.hasPipes) at(run.line, "SW1019", "RUN pipes commands without `set -o pipefail` in SHELL");
      if (keepsAptLists && aptListsKept(run)) {
        at(run.line, "SW1012", "apt lists are updated and not removed with rm -rf /var/lib/apt/lists/* in the same RUN");
      }
    }
  });
}

function perCommand(run: Run, at: (line: number, rule: RuleId, message: string) => void): void {
  const { commands } = run.shell;
  if (commands.some((c) => c.name === "sudo")) at(run.line, "SW1021", "RUN uses sudo");
  const aptInstalls = commands.filter((c) => c.name === "apt-get" && c.args.includes("install"));
  if (aptInstalls.some((c) => !c.flags.includes("no-install-recommends") && !c.args.includes("APT::Install-Recommends=false"))) {
    at(run.line, "SW1011", "apt-get install without --no-install-recommends");
  }
  const unpinned = aptInstalls.flatMap(aptPackages).filter((p) => !p.includes("=") && !p.includes("/") && !p.endsWith(".deb"));
  if (unpinned.length > 0) at(run.line, "SW1018", `apt-get install of unpinned package(s): ${unpinned.join(", ")}`);
  const apkCached = commands.some((c) => c.name === "apk" && c.args.includes("add") && !c.flags.includes("no-cache"));
  if (apkCached && !run.mounts.some((m) => m.includes("/var/cache/apk"))) at(run.line, "SW1013", "apk add without --no-cache");
}

/** Package operands of `apt-get install` (hadolint: words that are not flags, `-t`/`--target-release` values dropped). */
function aptPackages(c: ShellCommand): string[] {
  const out: string[] = [];
  for (let k = 0; k < c.args.length; k++) {
    const a = c.args[k] ?? "";
    if (a === "-t" || a === "--target-release") k++;
    else if (!a.startsWith("-") && a !== "install") out.push(a);
  }
  return out;
}

function aptListsKept(run: Run): boolean {
  const updates = run.shell.commands.some((c) => ["apt", "apt-get", "aptitude"].includes(c.name) && c.args.includes("update"));
  if (!updates) return false;
  const cleaned = run.shell.commands.some((c) => c.name === "rm" && (c.args.includes("-rf") || c.args.includes("/var/lib/apt/lists/*")));
  if (cleaned) return false;
  const mounted = (frag: string): boolean => run.mounts.some((m) => m.includes(frag));
  return !(mounted("/var/lib/apt/lists") || (mounted("/var/lib/apt") && mounted("/var/cache/apt")));
}

/** After `SHELL [...]`: whether RUN pipes are safe (a non-POSIX shell, or bash/zsh/ash with `-o pipefail`). */
function shellAllowsPipes(i: Instruction): boolean {
  const argv = jsonArgs(i) ?? i.getArguments().map((a) => a.getValue());
  const program = argv[0] ?? "";
  if (NON_POSIX_SHELLS.some((s) => program.startsWith(s))) return true;
  const base = program.slice(program.lastIndexOf("/") + 1);
  const hasO = argv.some((a) => /^-[a-z]*o[a-z]*$/.test(a));
  return PIPEFAIL_SHELLS.includes(base) && hasO && argv.includes("pipefail");
}

function runOf(i: Instruction): Run | undefined {
  const onbuild = i.getKeyword() === "ONBUILD";
  const target = onbuild ? (i as Onbuild).getTriggerInstruction() : i;
  if (!target || target.getKeyword() !== "RUN") return undefined;
  const script = jsonArgs(target)?.join(" ") ?? target.getArgumentsContent() ?? "";
  return { line: lineOf(i), shell: parseShell(script), mounts: onbuild ? [] : cacheMounts(target), onbuild };
}

/** The strings of an exec-form (JSON) argument list, or undefined for the shell form. */
export function jsonArgs(i: Instruction): string[] | undefined {
  const text = (i.getArgumentsContent() ?? "").trim();
  if (!text.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function cacheMounts(i: Instruction): string[] {
  const withFlags = i as Instruction & { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  if (typeof withFlags.getFlags !== "function") return [];
  return withFlags
    .getFlags()
    .filter((f) => f.getName() === "mount")
    .map((f) => Object.fromEntries((f.getValue() ?? "").split(",").map((kv) => kv.split("=") as [string, string])))
    .filter((o) => o["type"] === "cache" || o["type"] === "tmpfs")
    .map((o) => o["target"] ?? o["dst"] ?? o["destination"] ?? "");
}
