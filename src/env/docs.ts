/**
 * The Markdown reference of an env schema: one table row per variable with
 * its type, whether it is required, its default and its description.
 */
import { describeVar, type VarInfo } from "./describe.js";
import type { EnvShape } from "./schema.js";

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** `text` ending with a full stop, so notes can follow it. */
function sentence(text: string): string {
  return text === "" || /[.!?:]$/.test(text) ? text : `${text}.`;
}

function row(info: VarInfo): string {
  const type = info.values ? info.values.map(code).join(" | ") : info.type;
  const required = info.default !== undefined || info.optional ? "no" : info.devDefault !== undefined ? "in production" : "yes";
  const fallback = info.default ?? info.devDefault;
  const defaultCell = fallback === undefined ? "" : `${code(fallback)}${info.default === undefined ? " outside production" : ""}`;
  const notes = [
    sentence(info.description?.trim() ?? ""),
    info.example !== undefined ? `Example: ${code(info.example)}.` : "",
    info.secret ? "Secret: printed as `[redacted]`, `.reveal()` gives the value." : "",
  ].filter((note) => note !== "");
  return `| ${code(info.name)} | ${cell(type)} | ${required} | ${cell(defaultCell)} | ${cell(notes.join(" "))} |`;
}

/**
 * A Markdown table documenting every variable of `schema` (name, type,
 * required, default, description; secrets marked).
 *
 * @example
 * envDocs(envSchema({ PORT: port({ description: "Port to listen on.", default: 3000 }) }));
 * // | Variable | Type | Required | Default | Description |
 * // | --- | --- | --- | --- | --- |
 * // | `PORT` | port | no | `3000` | Port to listen on. |
 */
export function envDocs(schema: EnvShape): string {
  const rows = Object.entries(schema).map(([name, varSchema]) => row(describeVar(name, varSchema)));
  return `${["| Variable | Type | Required | Default | Description |", "| --- | --- | --- | --- | --- |", ...rows].join("\n")}\n`;
}
