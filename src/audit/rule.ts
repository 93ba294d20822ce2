/** The shape of one `slipway audit` rule; the tables of rules are rules.ts and rules-*.ts. */
export type Severity = "error" | "warning" | "info";
export type Section = "Application" | "Infrastructure" | "Monitoring" | "Security" | "Operations";

export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];
export const SECTIONS: readonly Section[] = ["Application", "Infrastructure", "Monitoring", "Security", "Operations"];

/**
 * One checklist item. `equivalents` names the same check in other tools, e.g. "hadolint DL3007".
 * `Id` is `string` where a table is declared (`as const satisfies readonly Rule[]` keeps each
 * literal ID) and `RuleId` (rules.ts) once the tables are joined.
 *
 * @example
 * export const MY_RULES = [{ id: "SW9001", severity: "info", section: "Operations", title, reason, fix, equivalents: [] }] as const satisfies readonly Rule[];
 */
export interface Rule<Id extends string = string> {
  readonly id: Id;
  readonly severity: Severity;
  readonly section: Section;
  readonly title: string;
  readonly reason: string;
  readonly fix: string;
  readonly equivalents: readonly string[];
}
