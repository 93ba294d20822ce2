/** Shared shapes of `slipway audit`: findings, checkers, the files checkers see (a rule's shape is rule.ts). */
import type { AuditConfig } from "../config/types.js";
import type { RuleId } from "./rules.js";

/** One problem: a rule broken at `file:line` (file relative to the audited root, `/`-separated; line 1-based). */
export interface Finding {
  rule: RuleId;
  file: string;
  line: number;
  message: string;
}

/** A readable text file handed to checkers. */
export interface AuditFile {
  /** Path relative to the root, `/`-separated. */
  rel: string;
  text: string;
}

/** Checks one kind of file. `rules` lists every rule it can report (they count as "ran" when it matched a file). */
export interface Checker {
  kind: string;
  rules: readonly RuleId[];
  matches(rel: string): boolean;
  check(file: AuditFile, project: ProjectView): Finding[];
}

/** What a checker may ask about the rest of the project (read-only). */
export interface ProjectView {
  /** Text of a file relative to the root, or undefined when absent/unreadable/ignored. */
  read(rel: string): string | undefined;
  /** Every audited file (relative, `/`-separated), in walk order. */
  files: readonly string[];
  /** Whether a path (that may not exist; a trailing `/` for a folder) is left out of the audit by .gitignore or as tool state. */
  ignored(rel: string): boolean;
  /** The `audit:` section of the root slipway.yaml (defaults when there is none or it is invalid). */
  settings: AuditConfig;
}

/** Checks the project as a whole, once, after the files (repository-level rules). */
export interface ProjectChecker {
  kind: string;
  rules: readonly RuleId[];
  /** Whether the rules apply to this project at all (they count as "ran" when they do). */
  applies(project: ProjectView): boolean;
  check(project: ProjectView): Finding[];
}
