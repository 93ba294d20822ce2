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

/** `.env`, `.env.production`, `prod.env`... but not `.env.example` / `.env.sample` / `.env.template`. */
export function isDotenv(rel: string): boolean {
  const name = rel.slice(rel.lastIndexOf("/") + 1);
  if (/\.(example|sample|template|dist|defaults)$/.test(name)) return false;
  return name === ".env" || name.startsWith(".env.") || name.endsWith(".env");
}

/**
 * SW2001 (credential shapes in any text file) and SW2002 (committed .env files).
 *
 * @example
 * secretsChecker.check({ rel: ".env", text: "" }, project); // [{ rule: "SW2002", ... }]
 */
export const secretsChecker: Checker = {
  kind: "secrets",
  rules: ["SW2001", "SW2002"],
  matches: () => true,
  check(file: AuditFile): Finding[] {
    const out: Finding[] = [];
    if (isDotenv(file.rel)) out.push({ rule: "SW2002", file: file.rel, line: 1, message: `${file.rel} is committed` });
    if (!ANY.test(file.text)) return out;
    file.text.split("\n").forEach((content, i) => {
      for (const t of TOKENS) {
        const m = t.pattern.exec(content);
        if (m && !ALLOWLIST.some((a) => a.test(m[0]))) {
          out.push({ rule: "SW2001", file: file.rel, line: i + 1, message: `${t.name} ${redact(m[0])}` });
        }
      }
    });
    return out;
  },
};

function redact(secret: string): string {
  return secret.startsWith("-----") ? secret : `${secret.slice(0, 6)}…${secret.slice(-2)}`;
}
