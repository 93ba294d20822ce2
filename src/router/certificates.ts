import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { createSecureContext, type SecureContext } from "node:tls";
import { SlipwayError } from "../errors.js";

/**
 * TLS defaults of every HTTPS entrypoint: TLS 1.2 and 1.3 only; for TLS 1.2
 * the forward-secret AEAD suites of Mozilla's "intermediate" profile without
 * DHE (ECDHE with AES-GCM or ChaCha20-Poly1305), the client's preference
 * first (all are strong; it knows whether it has AES hardware). TLS 1.3
 * suites are OpenSSL's defaults (all AEAD). Curves: X25519, P-256, P-384.
 */
export const TLS_DEFAULTS = {
  minVersion: "TLSv1.2",
  ciphers: [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
  ].join(":"),
  ecdhCurve: "X25519:P-256:P-384",
  honorCipherOrder: false,
} as const;

/** A certificate and its key as PEM files (bring your own: `router.tls.certificates`). */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/** One certificate the store serves, as status shows it. */
export interface CertificateInfo {
  /** Host names it covers (DNS subject alternative names, else the common name). */
  names: string[];
  notBefore: string;
  notAfter: string;
  /** `file` (bring your own, with the path) or `acme`. */
  source: "file" | "acme";
  file?: string;
}

/** A parsed certificate, ready to serve. */
export interface LoadedCertificate {
  names: string[];
  notBefore: Date;
  notAfter: Date;
  context: SecureContext;
  /** PEM chain and key, as loaded. */
  certPem: string;
  keyPem: string;
}

/**
 * Parses a PEM certificate chain and its key into a ready context. Throws
 * `SlipwayError` `CONFIG_INVALID` naming `where` when either is unreadable,
 * or when the key is not the certificate's.
 *
 * @example
 * const c = loadCertificate(certPem, keyPem, "certs/app.pem");
 * c.names; // ["app.example.com"]
 */
export function loadCertificate(certPem: string, keyPem: string, where: string): LoadedCertificate {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch (err) {
    throw new SlipwayError("CONFIG_INVALID", `${where}: not a PEM certificate (${(err as Error).message})`, {
      hint: "give the certificate chain in PEM form (-----BEGIN CERTIFICATE-----), the server's own first",
    });
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new Error("it belongs to another certificate");
  } catch (err) {
    throw new SlipwayError("CONFIG_INVALID", `${where}: the private key does not match the certificate (${(err as Error).message})`, {
      hint: "give the key the certificate was issued for (PEM, unencrypted)",
    });
  }
  const context = createSecureContext({ ...TLS_DEFAULTS, cert: certPem, key: keyPem });
  return { names: certificateNames(leaf), notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo), context, certPem, keyPem };
}

/**
 * The DNS names a certificate covers: its DNS subject alternative names, or
 * its common name when it has none. Lower case.
 *
 * @example
 * certificateNames(new X509Certificate(pem)); // ["app.example.com", "*.app.example.com"]
 */
export function certificateNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (san) {
    const names = san
      .split(/,\s*/)
      .filter((entry) => entry.startsWith("DNS:"))
      .map((entry) => entry.slice(4).toLowerCase());
    if (names.length > 0) return names;
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject);
  return cn ? [(cn[1] as string).toLowerCase()] : [];
}

/**
 * Whether certificate name `pattern` (`app.test` or `*.app.test`) covers host
 * `name` (RFC 6125: a wildcard stands for exactly one left-most label).
 *
 * @example
 * nameMatches("*.app.test", "www.app.test"); // true
 * nameMatches("*.app.test", "a.b.app.test"); // false
 */
export function nameMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.startsWith("*.")) return false;
  const dot = name.indexOf(".");
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

interface Entry {
  /** null: the files did not load (a lenient `setFiles`); each poll tries again. */
  cert: LoadedCertificate | null;
  source: "file" | "acme";
  files?: CertificateFiles;
  /** mtime+size of both files when loaded, to notice a change. */
  stamp?: string;
}

/**
 * Every certificate one router process serves, chosen per connection by the
 * name the client asked for (SNI): an exact name first, then a wildcard;
 * a client that sent no name, or one no certificate covers, gets the first
 * certificate given. Certificates from files are reloaded when the files
 * change (`reload`, polled by the owner): new connections get the new one,
 * open connections keep theirs. A file that fails to load keeps the previous
 * certificate serving, and the failure is reported.
 *
 * @example
 * const store = new CertificateStore((m) => console.log(m));
 * await store.setFiles([{ cert: "certs/app.pem", key: "certs/app.key" }]);
 * tls.createServer({ SNICallback: store.sniCallback, ...store.defaultOptions() });
 */
export class CertificateStore {
  private files: Entry[] = [];
  /** The file pairs last given, loaded or not. */
  private sources: readonly CertificateFiles[] = [];
  private readonly acme = new Map<string, Entry>();
  private byName = new Map<string, SecureContext>();
  private wildcards = new Map<string, SecureContext>();
  private first: LoadedCertificate | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly log: (message: string) => void) {}

  /**
   * Serves the certificates of `sources` (replacing the files given before).
   * Throws `SlipwayError` `CONFIG_INVALID` naming the file when one cannot be
   * used, changing nothing; with `onBad` (a router restoring its table), a
   * pair that does not load is reported there instead and tried again at
   * every poll, and the others serve.
   */
  async setFiles(sources: readonly CertificateFiles[], onBad?: (err: Error) => void): Promise<void> {
    const same = sources.length === this.sources.length && sources.every((s, i) => sameFiles(s, this.sources[i]));
    if (same) return;
    const entries: Entry[] = [];
    for (const files of sources) {
      try {
        entries.push(await loadFiles(files));
      } catch (err) {
        if (!onBad) throw err;
        onBad(err as Error);
        entries.push({ cert: null, source: "file", files, stamp: "" });
      }
    }
    this.files = entries;
    this.sources = [...sources];
    this.rebuild();
  }

  /** Serves an ACME certificate for `name` (replacing the previous one). */
  setAcme(name: string, cert: LoadedCertificate): void {
    this.acme.set(name, { cert, source: "acme" });
    this.rebuild();
  }

  /** Stops serving the ACME certificates of names not in `keep`. */
  retainAcme(keep: ReadonlySet<string>): void {
    let changed = false;
    for (const name of this.acme.keys()) {
      if (!keep.has(name)) changed = this.acme.delete(name) || changed;
    }
    if (changed) this.rebuild();
  }

  /** Re-reads the files that changed on disk since they were loaded; a file that fails keeps its previous certificate. */
  async reload(): Promise<void> {
    let changed = false;
    const next = [...this.files];
    for (const [i, entry] of this.files.entries()) {
      const files = entry.files as CertificateFiles;
      let now: string;
      try {
        now = await stampOf(files);
      } catch {
        continue; // being replaced right now, or gone: keep serving what we have
      }
      if (now === entry.stamp) continue;
      try {
        const loaded = await loadFiles(files);
        next[i] = loaded;
        changed = true;
        const cert = loaded.cert as LoadedCertificate;
        this.log(`reloaded ${files.cert} (${cert.names.join(", ")}, valid until ${cert.notAfter.toISOString()})`);
      } catch (err) {
        // A half-written pair (cert renamed before its key) fails here: the next poll tries again.
        entry.stamp = now;
        this.log(`${entry.cert ? "keeping the certificate loaded before" : "still not serving it"}: ${(err as Error).message}`);
      }
    }
    if (!changed) return;
    this.files = next;
    this.rebuild();
  }

  /** Whether some certificate covers `name`. */
  covers(name: string): boolean {
    return this.lookup(name) !== undefined;
  }

  /** The `SNICallback` of a TLS server. */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    const ctx = this.lookup(servername.toLowerCase()) ?? this.first?.context;
    if (ctx === undefined) cb(new Error(`no certificate for ${servername}`));
    else cb(null, ctx);
  };

  /** Key and certificate served to clients that send no name (the first one given), or null when there is none yet. */
  defaultCertificate(): LoadedCertificate | null {
    return this.first;
  }

  /** Called after every change of the served set (the entrypoints update their default certificate). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What is served, for status. */
  info(): CertificateInfo[] {
    const out: CertificateInfo[] = [];
    const describe = (e: Entry, cert: LoadedCertificate): CertificateInfo => ({
      names: cert.names,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      source: e.source,
      ...(e.files && { file: e.files.cert }),
    });
    for (const e of [...this.files, ...this.acme.values()]) if (e.cert) out.push(describe(e, e.cert));
    return out;
  }

  private lookup(name: string): SecureContext | undefined {
    const exact = this.byName.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf(".");
    return dot > 0 ? this.wildcards.get(name.slice(dot + 1)) : undefined;
  }

  private rebuild(): void {
    const byName = new Map<string, SecureContext>();
    const wildcards = new Map<string, SecureContext>();
    // Files first: a certificate the user gives wins over an ACME one for the same name.
    for (const e of [...this.files, ...this.acme.values()]) {
      if (e.cert === null) continue;
      for (const name of e.cert.names) {
        if (name.startsWith("*.")) {
          if (!wildcards.has(name.slice(2))) wildcards.set(name.slice(2), e.cert.context);
        } else if (!byName.has(name)) {
          byName.set(name, e.cert.context);
        }
      }
    }
    this.byName = byName;
    this.wildcards = wildcards;
    this.first = this.files.find((e) => e.cert !== null)?.cert ?? this.acme.values().next().value?.cert ?? null;
    for (const listener of this.listeners) listener();
  }
}

function sameFiles(a: CertificateFiles, b: CertificateFiles | undefined): boolean {
  return b !== undefined && a.cert === b.cert && a.key === b.key;
}

async function stampOf(files: CertificateFiles): Promise<string> {
  // In order, so a pair with both files gone is always reported by its certificate.
  const c = await stat(files.cert);
  const k = await stat(files.key);
  return `${c.mtimeMs}:${c.size}:${k.mtimeMs}:${k.size}`;
}

async function loadFiles(files: CertificateFiles): Promise<Entry> {
  let certPem: string;
  let keyPem: string;
  let stamp: string;
  try {
    stamp = await stampOf(files);
    [certPem, keyPem] = await Promise.all([readFile(files.cert, "utf8"), readFile(files.key, "utf8")]);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SlipwayError("CONFIG_INVALID", `cannot read ${e.path ?? files.cert}: ${e.code ?? e.message}`, {
      hint: "check router.tls.certificates in slipway.yaml: each needs a readable cert and key file",
    });
  }
  const cert = loadCertificate(certPem, keyPem, files.cert);
  return { cert, source: "file", files, stamp };
}
