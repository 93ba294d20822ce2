/**
 * `.env.example` from an env schema: every variable with its description as
 * comments, a line saying its type and whether it is required, and a value to
 * start from (example, else default); secrets blank, optional variables
 * commented out.
 */
import { describeVar, type VarInfo } from "./describe.js";
import type { EnvShape } from "./schema.js";

const HEADER = [
  "# Environment variables of this app, generated from its env schema (slipway env example).",
  "# Copy to .env and fill in the blanks; commented-out variables are optional.",
];

/** How a value is written so dotenv reads it back unchanged. */
function quote(value: string): string {
  if (/^[^\s#"'`\\]*$/.test(value)) return value;
  if (!value.includes('"') && !value.includes("\\")) return `"${value.replace(/\n/g, "\\n")}"`;
  if (!value.includes("'") && !value.includes("\n")) return `'${value}'`;
  return `\`${value}\``;
}

/**
 * "required", "optional", "default: 3000", or for a `devDefault`
 * "required in production; default outside production: dev-secret".
 *
 * @example
 * requirement(describeVar("PORT", port({ default: 3000 }))); // "default: 3000"
 */
export function requirement(info: VarInfo): string {
  if (info.default !== undefined) return `default: ${info.default}`;
  const need = info.optional ? "optional" : "required";
  if (info.devDefault === undefined) return need;
  return `${info.optional ? need : "required in production"}; default outside production: ${info.devDefault}`;
}

function entry(info: VarInfo): string[] {
  const lines = (info.description ?? "").split("\n").filter((line) => line.trim() !== "");
  const example = info.secret && info.example !== undefined ? `; example: ${info.example}` : "";
  const value = info.secret ? "" : (info.example ?? info.default ?? info.devDefault ?? "");
  return [
    ...lines.map((line) => `# ${line.trim()}`),
    `# ${info.type}; ${requirement(info)}${example}`,
    `${info.optional ? "# " : ""}${info.name}=${quote(value)}`,
  ];
}

/**
 * The text of a `.env.example` for `schema`.
 *
 * @example
 * writeFileSync(".env.example", envExample(envSchema({ PORT: port({ description: "Port to listen on.", default: 3000 }) })));
 * // # Environment variables of this app, generated from its env schema (slipway env example).
 * // # Copy to .env and fill in the blanks; commented-out variables are optional.
 * //
 * // # Port to listen on.
 * // # port; default: 3000
 * // PORT=3000
 */
export function envExample(schema: EnvShape): string {
  const entries = Object.entries(schema).map(([name, varSchema]) => entry(describeVar(name, varSchema)).join("\n"));
  return `${[HEADER.join("\n"), ...entries].join("\n\n")}\n`;
}
