import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Request headers as node:http gives them (only `authorization` is read).
 *
 * @example
 * const headers: HeaderMap = { authorization: "Bearer s3cret" };
 */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Whether a request carries `token`, as `Authorization: Bearer <token>` or
 * `?token=<token>`. Compared in constant time (both sides hashed first, so
 * not even the length leaks).
 *
 * @example
 * hasToken("s3cret", { authorization: "Bearer s3cret" }, ""); // true
 * hasToken("s3cret", {}, "token=s3cret"); // true
 */
export function hasToken(token: string, headers: HeaderMap, query: string): boolean {
  const header = headers.authorization ?? headers.Authorization;
  const value = typeof header === "string" ? header : header?.[0];
  const bearer = value ? /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1] : undefined;
  const given = bearer ?? new URLSearchParams(query).get("token");
  return given !== null && given !== undefined && timingSafeEqual(digest(given), digest(token));
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
