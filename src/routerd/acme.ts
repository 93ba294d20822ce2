import { createHash } from "node:crypto";
import { Agent } from "node:https";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as acme from "acme-client";
import { loadCertificate, type CertificateStore, type LoadedCertificate } from "../router/certificates.js";
import type { AcmeSettings } from "./state.js";

/** A failed order is tried again after this, doubling up to `RETRY_MAX_MS`. */
export const RETRY_MIN_MS = 60_000;
const RETRY_MAX_MS = 6 * 3_600_000;
/** Timers are re-armed at least this often (Node's timers cannot wait past ~24.8 days). */
const MAX_WAIT_MS = 86_400_000;

/** What status shows of one host's automatic certificate. */
export interface AcmeHostStatus {
  host: string;
  /** `valid` (served), `pending` (being ordered), `failed` (see `error`; retried at `retryAt`). */
  state: "valid" | "pending" | "failed";
  notAfter?: string;
  /** When it will be renewed. */
  renewAt?: string;
  /** What went wrong at the last attempt: the host, and what the CA said. */
  error?: string;
  retryAt?: string;
}

interface HostState {
  settings: AcmeSettings;
  status: AcmeHostStatus;
  timer: NodeJS.Timeout | null;
  failures: number;
  running: boolean;
}

export interface AcmeManagerOptions {
  /** Where accounts and certificates are kept (`.slipway/acme`): directories 0700, files 0600. */
  dir: string;
  store: CertificateStore;
  log: (message: string) => void;
  now?: () => number;
}

/**
 * Automatic certificates for the router's host names (ACME, RFC 8555, with
 * the well-kept `acme-client` library): one account per directory, one
 * certificate per host, proved by HTTP-01 on the router's plain address
 * (`challenge` answers the CA's request). Certificates on disk are served at
 * once and renewed once `renewalWindow` of their lifetime is left, without a
 * restart; a failed order is logged with the host and what the CA said, shown
 * in status, and retried with backoff. The previous certificate keeps
 * serving meanwhile.
 *
 * @example
 * const acme = new AcmeManager({ dir: ".slipway/acme", store, log });
 * new Entrypoint({ listen, challenge: acme.challenge });
 * acme.sync(new Map([["app.example.com", { directory, renewalWindow: 0.33 }]]));
 */
export class AcmeManager {
  private readonly hosts = new Map<string, HostState>();
  private readonly tokens = new Map<string, string>();
  private readonly accounts = new Map<string, Promise<acme.Client>>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly o: AcmeManagerOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The key authorization for an HTTP-01 token being validated now, if any. */
  readonly challenge = (token: string): string | undefined => this.tokens.get(token);

  /**
   * Keeps certificates for exactly the hosts of `wanted`: new ones are loaded
   * from disk or ordered, removed ones stop being served.
   */
  sync(wanted: ReadonlyMap<string, AcmeSettings>): void {
    for (const [host, state] of this.hosts) {
      if (wanted.has(host)) continue;
      if (state.timer) clearTimeout(state.timer);
      this.hosts.delete(host);
    }
    this.o.store.retainAcme(new Set(wanted.keys()));
    for (const [host, settings] of wanted) {
      const known = this.hosts.get(host);
      if (known && JSON.stringify(known.settings) === JSON.stringify(settings)) continue;
      if (known?.timer) clearTimeout(known.timer);
      const state: HostState = { settings, status: { host, state: "pending" }, timer: null, failures: 0, running: false };
      this.hosts.set(host, state);
      void this.start(host, state);
    }
  }

  /** Every host's certificate state, by host name. */
  status(): AcmeHostStatus[] {
    return [...this.hosts.values()].map((h) => h.status).sort((a, b) => a.host.localeCompare(b.host));
  }

  /** Stops every timer (the router is exiting). */
  close(): void {
    this.closed = true;
    for (const state of this.hosts.values()) if (state.timer) clearTimeout(state.timer);
  }

  /** Serves the certificate on disk when it is the directory's and still good; otherwise orders one. */
  private async start(host: string, state: HostState): Promise<void> {
    const saved = await this.readSaved(host, state.settings).catch(() => null);
    if (this.hosts.get(host) !== state) return;
    if (saved) {
      this.serve(host, state, saved);
      if (this.renewAt(saved, state.settings) > this.now()) {
        this.schedule(host, state, this.renewAt(saved, state.settings));
        return;
      }
    }
    await this.order(host, state);
  }

  private async order(host: string, state: HostState): Promise<void> {
    if (state.running || this.closed || this.hosts.get(host) !== state) return;
    state.running = true;
    if (state.status.state !== "valid") state.status = { host, state: "pending" };
    try {
      const client = await this.account(state.settings);
      const [keyPem, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, await acme.crypto.createPrivateEcdsaKey());
      const certPem = await client.auto({
        csr,
        ...(state.settings.email !== undefined && { email: state.settings.email }),
        termsOfServiceAgreed: true,
        challengePriority: ["http-01"],
        skipChallengeVerification: true, // the CA checks; a self-check from behind NAT or a firewall says little
        challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
          this.tokens.set(challenge.token, keyAuthorization);
        },
        challengeRemoveFn: async (_authz, challenge) => {
          this.tokens.delete(challenge.token);
        },
      });
      const cert = loadCertificate(certPem, keyPem.toString(), `the certificate issued for ${host}`);
      await this.save(host, state.settings, certPem, keyPem.toString());
      if (this.hosts.get(host) !== state) return;
      state.failures = 0;
      this.serve(host, state, cert);
      this.o.log(`acme: certificate for ${host} issued, valid until ${cert.notAfter.toISOString()}`);
      this.schedule(host, state, this.renewAt(cert, state.settings));
    } catch (err) {
      if (this.hosts.get(host) !== state) return;
      state.failures++;
      const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (state.failures - 1));
      const error = `${host}: ${acmeMessage(err)}`;
      const retryAt = new Date(this.now() + wait).toISOString();
      // A certificate still served stays valid in status: only its renewal failed.
      state.status = { ...state.status, ...(state.status.state === "valid" ? {} : { state: "failed" as const }), error, retryAt };
      this.o.log(`acme: cannot get a certificate for ${error} (retrying at ${retryAt})`);
      this.schedule(host, state, this.now() + wait);
    } finally {
      state.running = false;
    }
  }

  private serve(host: string, state: HostState, cert: LoadedCertificate): void {
    this.o.store.setAcme(host, cert);
    state.status = {
      host,
      state: "valid",
      notAfter: cert.notAfter.toISOString(),
      renewAt: new Date(this.renewAt(cert, state.settings)).toISOString(),
    };
  }

  private renewAt(cert: LoadedCertificate, settings: AcmeSettings): number {
    const from = cert.notBefore.getTime();
    const to = cert.notAfter.getTime();
    return to - (to - from) * settings.renewalWindow;
  }

  private schedule(host: string, state: HostState, at: number): void {
    if (state.timer) clearTimeout(state.timer);
    if (this.closed) return;
    const wait = Math.max(0, at - this.now());
    state.timer = setTimeout(
      () => {
        state.timer = null;
        if (wait > MAX_WAIT_MS) this.schedule(host, state, at);
        else void this.order(host, state);
      },
      Math.min(wait, MAX_WAIT_MS),
    );
    state.timer.unref();
  }

  /** The account of a directory: its key kept on disk, registered (again) with the CA on first use. */
  private account(settings: AcmeSettings): Promise<acme.Client> {
    const id = directoryId(settings);
    let client = this.accounts.get(id);
    if (client === undefined) {
      client = this.openAccount(settings, id);
      client.catch(() => this.accounts.delete(id));
      this.accounts.set(id, client);
    }
    return client;
  }

  private async openAccount(settings: AcmeSettings, id: string): Promise<acme.Client> {
    if (settings.caFile !== undefined) {
      // acme-client speaks through one axios instance: trust the directory's private CA for this process.
      const ca = await readFile(settings.caFile, "utf8");
      acme.axios.defaults.httpsAgent = new Agent({ ca });
    }
    const dir = join(this.o.dir, "accounts");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${id}.key`);
    let key: string;
    try {
      key = await readFile(file, "utf8");
    } catch {
      key = (await acme.crypto.createPrivateEcdsaKey()).toString();
      await writePrivate(file, key);
    }
    const client = new acme.Client({ directoryUrl: settings.directory, accountKey: key });
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(settings.email !== undefined && { contact: [`mailto:${settings.email}`] }),
    });
    return client;
  }

  private hostDir(host: string, settings: AcmeSettings): string {
    return join(this.o.dir, "certificates", directoryId(settings), host);
  }

  private async readSaved(host: string, settings: AcmeSettings): Promise<LoadedCertificate | null> {
    const dir = this.hostDir(host, settings);
    const [certPem, keyPem] = await Promise.all([readFile(join(dir, "cert.pem"), "utf8"), readFile(join(dir, "key.pem"), "utf8")]);
    const cert = loadCertificate(certPem, keyPem, join(dir, "cert.pem"));
    return cert.notAfter.getTime() > this.now() ? cert : null;
  }

  private async save(host: string, settings: AcmeSettings, certPem: string, keyPem: string): Promise<void> {
    const dir = this.hostDir(host, settings);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // The key first: a crash between the two leaves the old certificate with a key that is not its own, which
    // loading refuses, so the next start orders a new one rather than serving a broken pair.
    await writePrivate(join(dir, "key.pem"), keyPem);
    await writePrivate(join(dir, "cert.pem"), certPem);
  }
}

/** A file only the owner reads, written whole (temporary file, then rename). */
async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** A short stable name for a directory (and contact), for file names. */
function directoryId(settings: AcmeSettings): string {
  const url = new URL(settings.directory);
  return `${url.hostname}-${createHash("sha256").update(settings.directory).digest("hex").slice(0, 8)}`;
}

/** What the CA said (an ACME problem's detail) or the network error, on one line. */
function acmeMessage(err: unknown): string {
  const e = err as Error & { response?: { data?: { detail?: string; type?: string } } };
  const detail = e.response?.data?.detail;
  return (detail ?? e.message ?? String(err)).replace(/\s+/g, " ").trim();
}
