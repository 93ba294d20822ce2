/**
 * Generates docs/config.md, the slipway.yaml reference, from the schema (via
 * its JSON Schema): one section per top-level key with every key path, type,
 * default and description. `scripts/gen-config-docs.mjs` writes it; a test
 * checks the committed file matches, so the docs never drift.
 */
import { buildJsonSchema } from "./json-schema.js";

type Node = Record<string, unknown> & {
  properties?: Record<string, Node>;
  required?: string[];
  anyOf?: Node[];
  items?: Node;
  additionalProperties?: Node | boolean;
};

const INTRO = `# slipway.yaml reference

<!-- Generated from src/config/schema.ts by scripts/gen-config-docs.mjs. Do not edit by hand. -->

Slipway reads \`slipway.yaml\` (or \`slipway.yml\`) from the current directory, or the file given with \`-c FILE\`.
Unknown keys are errors, and every problem is reported at once with its key path and line, for example
\`app.replcas: unknown key, did you mean "replicas"? (slipway.yaml:6)\`.

Editors can validate and complete the file with the JSON Schema generated from the same schema
(\`configJsonSchema()\` in src/config/json-schema.ts): save it as \`slipway.schema.json\` and put
\`# yaml-language-server: $schema=./slipway.schema.json\` on the first line.

A minimal file:

\`\`\`yaml
name: hello
app:
  command: node server.js   # must listen on $PORT
health:
  readiness: { http: /health }
\`\`\`

## Value formats

| Type | Written as | Becomes |
| --- | --- | --- |
| duration | \`500ms\`, \`2s\`, \`5m\`, \`1h\`, \`1m30s\`, or an integer number of milliseconds; at most 2147483647 ms (about 24.8 days, Node's timer limit) | milliseconds |
| size | \`512KB\`, \`10MB\`, \`1GB\` (1KB = 1024 bytes), or an integer number of bytes | bytes |
| percent | \`1%\`, \`0.5%\`, or a number of percent (\`1\` means 1%) | a fraction: 1% is 0.01 |
| integer or percent | a count (\`1\`) or a percentage of app.replicas (\`25%\`) | \`{ count }\` or \`{ percent }\` |
| address | \`host:port\`, \`[::1]:port\`, \`:port\` or a port; no host means all interfaces | \`{ host, port }\` |
| command | a list of words, or one string split like a shell would (quotes respected; no shell runs) | a list of words |
| shell command | a string run with \`sh -c\` (pipes, \`&&\`, \`$VARS\` work), or a list of words run without a shell | a list of words (\`["sh", "-c", string]\` for a string) |
`;

/** Types documented once in their own section and linked from every use. */
const SHARED: Record<string, string> = {
  probe: "A health probe: exactly one of `http`, `tcp` or `exec`, plus timing and thresholds.",
  analysis: "Metric analysis of the new release, measured every `interval` over the trailing `window`. Absent thresholds are not checked.",
  check:
    "A check against the new release: exactly one of `http` or `run`. Checks run in order and all must pass. See docs/hooks-and-notifications.md.",
};

function escape(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function typeOf(node: Node): string {
  const label = node["x-doc-type"];
  if (typeof label === "string") return label in SHARED ? `[${label}](#${label})` : label;
  if (Array.isArray(node["enum"])) return node["enum"].map((value) => `\`${String(value)}\``).join(" | ");
  if (node["const"] !== undefined) return `\`${String(node["const"])}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(" or ");
  const type = node["type"];
  if (Array.isArray(type)) return type.join(" or ");
  if (type === "array") {
    if (!node.items) return "list";
    return node.items.properties && !node.items["x-doc-type"] ? "list of mappings" : `list of ${typeOf(node.items)}`;
  }
  if (type === "object") {
    const values = node.additionalProperties;
    return typeof values === "object" ? `mapping of name to ${typeOf(values)}` : "mapping";
  }
  if (type === "integer" && typeof node["minimum"] === "number") {
    return typeof node["maximum"] === "number" ? `integer ${node["minimum"]}-${node["maximum"]}` : `integer >= ${node["minimum"]}`;
  }
  return typeof type === "string" ? type : "any";
}

function defaultOf(node: Node, required: boolean): string {
  const value = node["default"];
  if (value === undefined || (typeof value === "object" && value !== null && !Array.isArray(value))) {
    return required ? "required" : "";
  }
  return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

/** Walks the JSON Schema into table rows, collecting shared types to document once. */
class Table {
  readonly rows = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"];
  constructor(private readonly shared: Map<string, Node>) {}

  row(path: string, node: Node, required: boolean): void {
    const description = escape(String(node["description"] ?? ""));
    this.rows.push(`| \`${path}\` | ${escape(typeOf(node))} | ${defaultOf(node, required)} | ${description} |`);
    for (const target of [node, node.items]) {
      const label = target?.["x-doc-type"];
      if (target && typeof label === "string" && label in SHARED) {
        if (!this.shared.has(label)) this.shared.set(label, target);
        return;
      }
    }
    for (const item of [node.items, ...(node.items?.anyOf ?? [])]) if (item?.properties) this.children(`${path}[]`, item);
    for (const object of [node, ...(node.anyOf ?? [])]) if (object.properties) this.children(path, object);
  }

  children(path: string, object: Node): void {
    for (const [key, child] of Object.entries(object.properties ?? {})) {
      this.row(path ? `${path}.${key}` : key, child, object.required?.includes(key) ?? false);
    }
  }
}

/** Extra text shown under a section's table. */
const NOTES: Record<string, string> = {
  environments: `Pick one with \`--environment NAME\`; its keys are merged over the rest of the file:

\`\`\`yaml
app: { replicas: 2, env: { LOG_LEVEL: debug } }
health:
  readiness: { tcp: true }
environments:
  production:
    app: { replicas: 5, env: { LOG_LEVEL: info } }  # env merges key by key
    health:
      readiness: { tcp: null, http: /ready }        # null removes the base key
\`\`\`

Every environment is checked for unknown keys and bad values, even when not selected.`,
  hooks: "What each hook receives and when a failing hook stops a rollout: docs/hooks-and-notifications.md.",
  notify: "The JSON body and its Slack-compatible `text`: docs/hooks-and-notifications.md.",
};

function section(title: string, about: string, table: Table): string {
  const note = NOTES[title] ? `\n${NOTES[title]}\n` : "";
  return `## ${title}\n\n${about ? `${about}\n\n` : ""}${table.rows.join("\n")}\n${note}`;
}

/**
 * The markdown reference of slipway.yaml: value formats, one section per
 * top-level key (key, type, default, description), then the shared probe,
 * analysis and check types.
 *
 * @example
 * writeFileSync("docs/config.md", configReference());
 */
export function configReference(): string {
  const schema = buildJsonSchema({ docTypes: true }) as Node;
  const shared = new Map<string, Node>();
  const sections = Object.entries(schema.properties ?? {}).map(([key, node]) => {
    const required = schema.required?.includes(key) ?? false;
    const table = new Table(shared);
    const isSection = Boolean(node.properties) && key !== "environments";
    if (isSection) table.children(key, node);
    else table.row(key, node, required);
    const about = isSection ? `${String(node["description"] ?? "")}${required ? " Required." : ""}` : "";
    return section(key, about, table);
  });
  for (const [label, about] of Object.entries(SHARED)) {
    const node = shared.get(label);
    if (!node) continue;
    const table = new Table(shared);
    table.children("", node);
    sections.push(section(label, about, table));
  }
  return `${INTRO}\n${sections.join("\n")}`;
}
