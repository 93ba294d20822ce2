import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Clock } from "../clock.js";

/** The session cookie's name. */
export const SESSION_COOKIE = "slipway_dashboard";
/** The header an action must carry with the session's CSRF token. */
export const CSRF_HEADER = "x-slipway-csrf";
/** How long a session lasts without a request. */
const IDLE_TIMEOUT = 12 * 60 * 60 * 1000;

export interface Session {
  /** Short, not secret: names the session in the ledger ("dashboard session 3f9a1c"). */
  readonly label: string;
  readonly csrf: string;
  lastSeen: number;
}

/**
 * Who may use the dashboard, Jupyter's way: `slipway dashboard` prints a URL
 * with a one-time token; the first request bearing it gets an HttpOnly,
 * SameSite=Strict session cookie and a redirect that takes the token out of
 * the address bar. The token works once. Every other request needs a live
 * session; an action also needs the session's CSRF token in a header (a
 * SameSite cookie alone does not stop a same-site page or an old browser).
 * Secrets are compared in constant time; sessions live in memory only, so
 * they end with the dashboard process.
 *
 * @example
 * const auth = new SessionAuth(clock);
 * console.log(`http://127.0.0.1:7070/?token=${auth.token}`);
 * const session = auth.redeem(url.searchParams.get("token")); // once
 */
export class SessionAuth {
  #token: string | null = secret();
  readonly #sessions = new Map<string, Session>();

  constructor(private readonly clock: Clock) {}

  /** The one-time token for the printed URL (null once redeemed). */
  get token(): string | null {
    return this.#token;
  }

  /** Exchanges the one-time token for a new session: its cookie value, or null when the token is wrong or used. */
  redeem(token: string | null): { cookie: string; session: Session } | null {
    if (this.#token === null || token === null || !sameSecret(token, this.#token)) return null;
    this.#token = null;
    const cookie = secret();
    const session: Session = { label: hashOf(cookie).slice(0, 6), csrf: secret(), lastSeen: this.clock.now() };
    this.#sessions.set(hashOf(cookie), session);
    return { cookie, session };
  }

  /** The live session of a request, from its cookie; null without one. */
  session(req: IncomingMessage): Session | null {
    const value = cookieOf(req.headers.cookie, SESSION_COOKIE);
    if (!value) return null;
    const key = hashOf(value);
    const session = this.#sessions.get(key);
    if (!session) return null;
    const now = this.clock.now();
    if (now - session.lastSeen > IDLE_TIMEOUT) {
      this.#sessions.delete(key);
      return null;
    }
    session.lastSeen = now;
    return session;
  }

  /** Whether a request carries its session's CSRF token. */
  csrfOk(req: IncomingMessage, session: Session): boolean {
    const sent = req.headers[CSRF_HEADER];
    return typeof sent === "string" && sameSecret(sent, session.csrf);
  }

  /** The Set-Cookie header of a new session (`Secure` when served over HTTPS). */
  static setCookie(cookie: string, secure: boolean): string {
    return `${SESSION_COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
  }
}

function secret(): string {
  return randomBytes(24).toString("base64url");
}

/** Sessions are kept by the hash of their cookie: a heap dump does not hand out working cookies. */
function hashOf(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(hashOf(a));
  const y = Buffer.from(hashOf(b));
  return timingSafeEqual(x, y);
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieOf(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}
