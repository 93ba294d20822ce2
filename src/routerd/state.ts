import { readFile, rename, writeFile } from "node:fs/promises";
import type { CertificateFiles } from "../router/certificates.js";
import type { RouteGroup, RoutingOptions } from "../router/types.js";

/**
 * One listener of the router process (one app, a site): where it listens,
 * for which host names, how it routes, to whom.
 */
export interface ListenerState {
  /** The plain HTTP address (redirecting to HTTPS when `tls.redirect`). */
  listen: { host: string; port: number };
  options: RoutingOptions;
  groups: RouteGroup[];
  /** Host names it serves (lower case; `*.example.com` covers one label); absent or empty: every host no other listener on its addresses names. */
  hosts?: string[];
  /** HTTPS, when configured. */
  tls?: TlsState | null;
}

/** A listener's HTTPS side (`router.tls`). */
export interface TlsState {
  listen: { host: string; port: number };
  /** Certificate files (bring your own), chosen by SNI. */
  certificates: CertificateFiles[];
  /** The plain address answers 308 to HTTPS (ACME HTTP-01 challenges excepted). */
  redirect: boolean;
  /** Certificates issued automatically for the listener's hosts, or null. */
  acme?: AcmeSettings | null;
}

/** Automatic certificates (`router.tls.acme`). */
export interface AcmeSettings {
  /** The ACME directory URL. */
  directory: string;
  /** Contact address given to the CA, if any. */
  email?: string;
  /** PEM file of extra CAs to trust for the directory's HTTPS (a private or test CA), if any. */
  caFile?: string;
  /** Renew a certificate once this share of its lifetime is left (0.33: a third). */
  renewalWindow: number;
}

/**
 * Everything the router process serves, by listener key ("public" is the
 * app's address, "preview" a blue-green preview). One small serializable
 * value: the daemon sends it, the router saves it and restores it on start.
 */
export interface RouterState {
  listeners: Record<string, ListenerState>;
}

export const EMPTY_STATE: RouterState = { listeners: {} };

/**
 * Reads the saved state; a missing or unreadable file is an empty state
 * (the daemon sends the real one when it attaches), reported through `warn`.
 */
export async function loadState(file: string, warn: (message: string) => void): Promise<RouterState> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") warn(`cannot read ${file}: ${(err as Error).message}`);
    return { listeners: {} };
  }
  try {
    const parsed = JSON.parse(text) as RouterState;
    if (!parsed || typeof parsed !== "object" || typeof parsed.listeners !== "object" || parsed.listeners === null) {
      throw new Error("no listeners");
    }
    return parsed;
  } catch (err) {
    warn(`ignoring ${file}: ${(err as Error).message}`);
    return { listeners: {} };
  }
}

/**
 * Saves the state atomically (a temporary file renamed over the old one), so
 * a crash or a full disk leaves the previous state whole. Saves are
 * serialized and coalesced: only the newest state is written.
 */
export class StateSaver {
  private pending: RouterState | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly file: string,
    private readonly warn: (message: string) => void,
  ) {}

  save(state: RouterState): Promise<void> {
    this.pending = structuredClone(state);
    this.running ??= this.loop().finally(() => (this.running = null));
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.pending) {
      const state = this.pending;
      this.pending = null;
      const tmp = `${this.file}.tmp`;
      try {
        await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
        await rename(tmp, this.file);
      } catch (err) {
        // The router keeps serving from memory; the next save tries again.
        this.warn(`cannot save ${this.file}: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * The project a listener key belongs to in a shared router ("" for a project's own router).
 *
 * @example
 * projectOf("web-3f2a1c.public"); // "web-3f2a1c"
 * projectOf("public"); // ""
 */
export function projectOf(key: string): string {
  const dot = key.indexOf(".");
  return dot < 0 ? "" : key.slice(0, dot);
}
