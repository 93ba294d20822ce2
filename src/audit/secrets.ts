import type { AuditFile, Checker, Finding } from "./types.js";

/** Known credential shapes. Kept narrow on purpose: a finding here should always be worth revoking. */
const TOKENS: { name: string; pattern: RegExp }[] = [
  { name: "AWS access key ID", pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "private key", pattern: /-----BEGIN (RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----/ },
  { name: "GitHub token", pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: "GitHub fine-grained token", pattern: /\bgithub_pat_[A-Za-z0-9_]{60,}\b/ },
  { name: "Slack token", pattern: /\bxox[baprs]-[A-Za-z0-9-]{10,}\b/ },
];
const ANY = new RegExp(TOKENS.map((t) => t.pattern.source).join("|"));

/** Documented example values that are not credentials. */
const ALLOWLIST = [/EXAMPLE/, /^AKIA0{16}$/];

/** `api_key = "..."`, `"password": "..."`, `SECRET_TOKEN: ...`: a secret-like name, then a quoted or bare value. */
const ASSIGNED =
  /([A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?)[A-Za-z0-9_.-]*)["']?\s*(?::=|=>|[:=])\s*["'`]?([A-Za-z0-9+/_\-.=~]{20,})["'`]?/i;
/** A cheap test before ASSIGNED (whose leading name pattern is slow on long text): a secret-like word anywhere. */
const SECRET_WORD = /secret|token|passw|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth[_-]?key|credential/i;
/** Values that only look random: placeholders, references, hashes of public things. */
const PLACEHOLDER =
  /example|sample|placeholder|changeme|change[_-]?me|dummy|fake|test|xxxx|your[_-]|redacted|\$\{|\{\{|^process\.env|^os\.|^secrets\.|^env\./i;
/** Files full of hashes that are not secrets. */
const HASH_FILES =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|go\.sum|poetry\.lock|uv\.lock|Pipfile\.lock|Cargo\.lock|composer\.lock|Gemfile\.lock)$/;

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / value.length) * Math.log2(n / value.length);
  return bits;
}

/** A value random enough to be a generated credential: 20+ characters, 3.5+ bits/char, letters and digits mixed. */
export function looksGenerated(value: string): boolean {
  return value.length >= 20 && entropy(value) >= 3.5 && /\d/.test(value) && /[A-Za-z]/.test(value) && !PLACEHOLDER.test(value);
}

/** `.env`, `.env.production`, `prod.env`... but not `.env.example` / `.env.sample` / `.env.template`. */
export function isDotenv(rel: string): boolean {
  const name = rel.slice(rel.lastIndexOf("/") + 1);
  if (/\.(example|sample|template|dist|defaults)$/.test(name)) return false;
  return name === ".env" || name.startsWith(".env.") || name.endsWith(".env");
}

/**
 * SW2001 (credential shapes in any text file), SW2002 (committed .env files) and SW2003
 * (high-entropy values assigned to secret-like names; lockfiles and placeholders skipped).
 *
 * @example
 * secretsChecker.check({ rel: ".env", text: "" }, project); // [{ rule: "SW2002", ... }]
 */
export const secretsChecker: Checker = {
  kind: "secrets",
  rules: ["SW2001", "SW2002", "SW2003"],
  matches: () => true,
  check(file: AuditFile): Finding[] {
    const out: Finding[] = [];
    if (isDotenv(file.rel)) out.push({ rule: "SW2002", file: file.rel, line: 1, message: `${file.rel} is committed` });
    const shaped = ANY.test(file.text);
    const named = !HASH_FILES.test(file.rel) && SECRET_WORD.test(file.text);
    if (!shaped && !named) return out;
    file.text.split("\n").forEach((content, i) => {
      let found = false;
      for (const t of shaped ? TOKENS : []) {
        const m = t.pattern.exec(content);
        if (m && !ALLOWLIST.some((a) => a.test(m[0]))) {
          out.push({ rule: "SW2001", file: file.rel, line: i + 1, message: `${t.name} ${redact(m[0])}` });
          found = true;
        }
      }
      const a = named && !found && SECRET_WORD.test(content) ? ASSIGNED.exec(content) : null;
      if (a && looksGenerated(a[2] ?? "")) {
        out.push({
          rule: "SW2003",
          file: file.rel,
          line: i + 1,
          message: `${a[1] ?? ""} is set to a random-looking value ${redact(a[2] ?? "")}`,
        });
      }
    });
    return out;
  },
};

function redact(secret: string): string {
  return secret.startsWith("-----") ? secret : `${secret.slice(0, 6)}…${secret.slice(-2)}`;
}
