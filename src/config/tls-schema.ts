import { z } from "zod";
import * as d from "./defaults.js";
import { address, percent, says } from "./fields.js";

/** ACME directories known by name; any other value must be the directory's https URL. */
export const ACME_DIRECTORIES = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/** A DNS host name (RFC 1123 labels), optionally `*.` for one label of wildcard; lower-cased. */
const HOST_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function hostName() {
  const msg = says("must be a host name like app.example.com or *.example.com (no scheme, port or path)");
  return z
    .string(msg)
    .transform((value) => value.trim().toLowerCase().replace(/\.$/, ""))
    .pipe(z.string().max(253, msg).regex(HOST_NAME, msg));
}

const certificateFiles = z.strictObject({
  cert: z.string().min(1).describe("PEM certificate chain (the server's certificate first), relative to the project."),
  key: z.string().min(1).describe("Its PEM private key (unencrypted), relative to the project."),
});

const acmeSchema = z
  .strictObject({
    directory: z
      .string()
      .default(d.DEFAULT_ACME_DIRECTORY)
      .refine((v) => v in ACME_DIRECTORIES || /^https:\/\/\S+$/.test(v), {
        message: `must be ${Object.keys(ACME_DIRECTORIES).join(" or ")}, or an https:// directory URL`,
      })
      .describe(
        "ACME directory: letsencrypt, letsencrypt-staging, or the URL of any ACME (RFC 8555) directory (ZeroSSL, step-ca, Pebble).",
      ),
    email: z.string().email(says("must be an email address")).optional().describe("Contact for the CA (expiry notices)."),
    ca: z
      .string()
      .optional()
      .describe(
        "PEM file of extra certificate authorities to trust for the directory's HTTPS (a private CA or a test CA), relative to the project.",
      ),
    renewalWindow: percent()
      .prefault(d.DEFAULT_ACME_RENEWAL_WINDOW)
      .describe("Renew a certificate once this share of its lifetime is left (a third: 30 days of a 90-day certificate)."),
  })
  .describe(
    "Automatic certificates for router.hosts from an ACME CA, by HTTP-01 on the plain address (which must be reachable on port 80 from the CA). Account and certificates are kept under .slipway/acme (files 0600) and renewed without a restart.",
  );

const hstsSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      maxAge: z.int().min(0).default(d.DEFAULT_HSTS_MAX_AGE).describe("Seconds browsers remember to use HTTPS only."),
      includeSubDomains: z.boolean().default(false).describe("Also for every subdomain."),
      preload: z.boolean().default(false).describe("Ask to be on browsers' preload lists (needs includeSubDomains and a year)."),
    }),
  ])
  .default(false)
  .describe(
    "Strict-Transport-Security on HTTPS responses the app sent none in: true (a year), an object, or false (the default: turn it on once HTTPS works for every host, as browsers remember it).",
  );

/** `router.tls` as written. */
export const tlsSchema = z
  .strictObject({
    listen: address().prefault(d.DEFAULT_TLS_LISTEN).describe("Address of the HTTPS listener (HTTP/2 and HTTP/1.1)."),
    certificates: z
      .array(certificateFiles)
      .default([])
      .describe(
        "Certificates you bring, chosen by the name the client asks for (SNI); the first one also serves clients that send none. Replaced files are picked up within seconds, without dropping a connection.",
      ),
    acme: acmeSchema.optional(),
    redirect: z.boolean().default(true).describe("The plain `listen` address answers 308 to https:// (ACME challenges excepted)."),
    hsts: hstsSchema,
  })
  .describe(
    "HTTPS on the router (docs/router.md#https-and-host-names): TLS 1.2 and 1.3, modern ciphers, HTTP/2 with HTTP/1.1 fallback on one port; X-Forwarded-Proto: https to the app.",
  );

/** `router.hosts` as written. */
export const hostsSchema = z
  .array(hostName())
  .default([])
  .describe(
    "Host names this app answers (Host header and TLS SNI), like app.example.com or *.example.com. Apps naming different hosts share one listen address: one router serves them all (a request for a host none names gets a 404). Empty: every host, and the address is this app's alone.",
  );

/**
 * The Strict-Transport-Security value for `hsts` as parsed, or null.
 *
 * @example
 * hstsValue(true); // "max-age=31536000"
 * hstsValue({ maxAge: 600, includeSubDomains: true, preload: false }); // "max-age=600; includeSubDomains"
 */
export function hstsValue(hsts: z.output<typeof hstsSchema>): string | null {
  if (hsts === false) return null;
  const h = hsts === true ? { maxAge: d.DEFAULT_HSTS_MAX_AGE, includeSubDomains: false, preload: false } : hsts;
  return `max-age=${h.maxAge}${h.includeSubDomains ? "; includeSubDomains" : ""}${h.preload ? "; preload" : ""}`;
}
