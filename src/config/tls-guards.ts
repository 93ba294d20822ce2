/**
 * The `router.tls` rules that need the certificate files: each file loads,
 * its key is its own, it has not expired, it serves one of `router.hosts`,
 * and every host has a certificate source. One problem per fault, naming the
 * file.
 */
import { readFileSync } from "node:fs";
import { loadCertificate, nameMatches, type LoadedCertificate } from "../router/certificates.js";
import { SlipwayError } from "../errors.js";
import type { Problem } from "./problem.js";
import type { Config } from "./types.js";

/**
 * Problems with `router.tls` and `router.hosts` (none when TLS is off).
 * `now` is the time certificates must be valid at.
 */
export function ensureTlsSources(config: Config, now: number = Date.now()): Problem[] {
  const { tls, hosts } = config.router;
  if (!tls) return [];
  const problems: Problem[] = [];
  if (tls.certificates.length === 0 && !tls.acme) {
    problems.push({ path: ["router", "tls"], message: "needs certificates (files you bring) or acme (automatic certificates)" });
  }
  if (tls.acme) {
    if (hosts.length === 0) {
      problems.push({ path: ["router", "tls", "acme"], message: "needs router.hosts: the host names to get certificates for" });
    }
    hosts.forEach((host, i) => {
      if (host.startsWith("*.")) {
        problems.push({
          path: ["router", "hosts", i],
          message: `${host}: ACME over HTTP-01 cannot prove a wildcard name; bring a certificate for it in router.tls.certificates`,
        });
      }
    });
  }
  const loaded: LoadedCertificate[] = [];
  tls.certificates.forEach((files, i) => {
    const path = ["router", "tls", "certificates", i, "cert"];
    let cert: LoadedCertificate;
    try {
      cert = loadCertificate(readFileSync(files.cert, "utf8"), readFileSync(files.key, "utf8"), files.cert);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const message = err instanceof SlipwayError ? err.message : `cannot read ${e.path ?? files.cert} (${e.code ?? e.message})`;
      problems.push({ path, message });
      return;
    }
    loaded.push(cert);
    if (cert.notAfter.getTime() <= now) {
      problems.push({ path, message: `${files.cert} expired on ${cert.notAfter.toISOString()}; renew it or use acme` });
    } else if (cert.notBefore.getTime() > now) {
      problems.push({ path, message: `${files.cert} is not valid before ${cert.notBefore.toISOString()}` });
    }
    if (hosts.length > 0 && !hosts.some((host) => cert.names.some((name) => nameMatches(name, host)))) {
      problems.push({
        path,
        message: `${files.cert} is for ${cert.names.join(", ") || "no DNS name"}, none of router.hosts (${hosts.join(", ")})`,
      });
    }
  });
  if (!tls.acme) {
    hosts.forEach((host, i) => {
      if (loaded.length < tls.certificates.length) return; // a file that failed is reported already
      if (!loaded.some((cert) => cert.names.some((name) => nameMatches(name, host)))) {
        problems.push({
          path: ["router", "hosts", i],
          message: `${host}: no certificate in router.tls.certificates covers it, and acme is off`,
        });
      }
    });
  }
  return problems;
}
