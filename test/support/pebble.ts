import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { issueCertificate, makeCa } from "./certs.js";

/** A running Pebble (Let's Encrypt's test CA) with its mock DNS, on loopback. */
export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** PEM file of the CA that signed Pebble's own HTTPS certificate (`acme.ca`). */
  apiCa: string;
  /** PEM of the root Pebble issues certificates under (it changes with every start). */
  root(): Promise<string>;
  /** Makes `host` resolve to `address` (every other name resolves to 127.0.0.1). */
  resolve(host: string, address: string): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts Debian's `pebble` and `pebble-challtestsrv` (its mock DNS: every
 * name resolves to 127.0.0.1, so the CA's HTTP-01 check reaches `httpPort`
 * on loopback). Certificates live `validitySeconds`; validations are not
 * reused, so every order is checked again.
 *
 * @example
 * const pebble = await startPebble(dir, { httpPort: 5002, validitySeconds: 20 });
 * // acme: { directory: pebble.directory, ca: pebble.apiCa }
 * await pebble.stop();
 */
export async function startPebble(dir: string, o: { httpPort: number; validitySeconds: number }): Promise<Pebble> {
  const [dnsPort, dnsAdmin, apiPort, adminPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const ca = makeCa(dir, "pebble-api-ca");
  const api = issueCertificate(dir, ca, "pebble-api", ["localhost"]);
  const config = join(dir, "pebble.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${apiPort}`,
        managementListenAddress: `127.0.0.1:${adminPort}`,
        certificate: api.cert,
        privateKey: api.key,
        httpPort: o.httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        certificateValidityPeriod: o.validitySeconds,
      },
    }),
  );
  const children: ChildProcess[] = [];
  const output: string[] = [];
  const start = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (c: Buffer) => output.push(c.toString()));
    child.stderr?.on("data", (c: Buffer) => output.push(c.toString()));
    children.push(child);
  };
  start("pebble-challtestsrv", [
    "-dns01",
    `127.0.0.1:${dnsPort}`,
    "-management",
    `127.0.0.1:${dnsAdmin}`,
    "-http01",
    "",
    "-https01",
    "",
    "-tlsalpn01",
    "",
    "-defaultIPv6",
    "",
  ]);
  start("pebble", ["-config", config, "-dnsserver", `127.0.0.1:${dnsPort}`], {
    PEBBLE_VA_NOSLEEP: "1",
    PEBBLE_WFE_NONCEREJECT: "0",
    PEBBLE_AUTHZREUSE: "0",
  });
  const stop = async () => {
    for (const child of children) child.kill("SIGKILL");
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : null)));
  };
  const get = (port: number, path: string, method = "GET", body?: string) =>
    new Promise<string>((resolve, reject) => {
      const req = https.request({ host: "127.0.0.1", port, path, method, ca: ca.pem, servername: "localhost" }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => ((res.statusCode ?? 500) < 400 ? resolve(text) : reject(new Error(`${path}: ${res.statusCode} ${text}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
  const plain = (port: number, path: string, body: string) =>
    new Promise<void>((resolve, reject) => {
      // The mock DNS's management API speaks plain HTTP.
      const req = http.request({ host: "127.0.0.1", port, path, method: "POST" }, (res) => {
        res.resume();
        res.on("end", () => ((res.statusCode ?? 500) < 400 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await get(apiPort, "/dir");
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`pebble did not start: ${(err as Error).message}\n${output.join("")}`, { cause: err });
      }
      await sleep(100);
    }
  }
  return {
    directory: `https://localhost:${apiPort}/dir`,
    apiCa: ca.cert,
    root: () => get(adminPort, "/roots/0"),
    resolve: (host, address) => plain(dnsAdmin, "/add-a", JSON.stringify({ host: `${host}.`, addresses: [address] })),
    stop,
  };
}
