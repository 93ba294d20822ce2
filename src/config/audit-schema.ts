import { z } from "zod";
import { says } from "./fields.js";

const RULE_ID = says("must be a rule ID like SW1001 (see slipway audit --list-rules)");
const DATE = says("must be a date like 2027-01-31");

/** A calendar date `YYYY-MM-DD` that exists (2027-02-30 does not). */
function isRealDate(value: string): boolean {
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** `audit:` in slipway.yaml: how `slipway audit` treats this project. See docs/audit.md. */
export const auditSchema = z
  .strictObject({
    ignore: z
      .array(
        z.strictObject({
          rule: z
            .string(RULE_ID)
            .regex(/^SW\d{4}$/, RULE_ID)
            .describe("Rule ID to ignore, like SW1002."),
          path: z
            .string()
            .min(1)
            .optional()
            .describe("Only findings in files matching this gitignore-style pattern, like k8s/ or *.Dockerfile; default: everywhere."),
          reason: z
            .string(says("must say why the finding is accepted"))
            .trim()
            .min(1, says("must say why the finding is accepted"))
            .describe("Why the finding is accepted (required: an ignore nobody can explain cannot be reviewed)."),
          until: z
            .string(DATE)
            .regex(/^\d{4}-\d{2}-\d{2}$/, DATE)
            .refine(isRealDate, DATE)
            .optional()
            .describe(
              "Last day the ignore applies (YYYY-MM-DD); after it the finding is back and the expired ignore is reported (SW0003).",
            ),
        }),
        says("must be a list of { rule, reason } entries"),
      )
      .default([])
      .describe("Accepted findings, each with a reason and an optional expiry date."),
    actionPinning: z
      .enum(["tag", "sha"])
      .default("tag")
      .describe(
        'How third-party GitHub Actions must be pinned: "tag" (a version tag is enough; a SHA is suggested as info) or "sha" (only a full commit SHA passes).',
      ),
  })
  .prefault({})
  .describe("Settings of slipway audit (the daemon ignores them).");
