import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A test certificate authority: its files and its PEM. */
export interface TestCa {
  cert: string;
  key: string;
  pem: string;
}

/** A certificate issued by a test CA: file paths and PEMs. */
export interface TestCertificate {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * A new certificate authority in `dir` (P-256 key, valid a day), made with
 * the `openssl` command (Debian's package; `.ci/run` installs it).
 *
 * @example
 * const ca = makeCa(dir);
 * const a = issueCertificate(dir, ca, "a", ["a.test"]);
 */
export function makeCa(dir: string, name = "ca"): TestCa {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert].concat([
      "-days",
      "1",
      "-subj",
      `/CN=Slipway test CA ${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ]),
  );
  return { cert, key, pem: readFileSync(cert, "utf8") };
}

/**
 * A leaf certificate for `names` (DNS subject alternative names, the first
 * also the common name) signed by `ca`, as `<file>.pem` and `<file>.key` in
 * `dir`, valid a day; with `expired`, valid only on 2020-01-01.
 */
export function issueCertificate(
  dir: string,
  ca: TestCa,
  file: string,
  names: string[],
  options: { expired?: boolean } = {},
): TestCertificate {
  const cert = join(dir, `${file}.pem`);
  const key = join(dir, `${file}.key`);
  const csr = join(dir, `${file}.csr`);
  const ext = join(dir, `${file}.ext`);
  writeFileSync(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\nextendedKeyUsage=serverAuth\n`);
  openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    `/CN=${names[0]}`,
  ]);
  if (options.expired) {
    // `openssl x509` (OpenSSL 3.0) cannot backdate; `openssl ca` can, with a minimal database.
    const db = join(dir, `${file}.ca`);
    mkdirSync(db, { recursive: true });
    writeFileSync(join(db, "index.txt"), "");
    writeFileSync(join(db, "serial"), "1000\n");
    const cnf = join(db, "ca.cnf");
    writeFileSync(
      cnf,
      `[ca]\ndefault_ca=t\n[t]\ndatabase=${db}/index.txt\nnew_certs_dir=${db}\nserial=${db}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`,
    );
    openssl(
      ["ca", "-batch", "-notext", "-config", cnf, "-cert", ca.cert, "-keyfile", ca.key, "-in", csr, "-out", cert, "-extfile", ext].concat([
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200102000000Z",
      ]),
    );
  } else {
    openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", cert, "-extfile", ext, "-days", "1"]);
  }
  return { cert, key, certPem: readFileSync(cert, "utf8"), keyPem: readFileSync(key, "utf8") };
}
